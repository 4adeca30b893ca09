"""Finding work that was recorded but never finished (a lost Redis message, a killed worker).

Deliveries recorded but not processed, and war rooms with steps that could run but were never
started, or whose worker died holding them, are handed back to the caller to enqueue again.
Re-enqueuing is always safe: deliveries and steps are claimed before they run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.flow import advance
from multivac.store.database import transaction
from multivac.store.deliveries import unfinished_deliveries
from multivac.store.incidents import war_rooms_since
from multivac.store.models import StepStatus
from multivac.store.steps import DEFAULT_STEP_TIMEOUT, step_rows

DELIVERY_GRACE = timedelta(seconds=30)
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
    for incident_id in incident_ids:
        stalled.steps += [(incident_id, step) for step in advance(deps, incident_id)]
        stalled.steps += [(incident_id, step) for step in _abandoned_claims(deps, incident_id, now)]
    return stalled


def _abandoned_claims(deps: Deps, incident_id: int, now: datetime) -> list[str]:
    with transaction(deps.sessions) as session:
        rows = step_rows(session, incident_id)
    return [
        row.step
        for row in rows
        if row.status == StepStatus.CLAIMED
        and row.claimed_at is not None
        and row.claimed_at < now - DEFAULT_STEP_TIMEOUT
    ]
