"""A recorded PagerDuty delivery is taken in once: claimed, taken into the incident record, its
war room's first steps claimed and the delivery finished, all in one transaction; a failure
keeps none of it but the failed attempt, for the reconciler."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from multivac.incidents import inbox
from multivac.incidents.pagerduty_events import parse_document
from multivac.incidents.war_room.context import Deps
from multivac.store.database import transaction
from multivac.store.deliveries import get_delivery
from multivac.store.models import DeliveryStatus, Incident
from multivac.store.steps import step_states

pytestmark = pytest.mark.integration

TRIGGER = {
    "event": {
        "id": "EV1",
        "event_type": "incident.triggered",
        "resource_type": "incident",
        "occurred_at": "2026-11-22T03:00:00Z",
        "agent": None,
        "client": None,
        "data": {
            "id": "PINBOX1",
            "type": "incident",
            "number": 7,
            "title": "Bank feeds delayed",
            "status": "triggered",
            "urgency": "high",
            "priority": {"summary": "P1"},
            "service": {"id": "PSVC1", "summary": "Bank Feeds"},
            "escalation_policy": {"id": "PEP1"},
            "assignees": [{"id": "PUSER1", "summary": "Lucas Kim"}],
            "html_url": "https://acme.pagerduty.com/incidents/PINBOX1",
            "created_at": "2026-11-22T03:00:00Z",
        },
    }
}


def recorded(deps: Deps) -> int:
    document = json.loads(json.dumps(TRIGGER))
    with transaction(deps.sessions) as session:
        delivery_id = inbox.record_pagerduty_delivery(
            session, parse_document(document), document, "webhook-1"
        )
    assert delivery_id is not None
    return delivery_id


def test_a_trigger_is_taken_in_with_its_first_steps_claimed_once(fake_deps: Deps) -> None:
    delivery_id = recorded(fake_deps)

    processed = inbox.process_pagerduty_delivery(fake_deps, delivery_id, "worker-1")

    assert processed is not None and processed.war_room is not None
    assert processed.war_room.attempts == {"channel": 1, "responders": 1, "jira": 1}
    assert processed.war_room.context.incident.pagerduty_id == "PINBOX1"
    with transaction(fake_deps.sessions) as session:
        delivery = get_delivery(session, delivery_id)
        assert delivery is not None and delivery.status == DeliveryStatus.DONE
        rows = step_states(session, processed.war_room.context.incident.id)
        assert {row.step: row.status for row in rows} == dict.fromkeys(
            ("channel", "responders", "jira"), "claimed"
        )
    assert inbox.process_pagerduty_delivery(fake_deps, delivery_id, "worker-2") is None


def test_a_failure_while_taking_it_in_keeps_only_the_failed_attempt(
    fake_deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivery_id = recorded(fake_deps)

    # An injected fault: no valid event makes taking it in fail, but a bug or a lost database
    # connection can, after the incident was written in the same transaction.
    def fails(*args: object, **kwargs: object) -> object:
        raise RuntimeError("intake broke")

    monkeypatch.setattr(inbox, "claim_first_in", fails)
    with pytest.raises(RuntimeError):
        inbox.process_pagerduty_delivery(fake_deps, delivery_id, "worker-1")

    with transaction(fake_deps.sessions) as session:
        delivery = get_delivery(session, delivery_id)
        assert delivery is not None
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
        assert "intake broke" in (delivery.last_error or "")
        assert session.scalar(select(func.count()).select_from(Incident)) == 0
    monkeypatch.undo()
    processed = inbox.process_pagerduty_delivery(fake_deps, delivery_id, "worker-2")
    assert processed is not None and processed.war_room is not None
