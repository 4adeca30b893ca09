"""Celery tasks for Slack: slash commands, button clicks, modal submissions and events.

Each is thin: it rebuilds what the web edge recorded, calls one domain function and returns. None
retries: a command is not idempotent (it posts announcements), so a failure is told to the person,
who can run it again.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from multivac import queueing
from multivac.incidents import declare, slack_events
from multivac.incidents.commands import dispatch
from multivac.incidents.declare_modal import CALLBACK_ID as DECLARE_CALLBACK
from multivac.incidents.declare_modal import DeclareRequest, parse_submission
from multivac.incidents.slack_commands import Invocation
from multivac.incidents.war_room import flow
from workers.tasks import drive_war_room, runtime_of, worker_name


@shared_task(bind=True, name=queueing.HANDLE_SLASH_COMMAND, ignore_result=True)
def handle_slash_command(self: Task, invocation: dict[str, Any]) -> None:
    """`/incident <text>`: parse, run, answer the person ephemeral."""
    dispatch.handle_invocation(runtime_of(self).deps(), Invocation(**invocation))


@shared_task(bind=True, name=queueing.HANDLE_BLOCK_ACTION, ignore_result=True)
def handle_block_action(self: Task, payload: dict[str, Any]) -> None:
    """A button on the summary message (Acknowledge, Resolve, Change severity)."""
    dispatch.handle_block_action(runtime_of(self).deps(), payload)


@shared_task(bind=True, name=queueing.HANDLE_VIEW_SUBMISSION, ignore_result=True)
def handle_view_submission(self: Task, payload: dict[str, Any]) -> None:
    """A submitted modal, by its callback id: declare, resolve or change severity."""
    callback = str((payload.get("view") or {}).get("callback_id", ""))
    if callback == DECLARE_CALLBACK:
        handle_declare_submission(self, payload)
    else:
        dispatch.handle_view_submission(runtime_of(self).deps(), payload)


def handle_declare_submission(task: Task, payload: dict[str, Any]) -> None:
    """The declare modal (already validated in the web edge's ack): record the incident and start
    its war room."""
    request = parse_submission(payload)
    if not isinstance(request, DeclareRequest):
        return  # the edge answered these errors in the ack; nothing to do
    deps = runtime_of(task).deps()
    incident_id = declare.declare(deps, request)
    drive_war_room(task, incident_id, flow.start(deps, incident_id))


@shared_task(bind=True, name=queueing.PROCESS_SLACK_EVENT, ignore_result=True)
def process_slack_event(self: Task, delivery_id: int) -> None:
    """A recorded Slack event: 🔧 by the lead and pinned messages go into the incident's timeline;
    the rest is finished as ignored. Idempotent: a claimed or finished delivery is left alone."""
    slack_events.process_slack_event(runtime_of(self).deps(), delivery_id, worker_name())
