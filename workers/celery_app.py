"""`make_celery(settings)`: the Celery app that runs Multivac's background work on Redis."""

from __future__ import annotations

from celery import Celery

from multivac.queueing import celery_config
from multivac.runtime import Runtime
from multivac.settings import Settings


class MultivacCelery(Celery):  # type: ignore[misc]
    """A Celery app that carries the process's `Runtime` for its tasks (`self.app.runtime`)."""

    runtime: Runtime


def make_celery(settings: Settings, runtime: Runtime | None = None) -> MultivacCelery:
    """Build the Celery app; `runtime` may be shared with a Flask app in the same process."""
    app = MultivacCelery("multivac", set_as_current=False)
    app.config_from_object(celery_config(settings))
    app.runtime = runtime or Runtime(settings)
    app.conf.include = ["workers.tasks", "workers.slack_tasks"]
    app.loader.import_default_modules()
    return app
