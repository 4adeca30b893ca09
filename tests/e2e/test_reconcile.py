"""A lost queue message or a killed worker costs time, never an incident (DESIGN §4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from multivac.incidents.inbox import record_pagerduty_delivery
from multivac.incidents.intake import take_pagerduty_event
from multivac.incidents.pagerduty_events import parse_document
from multivac.queueing import RECONCILE
from multivac.sandbox.pagerduty.webhooks import envelope
from multivac.store.database import transaction
from multivac.store.models import Delivery
from multivac.testing.system import System

pytestmark = pytest.mark.integration


def silent_incident(system: System, title: str) -> tuple[str, dict[str, object]]:
    """A PagerDuty incident whose webhook never reached Multivac, and its envelope."""
    account = system.sandbox.sandbox.pagerduty
    for subscription in account.subscriptions.values():
        subscription.active = False
    paged = system.trigger(service="Bank Feeds", title=title, priority="P1")
    with system.sandbox.sandbox.lock:
        data = account.render.incident_data(account.incidents.find(paged["id"]))
    document = json.loads(envelope("incident.triggered", datetime.now(UTC), None, None, data))
    return str(paged["id"]), document


def reconcile(system: System) -> None:
    system.celery.send_task(RECONCILE, ignore_result=False).get(timeout=20)


def test_a_recorded_delivery_whose_message_was_lost_is_processed(system: System) -> None:
    pagerduty_id, document = silent_incident(system, "Lost message")
    event = parse_document(document)
    assert event.incident_id == pagerduty_id
    with transaction(system.runtime.sessions) as session:
        delivery_id = record_pagerduty_delivery(session, event, document, "lost-1")
        assert delivery_id is not None
        session.execute(  # recorded a minute ago; its queue message never arrived
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(received_at=datetime.now(UTC) - timedelta(minutes=1))
        )

    reconcile(system)
    incident = system.war_room(pagerduty_id)

    assert incident.slack_channel_id and incident.jira_key


def test_a_war_room_whose_steps_were_never_started_is_finished(system: System) -> None:
    pagerduty_id, document = silent_incident(system, "Worker killed")
    with transaction(system.runtime.sessions) as session:
        intake = take_pagerduty_event(
            session, parse_document(document), system.runtime.settings.incidents
        )
    assert intake.start_war_room  # declared, but the worker died before starting any step

    reconcile(system)
    incident = system.war_room(pagerduty_id)

    assert incident.slack_channel_id and incident.jira_key and incident.slack_summary_ts
