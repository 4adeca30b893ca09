"""Running the war-room graph: one step at a time, any number of times, by any worker.

`run_step` claims the step in the database (so two workers never both run it), runs it, and
records its result or its failure. `advance` says which steps can start now. The caller (a
Celery task) enqueues those and retries failed steps; nothing here knows about Celery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from multivac.incidents.war_room import assemble, messages, present
from multivac.incidents.war_room.context import Deps, StepContext, load_context
from multivac.incidents.war_room.graph import STEPS, StepState, ready
from multivac.integrations.errors import IntegrationError, Retryable
from multivac.store.database import transaction
from multivac.store.incidents import get_incident
from multivac.store.models import StepStatus
from multivac.store.steps import claim_step, complete_step, fail_step, step_rows
from multivac.store.timeline import add_timeline

log = logging.getLogger(__name__)

RUNNERS: dict[str, Callable[[StepContext], dict[str, Any]]] = {
    "channel": present.channel,
    "responders": assemble.responders,
    "jira": assemble.jira,
    "invite": present.invite,
    "topic": present.topic,
    "bookmarks": present.bookmarks,
    "summary": present.summary,
    "pagerduty_note": present.pagerduty_note,
    "jira_late": present.jira_late,
}


class Result(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"  # another worker holds it, or it is already done
    RETRY = "retry"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class Outcome:
    result: Result
    retry_after: float | None = None
    error: str | None = None
    next_steps: tuple[str, ...] = ()  # steps this outcome made ready, to enqueue


def _states(session: Session, incident_id: int) -> dict[str, StepState]:
    found = {}
    for row in step_rows(session, incident_id):
        if row.status == StepStatus.DONE:
            found[row.step] = StepState.DONE
        elif row.status == StepStatus.CLAIMED:
            found[row.step] = StepState.RUNNING
        elif (row.result or {}).get("abandoned"):
            found[row.step] = StepState.FAILED
        else:
            found[row.step] = StepState.RETRYING
    return found


def states(deps: Deps, incident_id: int) -> dict[str, StepState]:
    with transaction(deps.sessions) as session:
        return _states(session, incident_id)


def advance(deps: Deps, incident_id: int) -> list[str]:
    """The steps that can start now. Enqueuing one twice is harmless: only one claim succeeds."""
    return ready(states(deps, incident_id))


def run_step(
    deps: Deps, incident_id: int, step: str, worker: str, *, last_attempt: bool
) -> Outcome:
    """Run `step` once. Transient failures ask for a retry unless `last_attempt`; other failures,
    and a last attempt that fails, abandon the step and tell the channel in plain words."""
    with transaction(deps.sessions) as session:
        if get_incident(session, incident_id) is None:  # a stray message about no incident
            log.warning("war room step %s for unknown incident %s skipped", step, incident_id)
            return Outcome(Result.SKIPPED)
        if not claim_step(session, incident_id, step, worker):
            return Outcome(Result.SKIPPED)
        attempt = next(r.attempts for r in step_rows(session, incident_id) if r.step == step)
        ctx = load_context(session, deps, incident_id, attempt)
    try:
        result = RUNNERS[step](ctx)
    except Retryable as error:
        if last_attempt:
            return _abandon(ctx, step, error)
        with transaction(deps.sessions) as session:
            fail_step(session, incident_id, step, str(error))
            # An optional step's first failure lets its dependents go ahead without it.
            unblocked = ready(_states(session, incident_id)) if STEPS[step].optional else []
        return Outcome(Result.RETRY, error.retry_after, str(error), tuple(unblocked))
    except IntegrationError as error:
        return _abandon(ctx, step, error)
    with transaction(deps.sessions) as session:
        complete_step(session, incident_id, step, result)
        unblocked = ready(_states(session, incident_id))
    return Outcome(Result.DONE, next_steps=tuple(unblocked))


def _abandon(ctx: StepContext, step: str, error: IntegrationError) -> Outcome:
    incident_id = ctx.incident.id
    log.warning("war room step %s of incident %s abandoned: %s", step, incident_id, error)
    with transaction(ctx.deps.sessions) as session:
        fail_step(session, incident_id, step, str(error), abandoned=True)
        add_timeline(
            session,
            incident_id,
            "step_failed",
            messages.failure_text(step, str(error)),
            datetime.now(UTC),
            source="multivac",
            dedup_key=f"step_failed:{step}",
        )
        unblocked = ready(_states(session, incident_id))
    _tell_people(ctx, step, str(error))
    return Outcome(Result.ABANDONED, error=str(error), next_steps=tuple(unblocked))


def _tell_people(ctx: StepContext, step: str, message: str) -> None:
    """Best effort: in the channel if there is one, else as a note on the PagerDuty incident."""
    text = messages.failure_text(step, message)
    channel = ctx.result("channel") or {}
    try:
        if channel.get("id"):
            ctx.deps.chat.post_message(channel_id=channel["id"], text=text)
        elif ctx.incident.pagerduty_id:
            ctx.deps.pager.add_note(incident_id=ctx.incident.pagerduty_id, content=text)
    except IntegrationError as error:
        log.warning("could not report the failure of %s: %s", step, error)
