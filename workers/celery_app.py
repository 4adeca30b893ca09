"""`make_celery(settings)`: the Celery app that runs Multivac's background work on Redis."""

from __future__ import annotations

from typing import Any

from celery import Celery

from multivac.runtime import Runtime
from multivac.settings import Settings

QUEUE = "multivac"


class MultivacCelery(Celery):  # type: ignore[misc]
    """A Celery app that carries the process's `Runtime` for its tasks (`self.app.runtime`)."""

    runtime: Runtime


def celery_config(settings: Settings) -> dict[str, Any]:
    visibility = {"visibility_timeout": settings.worker.visibility_timeout_seconds}
    return {
        "broker_url": settings.redis_url,
        "result_backend": settings.redis_url,
        "broker_transport_options": visibility,
        "result_backend_transport_options": visibility,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": QUEUE,
        "task_routes": {"workers.tasks.*": {"queue": QUEUE}},
        # A task is acknowledged only once done and re-queued if its worker dies: every task is
        # idempotent, so running twice is safe and losing one is not.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_expires": 3600,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": {},
    }


def make_celery(settings: Settings, runtime: Runtime | None = None) -> MultivacCelery:
    """Build the Celery app; `runtime` may be shared with a Flask app in the same process."""
    app = MultivacCelery("multivac", set_as_current=False)
    app.config_from_object(celery_config(settings))
    app.runtime = runtime or Runtime(settings)
    app.autodiscover_tasks(["workers"], related_name="tasks", force=True)
    return app
