"""PagerDuty events become one incident record, and one war room, whatever order they come in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from multivac.incidents.intake import DECLARED_KEY_PREFIX, take_pagerduty_event
from multivac.incidents.pagerduty_events import IncidentFacts, PagerDutyEvent
from multivac.settings import IncidentSettings
from multivac.store.database import transaction
from multivac.store.incidents import create_incident, get_incident, incident_by_pagerduty_id
from multivac.store.models import IncidentSource, IncidentStatus
from multivac.store.timeline import timeline

pytestmark = pytest.mark.integration

RULES = IncidentSettings()
T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
FACTS = IncidentFacts(
    id="PABC123",
    number=42,
    title="Bank feeds delayed",
    status="triggered",
    urgency="high",
    priority="P1",
    service_id="PSVC1",
    service_name="Bank Feeds",
    escalation_policy_id="PEP1",
    assignee_ids=("PUSER1",),
    assignee_names=("Lucas Kim",),
    html_url="https://acme.pagerduty.com/incidents/PABC123",
    created_at=T0,
)


def event(event_type: str, at: datetime, **changes: object) -> PagerDutyEvent:
    facts = replace(FACTS, **changes)  # type: ignore[arg-type]
    return PagerDutyEvent(
        id=f"{event_type}@{at.isoformat()}",
        event_type=event_type,
        occurred_at=at,
        incident_id=facts.id,
        incident=facts,
        agent_id=None,
        client_name=None,
        data={},
    )


def take(sessions: sessionmaker[Session], happened: PagerDutyEvent) -> tuple[int | None, bool]:
    with transaction(sessions) as session:
        intake = take_pagerduty_event(session, happened, RULES)
    return intake.incident_id, intake.start_war_room


def test_a_trigger_records_the_incident_and_declares_the_war_room(
    session_factory: sessionmaker[Session],
) -> None:
    incident_id, start = take(session_factory, event("incident.triggered", T0))

    assert start is True
    with transaction(session_factory) as session:
        incident = get_incident(session, incident_id or 0)
        assert incident is not None
        assert (incident.severity, incident.lead_pagerduty_id, incident.lead_name) == (
            "SEV1",
            "PUSER1",
            "Lucas Kim",
        )
        assert [e.kind for e in timeline(session, incident.id)] == ["recorded", "declared"]


def test_an_acknowledgement_racing_the_trigger_still_gives_one_war_room(
    session_factory: sessionmaker[Session],
) -> None:
    acknowledged = event("incident.acknowledged", T0 + timedelta(seconds=5), status="acknowledged")
    first = take(session_factory, acknowledged)
    second = take(session_factory, event("incident.triggered", T0))

    assert first == (first[0], True)
    assert second == (first[0], False)
    with transaction(session_factory) as session:
        incident = incident_by_pagerduty_id(session, FACTS.id)
        assert incident is not None
        assert incident.status == IncidentStatus.ACKNOWLEDGED  # the older event changed nothing


def test_a_low_urgency_p4_is_recorded_without_a_war_room_until_it_is_raised(
    session_factory: sessionmaker[Session],
) -> None:
    quiet = event("incident.triggered", T0, urgency="low", priority="P4")
    raised = event(
        "incident.priority_updated", T0 + timedelta(minutes=3), urgency="low", priority="P1"
    )

    assert take(session_factory, quiet)[1] is False
    assert take(session_factory, raised)[1] is True
    with transaction(session_factory) as session:
        incident = incident_by_pagerduty_id(session, FACTS.id)
        assert incident is not None and incident.severity == "SEV1"


def test_the_page_of_an_incident_declared_in_slack_is_linked_not_doubled(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as session:
        declared = create_incident(
            session, title="Payments failing", source=IncidentSource.SLACK, war_room_started_at=T0
        )
        declared_id = declared.id
    paged = event("incident.triggered", T0, incident_key=f"{DECLARED_KEY_PREFIX}{declared_id}")

    assert take(session_factory, paged) == (declared_id, False)
    assert take(session_factory, paged) == (declared_id, False)
    with transaction(session_factory) as session:
        incident = get_incident(session, declared_id)
        assert incident is not None
        assert (incident.pagerduty_id, incident.pagerduty_number) == (FACTS.id, 42)
        assert incident_by_pagerduty_id(session, FACTS.id) is not None


def test_an_incident_key_naming_no_incident_of_ours_is_an_ordinary_incident(
    session_factory: sessionmaker[Session],
) -> None:
    stranger = event("incident.triggered", T0, incident_key=f"{DECLARED_KEY_PREFIX}99999")
    incident_id, start = take(session_factory, stranger)
    assert incident_id is not None and start is True


def test_an_escalation_after_the_war_room_brings_the_new_assignees(
    session_factory: sessionmaker[Session],
) -> None:
    take(session_factory, event("incident.triggered", T0))
    escalated = event(
        "incident.escalated",
        T0 + timedelta(minutes=5),
        assignee_ids=("PUSER2",),
        assignee_names=("Mia Thompson",),
    )
    with transaction(session_factory) as session:
        intake = take_pagerduty_event(session, escalated, RULES)
    assert intake.invite_pagerduty_users == ("PUSER2",)
    assert intake.start_war_room is False


def test_a_responder_added_in_pagerduty_is_brought_in(
    session_factory: sessionmaker[Session],
) -> None:
    take(session_factory, event("incident.triggered", T0))
    added = PagerDutyEvent(
        id="responder-1", event_type="incident.responder.added", occurred_at=T0,
        incident_id=FACTS.id, incident=None, agent_id=None, client_name=None,
        data={"type": "incident_responder", "user": {"id": "PZOE"},
              "incident": {"id": FACTS.id}},
    )  # fmt: skip
    with transaction(session_factory) as session:
        intake = take_pagerduty_event(session, added, RULES)
    assert intake.invite_pagerduty_users == ("PZOE",)
