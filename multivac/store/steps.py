"""War-room steps: each step of each incident is run by one worker at a time and, once done, keeps
its result (channel id, issue key, ...) so that a re-run flow skips it.

None of these functions commit. A claim becomes visible to other workers when the claiming
transaction commits, so commit right after `claim_step`, before the step's slow external call.

The statements a war room runs for every step are built once and run with parameters: building
a SQLAlchemy statement costs several times more than running a cached one, and these run at the
moments the war room is waiting for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from multivac.store.models import StepResult, StepStatus, utcnow
from multivac.store.statements import (
    dialect_of,
    insert_or_ignore_template,
    rows_updated,
    table_of,
    upsert_template,
)

# Longer than any step's external calls with their retries: an older claim's worker is dead.
DEFAULT_STEP_TIMEOUT = timedelta(minutes=5)
MAX_ERROR_LENGTH = 4000
ABANDONED = {"abandoned": True}

STEPS = table_of(StepResult)
KEY = ("incident_id", "step")
_CLAIM_AGAIN = (
    update(STEPS)
    .where(
        STEPS.c.incident_id == bindparam("p_incident"),
        STEPS.c.step.in_(bindparam("p_steps", expanding=True)),
        or_(
            STEPS.c.status.in_([StepStatus.QUEUED, StepStatus.FAILED]),
            and_(
                STEPS.c.status == StepStatus.CLAIMED,
                STEPS.c.claimed_at < bindparam("p_stale_before"),
            ),
        ),
    )
    .values(
        status=StepStatus.CLAIMED,
        claimed_by=bindparam("p_worker"),
        claimed_at=bindparam("p_now"),
        attempts=STEPS.c.attempts + 1,
        error=None,
    )
    .returning(STEPS.c.step, STEPS.c.attempts)
)
_STATES = select(STEPS.c.step, STEPS.c.status, STEPS.c.result).where(
    STEPS.c.incident_id == bindparam("p_incident")
)
_DONE = select(STEPS.c.step, STEPS.c.result).where(
    STEPS.c.incident_id == bindparam("p_incident"), STEPS.c.status == StepStatus.DONE
)


@dataclass(frozen=True)
class StepRow:
    """A step's row as the flow needs it."""

    step: str
    status: StepStatus
    abandoned: bool  # failed for good: no retry will follow
    result: dict[str, Any] | None  # what it found or made, once done


def queue_steps(
    session: Session, incident_id: int, steps: Sequence[str], *, claimed_by: str | None = None
) -> list[str]:
    """Mark the steps that have no row yet as queued (handed to a worker, not started), or as
    claimed by `claimed_by` (its first attempt), in one statement; the ones this call got, in
    the order given. Of concurrent callers asking for the same step exactly one gets it back, so
    each step is handed to one worker once."""
    if not steps:
        return []
    now = utcnow()
    status = StepStatus.QUEUED if claimed_by is None else StepStatus.CLAIMED
    # Rows in one order for every caller: two transactions inserting the same keys in opposite
    # orders would deadlock on PostgreSQL.
    rows = [
        {
            "incident_id": incident_id,
            "step": step,
            "status": status,
            "attempts": 0 if claimed_by is None else 1,
            "claimed_by": claimed_by,
            "claimed_at": now,
        }
        for step in sorted(set(steps))
    ]
    statement = insert_or_ignore_template(dialect_of(session), STEPS, KEY).returning(STEPS.c.step)
    got = set(session.scalars(statement, rows))
    return [step for step in steps if step in got]


def claim_step(
    session: Session,
    incident_id: int,
    step: str,
    worker: str,
    *,
    stale_after: timedelta = DEFAULT_STEP_TIMEOUT,
) -> int | None:
    """The attempt number (1 for the first run) when `worker` may run the step now: it is queued
    or has no row, its last run failed, or its claim is older than `stale_after`. None when it is
    done or freshly claimed by someone.

    Atomic: of simultaneous claimers exactly one gets a number (the others wait for its
    transaction to end, then see its claim). Claiming counts an attempt and clears the last error.
    """
    return claim_steps(session, incident_id, [step], worker, stale_after=stale_after).get(step)


