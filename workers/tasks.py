"""Celery tasks: each takes ids, loads what it needs from the runtime, calls the domain, returns.

Tasks never import the Celery app; `self.app.runtime` is the process's `Runtime`. Every task is
idempotent (its work is claimed in the database), so acks_late redelivery is safe.
"""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime

from celery import Task, shared_task

from multivac import queueing
from multivac.diagnostics import probe_integrations as probe
from multivac.incidents import housekeeping as chores
from multivac.incidents import inbox, newcomers, sync
from multivac.incidents.reconcile import stalled_work
from multivac.incidents.war_room import flow
from multivac.integrations.errors import Retryable
from multivac.runtime import Runtime

STEP_MAX_RETRIES = 10  # for tasks whose retries Celery counts (war-room steps count their own)
# Which task processes a recorded delivery, by its source.
PROCESSORS = {
    "pagerduty": queueing.PROCESS_PAGERDUTY_DELIVERY,
    "slack": queueing.PROCESS_SLACK_EVENT,
}


def runtime_of(task: Task) -> Runtime:
    runtime: Runtime = task.app.runtime
    return runtime


def worker_name() -> str:
    return f"{socket.gethostname()}:{threading.get_ident()}"


def start_steps(task: Task, incident_id: int, steps: list[str], delay: float = 0.0) -> None:
    for step in steps:
        # ignore_result: otherwise the sender subscribes to a result it will never read
        task.app.send_task(
            queueing.RUN_WAR_ROOM_STEP,
            args=[incident_id, step],
            countdown=delay or None,
            ignore_result=True,
        )


def drive_war_room(task: Task, incident_id: int, steps: list[str]) -> None:
    """Run `steps` side by side in this task, then what each finished step makes ready (see
    `flow.drive`); steps to retry come back as tasks of their own, after their delay."""
    runtime = runtime_of(task)
    flow.drive(runtime.deps(), incident_id, steps, worker_name(), retries_of(task, incident_id))


def retries_of(task: Task, incident_id: int) -> flow.Retries:
    """War-room steps to retry come back as tasks of their own, after their delay."""
    return flow.Retries(
        later=lambda step, delay: start_steps(task, incident_id, [step], delay),
        max_delay=runtime_of(task).settings.worker.max_retry_delay_seconds,
    )


@shared_task(bind=True, name=queueing.PROBE_INTEGRATIONS)
def probe_integrations(self: Task) -> dict[str, str]:
    """Check each vendor with one authenticated read; used by `multivac check-config --probe`."""
    runtime = runtime_of(self)
    return probe(runtime.chat, runtime.pager, runtime.tracker, runtime.settings.jira.email)


@shared_task(bind=True, name=queueing.PROCESS_PAGERDUTY_DELIVERY, ignore_result=True)
def process_pagerduty_delivery(self: Task, delivery_id: int) -> None:
    """Take a recorded PagerDuty delivery into the incident record; start its war room if due."""
    deps, worker = runtime_of(self).deps(), worker_name()
    processed = inbox.process_pagerduty_delivery(deps, delivery_id, worker)
    if processed is None or processed.intake.incident_id is None:
        return
    intake, incident_id = processed.intake, processed.intake.incident_id
    if sync.worth_applying(deps, intake.changes, intake.agent_id):
        self.app.send_task(
            queueing.SYNC_PAGERDUTY_CHANGES,
            args=[incident_id, list(intake.changes), intake.note, intake.agent_id],
            ignore_result=True,
        )
    if intake.invite_pagerduty_users:
        self.app.send_task(
            queueing.INVITE_PAGERDUTY_USERS,
            args=[incident_id, list(intake.invite_pagerduty_users)],
            ignore_result=True,
        )
    # Last: this task goes on to run the war room itself.
    flow.run_claimed(deps, processed.war_room, worker, retries_of(self, incident_id))


@shared_task(
    bind=True,
    name=queueing.INVITE_PAGERDUTY_USERS,
    max_retries=STEP_MAX_RETRIES,
    ignore_result=True,
    autoretry_for=(Retryable,),
    retry_backoff=True,
    retry_jitter=True,
)
def invite_pagerduty_users(self: Task, incident_id: int, user_ids: list[str]) -> None:
    """Bring people PagerDuty added to an incident into its war room."""
    newcomers.invite_pagerduty_users(runtime_of(self).deps(), incident_id, user_ids)


@shared_task(bind=True, name=queueing.RUN_WAR_ROOM_STEP, ignore_result=True)
def run_war_room_step(self: Task, incident_id: int, step: str) -> None:
    """Run one step of the war-room graph (a retry, or one the reconciler found stalled), then go
    on with whatever it made ready."""
    drive_war_room(self, incident_id, [step])


@shared_task(bind=True, name=queueing.SYNC_PAGERDUTY_CHANGES, ignore_result=True)
def sync_pagerduty_changes(
    self: Task, incident_id: int, changes: list[str], note: str, agent_id: str | None
) -> None:
    """Show in Slack and Jira what people changed in PagerDuty."""
    sync.apply_pagerduty_changes(
        runtime_of(self).deps(), incident_id, changes, note=note, agent_id=agent_id
    )


@shared_task(bind=True, name=queueing.HOUSEKEEPING, ignore_result=True)
def housekeeping(self: Task) -> None:
    """Archive resolved war rooms, remind quiet leads, catch up with PagerDuty."""
    deps, now = runtime_of(self).deps(), datetime.now(UTC)
    chores.archive_resolved(deps, now)
    chores.remind_quiet_incidents(deps, now)
    chores.sweep_pagerduty(deps, now)


@shared_task(bind=True, name=queueing.RECONCILE, ignore_result=True)
def reconcile(self: Task) -> None:
    """Re-drive deliveries and war-room steps that were recorded but never finished."""
    runtime = runtime_of(self)
    stalled = stalled_work(runtime.deps(), datetime.now(UTC))
    for delivery_id, source in stalled.deliveries:
        task = PROCESSORS.get(source)
        if task is not None:
            self.app.send_task(task, args=[delivery_id], ignore_result=True)
    for incident_id, step in stalled.steps:
        start_steps(self, incident_id, [step])
