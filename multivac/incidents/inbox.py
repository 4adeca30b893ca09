"""Recorded deliveries, processed once: claim, parse, take into the incident record, finish."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from multivac.incidents.intake import Intake, take_pagerduty_event
from multivac.incidents.pagerduty_events import MalformedEvent, parse_document
from multivac.incidents.war_room.flow import start_in
from multivac.settings import IncidentSettings
from multivac.store.database import transaction
from multivac.store.deliveries import claim_delivery_payload, finish_delivery
from multivac.store.models import DeliveryStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Processed:
    intake: Intake
    war_room_steps: tuple[str, ...] = ()  # the first steps of the war room it starts, queued


def process_pagerduty_delivery(
    sessions: sessionmaker[Session], rules: IncidentSettings, delivery_id: int, worker: str
) -> Processed | None:
    """None when another worker has it or it is already finished; otherwise what it changed,
    and, when it starts a war room, its first steps (queued: the caller hands them to workers).

    The incident update, the first steps and the delivery's completion commit together, so a
    crash in between leaves the delivery to be processed again, never half-applied.
    """
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
        intake = take_pagerduty_event(session, event, rules)
        steps: tuple[str, ...] = ()
        if intake.start_war_room and intake.incident_id is not None:
            steps = start_in(session, intake.incident_id)
        finish_delivery(session, delivery_id)
    return Processed(intake, steps)