def claim_steps(
    session: Session,
    incident_id: int,
    steps: Sequence[str],
    worker: str,
    *,
    stale_after: timedelta = DEFAULT_STEP_TIMEOUT,
) -> dict[str, int]:
    """`claim_step` for several steps in two statements at most: the attempt number of each step
    `worker` got, by step."""
    if not steps:
        return {}
    now, wanted = utcnow(), sorted(set(steps))
    parameters = {
        "p_incident": incident_id,
        "p_steps": wanted,
        "p_stale_before": now - stale_after,
        "p_worker": worker,
        "p_now": now,
    }
    claimed = {row.step: int(row.attempts) for row in session.execute(_CLAIM_AGAIN, parameters)}
    unseen = [step for step in wanted if step not in claimed]
    if unseen:  # no row yet, or one another worker holds (which the insert leaves alone)
        first = queue_steps(session, incident_id, unseen, claimed_by=worker)
        claimed.update(dict.fromkeys(first, 1))
    return claimed


def complete_steps(
    session: Session, incident_id: int, finished: Sequence[tuple[str, dict[str, Any], datetime]]
) -> None:
    """Store each step's result and mark it done at its (step, result, finished at) end time, in
    one statement, whether or not it was claimed (the last completion wins). From then on
    `claim_step` returns None for it and `step_result` returns its result."""
    if not finished:
        return
    statement = upsert_template(
        dialect_of(session), STEPS, KEY, ("status", "result", "error", "finished_at")
    )
    rows = [
        {
            "incident_id": incident_id,
            "step": step,
            "status": StepStatus.DONE,
            "result": result,
            "error": None,
            "attempts": 1,
            "claimed_at": at,
            "finished_at": at,
        }
        # One order for every caller, as in `queue_steps`.
        for step, result, at in sorted(finished, key=lambda done: done[0])
    ]
    session.execute(statement, rows)


def fail_step(
    session: Session, incident_id: int, step: str, error: str, *, abandoned: bool = False
) -> bool:
    """Record that the claimed step failed; it becomes claimable again at once. A step already done
    stays done (False is returned). `abandoned` marks a failure that no retry will follow (the
    flow treats the step as settled)."""
    statement = (
        update(StepResult)
        .where(
            StepResult.incident_id == incident_id,
            StepResult.step == step,
            StepResult.status != StepStatus.DONE,
        )
        .values(
            status=StepStatus.FAILED,
            error=error[:MAX_ERROR_LENGTH],
            finished_at=utcnow(),
            result=ABANDONED if abandoned else None,
        )
        .execution_options(synchronize_session="fetch")
    )
    return rows_updated(session, statement) == 1


def step_states(session: Session, incident_id: int) -> list[StepRow]:
    """Every started step of the incident with its state and, once done, its result (one light
    query, for the flow)."""
    return [
        StepRow(
            row.step,
            StepStatus(row.status),
            row.result == ABANDONED,
            (row.result or {}) if row.status == StepStatus.DONE else None,
        )
        for row in session.execute(_STATES, {"p_incident": incident_id})
    ]


def step_rows(session: Session, incident_id: int) -> list[StepResult]:
    """Every started step of the incident, whatever its state."""
    return list(session.scalars(select(StepResult).where(StepResult.incident_id == incident_id)))


def step_result(session: Session, incident_id: int, step: str) -> dict[str, Any] | None:
    """The result of a done step; None while it is not done."""
    statement = select(StepResult.result).where(
        StepResult.incident_id == incident_id,
        StepResult.step == step,
        StepResult.status == StepStatus.DONE,
    )
    row = session.execute(statement).first()
    return None if row is None else (row.result or {})


def completed_steps(session: Session, incident_id: int) -> dict[str, dict[str, Any]]:
    """Every done step of the incident with its result."""
    return {
        row.step: row.result or {} for row in session.execute(_DONE, {"p_incident": incident_id})
    }
