"""Recorded deliveries, processed once: claim, parse, take into the incident record, finish."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from multivac.incidents.intake import Intake, take_pagerduty_event
from multivac.incidents.pagerduty_events import MalformedEvent, parse_document
from multivac.settings import IncidentSettings
from multivac.store.database import transaction
from multivac.store.deliveries import claim_delivery, finish_delivery, get_delivery
from multivac.store.models import DeliveryStatus

log = logging.getLogger(__name__)


def process_pagerduty_delivery(
    sessions: sessionmaker[Session], rules: IncidentSettings, delivery_id: int, worker: str
) -> Intake | None:
    """None when another worker has it or it is already finished; otherwise what it changed.

    The incident update and the delivery's completion commit together, so a crash in between
    leaves the delivery to be processed again, never half-applied.
    """
    with transaction(sessions) as session:
        if not claim_delivery(session, delivery_id, worker):
            return None
        delivery = get_delivery(session, delivery_id)
        payload = delivery.payload if delivery is not None else None
    try:
        event = parse_document(payload)
    except MalformedEvent as error:  # recorded by an older version that checked less
        log.warning("delivery %s is not a PagerDuty event: %s", delivery_id, error)
        with transaction(sessions) as session:
            finish_delivery(session, delivery_id, status=DeliveryStatus.IGNORED)
        return None
    with transaction(sessions) as session:
        intake = take_pagerduty_event(session, event, rules)
        finish_delivery(session, delivery_id)
    return intake
