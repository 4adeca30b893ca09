"""War-room steps: each step of each incident is run by one worker at a time and, once done, keeps
its result (channel id, issue key, ...) so that a re-run flow skips it.

None of these functions commit. A claim becomes visible to other workers when the claiming
transaction commits, so commit right after `claim_step`, before the step's slow external call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from multivac.store.models import StepResult, StepStatus, utcnow
from multivac.store.statements import insert_or_ignore, rows_updated, upsert

# Longer than any step's external calls with their retries: an older claim's worker is dead.
DEFAULT_STEP_TIMEOUT = timedelta(minutes=5)
MAX_ERROR_LENGTH = 4000


def queue_steps(session: Session, incident_id: int, steps: Sequence[str]) -> list[str]:
    """Mark the steps that have no row yet as queued (handed to a worker, not started), in one
    statement; the ones this call queued, in the order given. Of concurrent callers queuing the same
    step exactly one gets it back, so each step is handed to a worker once."""
    if not steps:
        return []
    now = utcnow()
    rows = [
        {
            "incident_id": incident_id,
            "step": step,
            "status": StepStatus.QUEUED,
            "attempts": 0,
            "claimed_at": now,
        }
        for step in sorted(set(steps))
    ]
    statement = insert_or_ignore(
        session, StepResult, rows, conflict_on=["incident_id", "step"]
    ).returning(StepResult.step)
    queued = set(session.scalars(statement))
    return [step for step in steps if step in queued]


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
    now = utcnow()
    values = {
        "incident_id": incident_id,
        "step": step,
        "status": StepStatus.CLAIMED,
        "attempts": 1,
        "claimed_by": worker,
        "claimed_at": now,
    }
    inserted = insert_or_ignore(
        session, StepResult, values, conflict_on=["incident_id", "step"]
    ).returning(StepResult.attempts)
    attempt = session.scalar(inserted)
    if attempt is not None:
        return attempt
    claimable = or_(
        StepResult.status.in_([StepStatus.QUEUED, StepStatus.FAILED]),
        and_(StepResult.status == StepStatus.CLAIMED, StepResult.claimed_at < now - stale_after),
    )
    statement = (
        update(StepResult)
        .where(StepResult.incident_id == incident_id, StepResult.step == step, claimable)
        .values(
            status=StepStatus.CLAIMED,
            claimed_by=worker,
            claimed_at=now,
            attempts=StepResult.attempts + 1,
            error=None,
        )
        .returning(StepResult.attempts)
        .execution_options(synchronize_session=False)
    )
    return session.scalar(statement)


def complete_step(session: Session, incident_id: int, step: str, result: dict[str, Any]) -> None:
    """Store the step's result and mark it done, whether or not it was claimed (the last completion
    wins). From then on `claim_step` returns None and `step_result` returns `result`."""
    now = utcnow()
    values = {
        "incident_id": incident_id,
        "step": step,
        "status": StepStatus.DONE,
        "result": result,
        "error": None,
        "attempts": 1,
        "claimed_at": now,
        "finished_at": now,
    }
    session.execute(
        upsert(
            session,
            StepResult,
            values,
            conflict_on=["incident_id", "step"],
            update=["status", "result", "error", "finished_at"],
        )
    )


ABANDONED = {"abandoned": True}


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
    statement = select(StepResult.step, StepResult.result).where(
        StepResult.incident_id == incident_id, StepResult.status == StepStatus.DONE
    )
    return {row.step: row.result or {} for row in session.execute(statement)}
