"""Recorded deliveries, processed once: claim, parse, take into the incident record, finish."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from multivac.incidents.intake import Intake, take_pagerduty_event
from multivac.incidents.pagerduty_events import MalformedEvent, parse_document
from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.flow import Claimed, claim_first_in
from multivac.store.database import transaction
from multivac.store.deliveries import claim_delivery_payload, finish_delivery
from multivac.store.models import DeliveryStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Processed:
    intake: Intake
    war_room: Claimed | None = None  # the first steps of the war room it starts, claimed


def process_pagerduty_delivery(deps: Deps, delivery_id: int, worker: str) -> Processed | None:
    """None when another worker has it or it is already finished; otherwise what it changed,
    and, when it starts a war room, its first steps, claimed for `worker` (to run them at once).

    The incident update, the first steps and the delivery's completion commit together, so a
    crash in between leaves the delivery to be processed again, never half-applied.
    """
    sessions = deps.sessions
    with transaction(sessions) as session:
        payload = claim_delivery_payload(session, delivery_id, worker)
    if payload is None:
        return None
    try:
        event = parse_document(payload)
    except MalformedEvent as error:  # recorded by an older version that checked less
        log.warning("delivery %s is not a PagerDuty event: %s", delivery_id, error)
        with transaction(sessions) as session:
            finish_delivery(session, delivery_id, status=DeliveryStatus.IGNORED)
        return None
    with transaction(sessions) as session:
        intake = take_pagerduty_event(session, event, deps.settings.incidents)
        first_steps = None
        if intake.start_war_room and intake.incident_id is not None:
            first_steps = claim_first_in(session, deps, intake.incident_id, worker)
        finish_delivery(session, delivery_id)
    return Processed(intake, first_steps)
