"""PagerDuty deliveries: recorded as received, then processed once (claim, parse, take into the
incident record, finish) in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from multivac.incidents.intake import Intake, take_pagerduty_event
from multivac.incidents.pagerduty_events import MalformedEvent, PagerDutyEvent, parse_document
from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.flow import Claimed, claim_first_in
from multivac.store.database import transaction
from multivac.store.deliveries import (
    claim_delivery,
    claim_delivery_payload,
    fail_delivery,
    finish_delivery,
    record_delivery,
)
from multivac.store.models import DeliverySource, DeliveryStatus

log = logging.getLogger(__name__)


def record_pagerduty_delivery(
    session: Session, event: PagerDutyEvent, payload: dict[str, Any], webhook_id: str | None
) -> int | None:
    """Record a PagerDuty webhook as received (deduplicated on its webhook id, else its event id,
    and on its event id): the new delivery's id, or None when it was recorded already."""
    delivery = record_delivery(
        session,
        source=DeliverySource.PAGERDUTY,
        dedup_key=webhook_id or event.id,
        event_id=event.id,
        event_type=event.event_type,
        resource_id=event.incident_id,
        occurred_at=event.occurred_at,
        payload=payload,
    )
    return None if delivery is None else delivery.id


@dataclass(frozen=True)
class Processed:
    intake: Intake
    war_room: Claimed | None = None  # the first steps of the war room it starts, claimed


def process_pagerduty_delivery(deps: Deps, delivery_id: int, worker: str) -> Processed | None:
    """None when another worker has it or it is already finished (or it is not a PagerDuty
    event: finished as ignored); otherwise what it changed, and, when it starts a war room, its
    first steps, claimed for `worker` (to run them at once).

    The delivery's claim, the incident update, the first steps and the delivery's completion
    commit together, so a crash in between leaves the delivery to be processed again, never
    half-applied. An error while taking it in is recorded on the delivery (a failed attempt, for
    the reconciler to re-drive up to its limit of attempts) and raised.
    """
    try:
        with transaction(deps.sessions) as session:
            payload = claim_delivery_payload(session, delivery_id, worker)
            return None if payload is None else _take(session, deps, delivery_id, payload, worker)
    except Exception as error:
        _record_failure(deps, delivery_id, worker, error)
        raise


def _take(
    session: Session, deps: Deps, delivery_id: int, payload: dict[str, Any], worker: str
) -> Processed | None:
    try:
        event = parse_document(payload)
    except MalformedEvent as error:  # recorded by an older version that checked less
        log.warning("delivery %s is not a PagerDuty event: %s", delivery_id, error)
        finish_delivery(session, delivery_id, status=DeliveryStatus.IGNORED)
        return None
    intake = take_pagerduty_event(session, event, deps.settings.incidents)
    first_steps = None
    if intake.start_war_room and intake.incident_id is not None:
        first_steps = claim_first_in(session, deps, intake.incident_id, worker)
    finish_delivery(session, delivery_id)
    return Processed(intake, first_steps)


def _record_failure(deps: Deps, delivery_id: int, worker: str, error: Exception) -> None:
    """Count the failed attempt: the claim that counted it was rolled back with the rest."""
    try:
        with transaction(deps.sessions) as session:
            if claim_delivery(session, delivery_id, worker):
                fail_delivery(session, delivery_id, f"{type(error).__name__}: {error}")
    except SQLAlchemyError:
        log.exception("could not record that delivery %s failed", delivery_id)
