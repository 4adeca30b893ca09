"""Running the war-room graph: each step once, by whichever worker claims it, as soon as its
inputs exist.

A step is claimed in the database before it runs, so two workers never both run it. The
transaction that records a step's result, with the step's effects on the incident, also claims
for the same worker the steps that result made ready, and reads the context they start from:
`drive` then runs them at once, side by side on the process's step threads, and goes on the same way
with what each of them makes ready. No queue and no extra transaction stand between two steps
of the critical path, and a newly ready step is claimed by exactly one worker, once. Steps that
come from outside (a new war room, a retry, a step the reconciler found stalled) are claimed
together in one transaction. Nothing here knows about Celery: the caller says how to retry a
step later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from multivac.incidents.retrying import backoff_seconds
from multivac.incidents.war_room import assemble, messages, present
from multivac.incidents.war_room.context import Deps, StepContext, StepOutput, load_context
from multivac.incidents.war_room.graph import STEPS, StepState, ready
from multivac.incidents.war_room.grouping import GroupRecorder
from multivac.integrations.errors import IntegrationError, Retryable
from multivac.store.database import transaction
from multivac.store.incidents import lock_incident
from multivac.store.models import StepStatus, utcnow
from multivac.store.steps import (
    StepRow,
    claim_steps,
    complete_steps,
    fail_step,
    queue_steps,
    step_states,
)
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
class Claimed:
    """Steps one worker has claimed, with their attempt numbers, and the context they start from
    (read in the transaction that claimed them)."""

    context: StepContext
    attempts: dict[str, int]


@dataclass(frozen=True)
class Next:
    """The steps a change made ready: queued for any worker, or `claimed` for one."""

    steps: tuple[str, ...] = ()
    claimed: Claimed | None = None


@dataclass(frozen=True)
class Outcome:
    result: Result
    attempt: int = 0
    retry_after: float | None = None
    error: str | None = None
    next: Next = Next()


@dataclass(frozen=True)
class Finished:
    """A step that ran to its end: what it returned, and when it ended."""

    step: str
    output: StepOutput
    at: datetime


# Records a finished step and says what that made ready (for the recording branch to run).
Record = Callable[[int, Finished], Next]


@dataclass(frozen=True)
class Retries:
    """How the caller retries a step later: `later(step, delay)`, delays capped at `max_delay`."""

    later: Callable[[str, float], None]
    max_delay: float


def _states_of(rows: Sequence[StepRow]) -> dict[str, StepState]:
    found = {}
    for row in rows:
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
        return _states_of(step_states(session, incident_id))


def _take_ready(
    session: Session,
    deps: Deps | None,
    incident_id: int,
    worker: str | None,
    rows: Sequence[StepRow] | None = None,
) -> Next:
    """Queue, in the caller's transaction, the steps that can start now and were never handed to
    anyone; or, for a `worker`, claim them for it, with the context they start from (read here:
    the steps' rows just read give the results). Call it after `lock_incident` in a transaction
    that changes a step, so that of two steps finishing together the second sees the first (and
    what they both unblock is taken, once). `rows`: the steps' rows, when the caller knows them."""
    if rows is None:
        rows = step_states(session, incident_id)
    steps = tuple(queue_steps(session, incident_id, ready(_states_of(rows)), claimed_by=worker))
    if worker is None or deps is None or not steps:
        return Next(steps)
    results = {row.step: row.result for row in rows if row.result is not None}
    context = load_context(session, deps, incident_id, results)
    return Next(steps, None if context is None else Claimed(context, dict.fromkeys(steps, 1)))


def start_in(session: Session, incident_id: int) -> tuple[str, ...]:
    """Queue, in the caller's transaction, the steps that can start now and have not been handed
    to anyone; the caller hands these (and only these) to workers once it commits. Safe to call
    again: it finds nothing more to queue."""
    lock_incident(session, incident_id)
    return _take_ready(session, None, incident_id, None).steps


def start(deps: Deps, incident_id: int) -> list[str]:
    """`start_in` in a transaction of its own."""
    with transaction(deps.sessions) as session:
        return list(start_in(session, incident_id))


def claim_first_in(session: Session, deps: Deps, incident_id: int, worker: str) -> Claimed | None:
    """`start_in` for a war room whose start the caller's transaction has just claimed, claiming
    the steps for `worker` (to `run_claimed` once the caller commits) instead of queuing them.
    Such a war room has no steps yet, so they are not read (were one claimed all the same, by a
    stray message, the claim's insert would leave it to its holder)."""
    lock_incident(session, incident_id)
    return _take_ready(session, deps, incident_id, worker, rows=()).claimed


def claim(deps: Deps, incident_id: int, steps: Sequence[str], worker: str) -> Claimed | None:
    """Claim `steps` for `worker` in one transaction, with the context they start from; None
    when it got none of them (done, or another worker has them) or there is no such incident."""
    with transaction(deps.sessions) as session:
        # Read first, claim last: on SQLite the claim takes the write lock, held until commit.
        context = load_context(session, deps, incident_id)
        if context is None:  # a stray message about no incident
            log.warning("war room steps %s for unknown incident %s skipped", steps, incident_id)
            return None
        runnable = [step for step in steps if _inputs_exist(context, step)]
        if len(runnable) < len(steps):  # a stray message: the step is claimed once they exist
            log.warning(
                "war room steps %s of incident %s skipped: their inputs do not exist yet",
                sorted(set(steps) - set(runnable)),
                incident_id,
            )
        got = claim_steps(session, incident_id, runnable, worker)
    attempts = {step: got[step] for step in steps if step in got}  # in the order asked
    return Claimed(context, attempts) if attempts else None


def _inputs_exist(context: StepContext, step: str) -> bool:
    return all(need in context.results for need in STEPS[step].needs)


def drive(
    deps: Deps, incident_id: int, steps: Sequence[str], worker: str, retries: Retries
) -> None:
    """Claim `steps` and run them side by side; go on with the steps each one makes ready
    (claimed for this worker when it finishes) until none is ready. Returns when every branch
    has ended. A step to retry goes to `retries.later` with its delay (backoff with jitter, or
    the service's Retry-After)."""
    if steps:
        run_claimed(deps, claim(deps, incident_id, steps, worker), worker, retries)


def run_claimed(deps: Deps, claimed: Claimed | None, worker: str, retries: Retries) -> None:
    """Run steps claimed for `worker` side by side, as `drive` does, and return when every
    branch has ended; a branch's unexpected error is then raised here."""
    branches = _Branches(deps, worker, retries)
    try:
        branches.run(claimed)
    finally:
        branches.wait()


class _Branches:
    """The branches of one `run_claimed`: the first step of each claim runs on the thread that
    claimed it, the others on the process's step threads. A branch never waits for another
    (only `wait` does), so the step threads never fill up with waiting branches.

    Steps of an incident that finish while another of its steps is being recorded are recorded
    together, next, by the branch recording (`GroupRecorder`), which then runs what they made
    ready."""

    def __init__(self, deps: Deps, worker: str, retries: Retries) -> None:
        self._deps, self._worker, self._retries = deps, worker, retries
        self._pool: Executor = deps.threads.steps
        self._changed = threading.Condition()
        self._running = 0
        self._errors: list[BaseException] = []
        self._recorder = GroupRecorder[int, Finished, Next](self._record, self._start, Next())

    def run(self, claimed: Claimed | None) -> None:
        """Run the claimed steps, and what each makes ready, from this thread."""
        if claimed is None:
            return
        branches = self._branches(claimed)
        for ctx, step in branches[1:]:
            self._submit(ctx, step)
        self._run_step(*branches[0])

    def _start(self, made_ready: Next) -> None:
        """Run the claimed steps, and what each makes ready, on the step threads."""
        if made_ready.claimed is not None:
            for ctx, step in self._branches(made_ready.claimed):
                self._submit(ctx, step)

    def _record(self, incident_id: int, finished: list[Finished]) -> Next:
        return record_finished(self._deps, incident_id, finished, claim_next_for=self._worker)

    @staticmethod
    def _branches(claimed: Claimed) -> list[tuple[StepContext, str]]:
        return [
            (replace(claimed.context, attempt=attempt), step)
            for step, attempt in claimed.attempts.items()
        ]

    def _submit(self, ctx: StepContext, step: str) -> None:
        with self._changed:
            self._running += 1
        self._pool.submit(self._run_apart, ctx, step)

    def wait(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._running == 0)
            if self._errors:
                raise self._errors[0]

    def _run_step(self, ctx: StepContext, step: str) -> None:
        outcome = attempt_step(ctx, step, claim_next_for=self._worker, record=self._recorder.add)
        if outcome.result == Result.RETRY:
            cap = self._retries.max_delay
            self._retries.later(
                step, backoff_seconds(outcome.attempt - 1, outcome.retry_after, cap=cap)
            )
        self.run(outcome.next.claimed)

    def _run_apart(self, ctx: StepContext, step: str) -> None:
        try:
            self._run_step(ctx, step)
        except BaseException as error:
            log.exception("war room step %s of incident %s failed", step, ctx.incident.id)
            with self._changed:
                self._errors.append(error)
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()


def run_step(deps: Deps, incident_id: int, step: str, worker: str) -> Outcome:
    """Claim and run `step` once, queuing (not claiming) the steps it makes ready."""
    claimed = claim(deps, incident_id, [step], worker)
    if claimed is None:
        return Outcome(Result.SKIPPED)
    return attempt_step(replace(claimed.context, attempt=claimed.attempts[step]), step)


def attempt_step(
    ctx: StepContext,
    step: str,
    *,
    claim_next_for: str | None = None,
    record: Record | None = None,
) -> Outcome:
    """Run a claimed step once and record how it went. The steps that made ready are queued, or
    claimed for `claim_next_for`; a step that ran to its end is recorded by `record` when given,
    else alone. Transient failures ask for a retry until the step's last attempt; other
    failures, and a last attempt that fails, abandon the step and tell the channel in plain
    words."""
    deps, incident_id = ctx.deps, ctx.incident.id
    try:
        output = RUNNERS[step](ctx)
    except Retryable as error:
        if ctx.attempt >= MAX_ATTEMPTS:
            return _abandon(ctx, step, error, claim_next_for)
        with transaction(deps.sessions) as session:
            lock_incident(session, incident_id)
            fail_step(session, incident_id, step, str(error))
            # An optional step's first failure lets its dependents go ahead without it.
            unblocked = Next()
            if STEPS[step].optional:
                unblocked = _take_ready(session, deps, incident_id, claim_next_for)
        return Outcome(Result.RETRY, ctx.attempt, error.retry_after, str(error), unblocked)
    except IntegrationError as error:
        return _abandon(ctx, step, error, claim_next_for)
    finished = Finished(step, output, utcnow())
    if record is None:
        made_ready = record_finished(deps, incident_id, [finished], claim_next_for=claim_next_for)
    else:
        made_ready = record(incident_id, finished)
    return Outcome(Result.DONE, ctx.attempt, next=made_ready)


def record_finished(
    deps: Deps,
    incident_id: int,
    finished: Sequence[Finished],
    *,
    claim_next_for: str | None = None,
) -> Next:
    """Store the steps' results and their effects, and queue what that made ready (or claim it
    for `claim_next_for`), in one transaction. Of steps finishing at the same moment, the last
    to commit sees all of them done: what needs them all is taken, once.

    The incident is locked after the steps' own writes, so that steps finishing together wait
    for each other as briefly as can be. Rows that refer to the incident take a key-share lock
    on it, which its lock (FOR NO KEY UPDATE) lets through; updating the incident takes its lock.
    So results come first, and a step's `record` writes the incident itself last."""
    with transaction(deps.sessions) as session:
        complete_steps(
            session, incident_id, [(done.step, done.output.result, done.at) for done in finished]
        )
        for done in finished:
            if done.output.record is not None:
                done.output.record(session)
        lock_incident(session, incident_id)
        return _take_ready(session, deps, incident_id, claim_next_for)


def _abandon(
    ctx: StepContext, step: str, error: IntegrationError, claim_next_for: str | None
) -> Outcome:
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
        unblocked = _take_ready(session, ctx.deps, incident_id, claim_next_for)
    _tell_people(ctx, step, str(error))
    return Outcome(Result.ABANDONED, ctx.attempt, error=str(error), next=unblocked)


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
