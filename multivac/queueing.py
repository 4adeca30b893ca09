"""How Multivac hands work to its Celery workers: configuration and sending tasks by name.

The web app only ever *sends* tasks, by name, so it needs neither the worker code nor the Celery
app the workers run; both sides share this configuration.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from celery import Celery

from multivac import broker
from multivac.settings import Settings

QUEUE = "multivac"

PROCESS_PAGERDUTY_DELIVERY = "workers.tasks.process_pagerduty_delivery"
RUN_WAR_ROOM_STEP = "workers.tasks.run_war_room_step"
RECONCILE = "workers.tasks.reconcile"
HOUSEKEEPING = "workers.tasks.housekeeping"
INVITE_PAGERDUTY_USERS = "workers.tasks.invite_pagerduty_users"  # [incident_id, [user ids]]
SYNC_PAGERDUTY_CHANGES = (
    "workers.tasks.sync_pagerduty_changes"  # [incident_id, changes, note, agent]
)
PROBE_INTEGRATIONS = "workers.tasks.probe_integrations"
# Slack: args are JSON-able dicts (see multivac.incidents.slack_commands.Invocation) or ids.
HANDLE_SLASH_COMMAND = "workers.tasks.handle_slash_command"  # [invocation: dict]
HANDLE_BLOCK_ACTION = "workers.tasks.handle_block_action"  # [payload: dict]
HANDLE_VIEW_SUBMISSION = "workers.tasks.handle_view_submission"  # [payload: dict]
PROCESS_SLACK_EVENT = "workers.tasks.process_slack_event"  # [delivery_id: int]


def _scheme(settings: Settings) -> str:
    return urlsplit(settings.redis_url).scheme


def celery_config(settings: Settings) -> dict[str, Any]:
    visibility = {"visibility_timeout": settings.worker.visibility_timeout_seconds}
    transport = (
        {"broker_transport": broker.TRANSPORT} if _scheme(settings) in broker.SCHEMES else {}
    )
    return {
        **transport,
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
        "beat_schedule": {
            "reconcile": {"task": RECONCILE, "schedule": settings.worker.reconcile_every_seconds},
            "housekeeping": {
                "task": HOUSEKEEPING,
                "schedule": settings.worker.housekeeping_every_seconds,
            },
        },
    }


class TaskQueue:
    """Sends tasks by name to the workers' queue; never runs them."""

    def __init__(self, settings: Settings) -> None:
        self._celery = Celery("multivac-sender", set_as_current=False)
        self._celery.config_from_object(celery_config(settings))

    def send(self, task_name: str, *args: object) -> None:
        self._celery.send_task(task_name, args=list(args), queue=QUEUE, ignore_result=True)

    def close(self) -> None:
        self._celery.close()
