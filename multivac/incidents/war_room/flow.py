"""Running the war-room graph: one step at a time, any number of times, by any worker.

`start` queues the steps that can run now; `run_step` claims a step in the database (so two
workers never both run it), runs it, and records its result together with its effects, queuing
in the same transaction the steps it made ready (so each is handed to a worker exactly once).
`drive` runs a step and then goes on with one of the steps it made ready, handing the others
to other workers: the critical path never waits for a queue between two steps. Nothing here
knows about Celery; the caller says how to hand a step over and how to retry one later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from multivac.incidents.retrying import backoff_seconds
from multivac.incidents.war_room import assemble, messages, present
from multivac.incidents.war_room.context import Deps, StepContext, StepOutput, load_context
from multivac.incidents.war_room.graph import STEPS, StepState, ready
from multivac.integrations.errors import IntegrationError, Retryable
from multivac.store.database import transaction
from multivac.store.incidents import lock_incident
from multivac.store.models import StepStatus
from multivac.store.steps import claim_step, complete_step, fail_step, queue_steps, step_states
from multivac.store.timeline import add_timeline

log = logging.getLogger(__name__)

# A step is tried this many times before it is abandoned (and people are told).
MAX_ATTEMPTS = 11

RUNNERS: dict[str, Callable[[StepContext], StepOutput]] = {
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
    attempt: int = 0
    retry_after: float | None = None
    error: str | None = None
    next_steps: tuple[str, ...] = ()  # steps this outcome made ready and queued, to hand over


def _states(session: Session, incident_id: int) -> dict[str, StepState]:
    found = {}
    for row in step_states(session, incident_id):
        if row.status == StepStatus.DONE:
            found[row.step] = StepState.DONE
        elif row.status == StepStatus.QUEUED:
            found[row.step] = StepState.QUEUED
        elif row.status == StepStatus.CLAIMED:
            found[row.step] = StepState.RUNNING
        elif row.abandoned:
            found[row.step] = StepState.FAILED
        else:
            found[row.step] = StepState.RETRYING
    return found


def states(deps: Deps, incident_id: int) -> dict[str, StepState]:
    with transaction(deps.sessions) as session:
        return _states(session, incident_id)


def queue_ready(session: Session, incident_id: int) -> tuple[str, ...]:
    """Queue, in the caller's transaction, the steps that can start now and were never handed to
    anyone; the ones queued. Call it after `lock_incident` in a transaction that changes a step,
    so that of two steps finishing together the second sees the first (and what they both
    unblock is queued)."""
    return tuple(queue_steps(session, incident_id, ready(_states(session, incident_id))))


def start_in(session: Session, incident_id: int) -> tuple[str, ...]:
    """Queue, in the caller's transaction, the steps that can start now and have not been handed
    to anyone; the caller hands these (and only these) to workers once it commits. Safe to call
    again: it finds nothing more to queue."""
    lock_incident(session, incident_id)
    return queue_ready(session, incident_id)


def start(deps: Deps, incident_id: int) -> list[str]:
    """`start_in` in a transaction of its own."""
    with transaction(deps.sessions) as session:
        return list(start_in(session, incident_id))


def drive(
    deps: Deps,
    incident_id: int,
    steps: Sequence[str],
    worker: str,
    *,
    hand_over: Callable[[list[str]], None],
    retry_later: Callable[[str, float], None],
    max_retry_delay: float,
) -> None:
    """Run the first of `steps` here and `hand_over` the rest; then go on the same way with the
    steps that one made ready, until it makes none. A step to retry is given to `retry_later`
    with its delay (backoff with jitter, or the service's Retry-After)."""
    todo = list(steps)
    while todo:
        step, others = todo[0], todo[1:]
        if others:
            hand_over(others)
        outcome = run_step(deps, incident_id, step, worker)
        if outcome.result == Result.RETRY:
            delay = backoff_seconds(outcome.attempt - 1, outcome.retry_after, cap=max_retry_delay)
            retry_later(step, delay)
        todo = list(outcome.next_steps)


def run_step(deps: Deps, incident_id: int, step: str, worker: str) -> Outcome:
    """Run `step` once. Transient failures ask for a retry until the step's last attempt; other
    failures, and a last attempt that fails, abandon the step and tell the channel in plain
    words."""
    with transaction(deps.sessions) as session:
        # Read first, claim last: on SQLite the claim takes the write lock, held until commit.
        found = load_context(session, deps, incident_id)
        if found is None:  # a stray message about no incident
            log.warning("war room step %s for unknown incident %s skipped", step, incident_id)
            return Outcome(Result.SKIPPED)
        attempt = claim_step(session, incident_id, step, worker)
        if attempt is None:
            return Outcome(Result.SKIPPED)
    ctx = replace(found, attempt=attempt)
    try:
        output = RUNNERS[step](ctx)
    except Retryable as error:
        if attempt >= MAX_ATTEMPTS:
            return _abandon(ctx, step, error)
        with transaction(deps.sessions) as session:
            lock_incident(session, incident_id)
            fail_step(session, incident_id, step, str(error))
            # An optional step's first failure lets its dependents go ahead without it.
            unblocked = queue_ready(session, incident_id) if STEPS[step].optional else ()
        return Outcome(Result.RETRY, attempt, error.retry_after, str(error), unblocked)
    except IntegrationError as error:
        return _abandon(ctx, step, error)
    return Outcome(Result.DONE, attempt, next_steps=record_done(deps, incident_id, step, output))


def record_done(deps: Deps, incident_id: int, step: str, output: StepOutput) -> tuple[str, ...]:
    """Store the step's result and its effects, and queue what that made ready (returned, for the
    caller to hand over), in one transaction. Of steps finishing at the same moment, the last to
    commit sees all of them done: what needs them all is queued, once."""
    with transaction(deps.sessions) as session:
        lock_incident(session, incident_id)
        complete_step(session, incident_id, step, output.result)
        if output.record is not None:
            output.record(session)
        return queue_ready(session, incident_id)


def _abandon(ctx: StepContext, step: str, error: IntegrationError) -> Outcome:
    incident_id = ctx.incident.id
    log.warning("war room step %s of incident %s abandoned: %s", step, incident_id, error)
    with transaction(ctx.deps.sessions) as session:
        lock_incident(session, incident_id)
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
        unblocked = queue_ready(session, incident_id)
    _tell_people(ctx, step, str(error))
    return Outcome(Result.ABANDONED, ctx.attempt, error=str(error), next_steps=unblocked)


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
