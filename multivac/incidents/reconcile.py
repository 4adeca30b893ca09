"""Finding work that was recorded but never finished (a lost Redis message, a killed worker).

Deliveries recorded but not processed, and war-room steps that could run but were never handed
to a worker, were handed over but never started, were claimed by a worker that died, or wait for
a retry that never came, are handed back to the caller to enqueue again. Re-enqueuing is always
safe: deliveries and steps are claimed before they run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.flow import start
from multivac.store.database import transaction
from multivac.store.deliveries import unfinished_deliveries
from multivac.store.incidents import war_rooms_since
from multivac.store.models import StepResult, StepStatus
from multivac.store.steps import ABANDONED, DEFAULT_STEP_TIMEOUT, step_rows

DELIVERY_GRACE = timedelta(seconds=30)
# A queued step normally starts within milliseconds; this long means its message was lost
# (generous, so that a deep queue during an alert storm is not mistaken for a loss).
QUEUED_GRACE = timedelta(minutes=2)
WAR_ROOM_HORIZON = timedelta(days=2)


@dataclass
class Stalled:
    deliveries: list[tuple[int, str]] = field(default_factory=list)  # (id, source)
    steps: list[tuple[int, str]] = field(default_factory=list)


def stalled_work(deps: Deps, now: datetime) -> Stalled:
    stalled = Stalled()
    with transaction(deps.sessions) as session:
        stalled.deliveries = [
            (d.id, str(d.source)) for d in unfinished_deliveries(session, now - DELIVERY_GRACE)
        ]
        incident_ids = war_rooms_since(session, now - WAR_ROOM_HORIZON)
    retry_overdue = timedelta(seconds=deps.settings.worker.max_retry_delay_seconds) + QUEUED_GRACE
    for incident_id in incident_ids:
        stalled.steps += [(incident_id, step) for step in start(deps, incident_id)]
        with transaction(deps.sessions) as session:
            rows = step_rows(session, incident_id)
        stalled.steps += [
            (incident_id, row.step) for row in rows if _stuck(row, now, retry_overdue)
        ]
    return stalled


def _stuck(row: StepResult, now: datetime, retry_overdue: timedelta) -> bool:
    """Handed over but never started, started by a worker that died, or failed with a retry due
    long ago."""
    if row.status == StepStatus.QUEUED:
        return _before(row.claimed_at, now - QUEUED_GRACE)
    if row.status == StepStatus.CLAIMED:
        return _before(row.claimed_at, now - DEFAULT_STEP_TIMEOUT)
    if row.status == StepStatus.FAILED and row.result != ABANDONED:
        return _before(row.finished_at, now - retry_overdue)
    return False


def _before(moment: datetime | None, limit: datetime) -> bool:
    return moment is not None and moment < limit
