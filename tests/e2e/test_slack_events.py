"""People react and pin in the war room: really signed events from the sandbox acting as Slack, a
real worker, and what ends up in the incident's timeline and the channel."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from multivac.sandbox import seed
from multivac.store.database import transaction
from multivac.store.models import Delivery, Incident, TimelineEntry
from multivac.store.timeline import timeline
from multivac.testing.system import System

pytestmark = pytest.mark.integration

LUCAS, MASON = (next(p for p in seed.PEOPLE if p.name == n) for n in ("Lucas Kim", "Mason Lee"))
BEING_FIXED = "is on it: the incident is now *being fixed*"


def war_room(system: System) -> Incident:
    paged = system.trigger(service="Bank Feeds", title="Bank feeds delayed", priority="P3")
    incident = system.war_room(paged["id"])
    assert incident.lead_slack_id == LUCAS.slack_id
    return incident


def act(system: System, spec: dict[str, Any]) -> dict[str, Any]:
    """Do something in Slack as a person; Slack tells Multivac, which has processed it on return."""
    answer = requests.post(f"{system.sandbox.url}/_sandbox/slack/event", json=spec, timeout=10)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == 200, body
    system.settle()
    return body


def react(system: System, who: seed.Person, incident: Incident, name: str, ts: str) -> str:
    spec = {"type": "reaction_added", "user": who.email, "reaction": name, "ts": ts}
    event_id: str = act(system, spec | {"channel": incident.slack_channel_id})["event_id"]
    return event_id


def say(system: System, who: seed.Person, incident: Incident, text: str) -> str:
    act(
        system,
        {"type": "message", "user": who.email, "channel": incident.slack_channel_id, "text": text},
    )
    messages = system.channel(incident.slack_channel_id or "")["messages"]
    ts: str = next(m["ts"] for m in reversed(messages) if m.get("text") == text)
    return ts


def entries(system: System, incident: Incident, kind: str) -> list[TimelineEntry]:
    with transaction(system.runtime.sessions) as session:
        return [e for e in timeline(session, incident.id) if e.kind == kind]


def said(system: System, incident: Incident) -> list[str]:
    return [
        m.get("text") or "" for m in system.channel(incident.slack_channel_id or "")["messages"]
    ]


def test_the_leads_wrench_on_the_summary_marks_the_incident_being_fixed(system: System) -> None:
    incident = war_room(system)

    react(system, LUCAS, incident, "wrench", incident.slack_summary_ts or "")

    [entry] = entries(system, incident, "being_fixed")
    assert entry.text == f"Being fixed (🔧 by <@{LUCAS.slack_id}>)"
    assert [t for t in said(system, incident) if BEING_FIXED in t] == [
        f":wrench: <@{LUCAS.slack_id}> {BEING_FIXED}."
    ]


def test_someone_elses_wrench_changes_nothing(system: System) -> None:
    incident = war_room(system)
    before = said(system, incident)

    react(system, MASON, incident, "wrench", incident.slack_summary_ts or "")

    assert entries(system, incident, "being_fixed") == []
    assert said(system, incident) == before


def test_a_message_pinned_and_pushpinned_joins_the_timeline_once(system: System) -> None:
    incident = war_room(system)
    ts = say(system, LUCAS, incident, "Root cause: the bank's certificate expired")
    before = said(system, incident)

    react(system, LUCAS, incident, "pushpin", ts)
    react(system, MASON, incident, "pushpin", ts)
    act(
        system,
        {"type": "pin_added", "user": MASON.email, "channel": incident.slack_channel_id, "ts": ts},
    )

    [entry] = entries(system, incident, "pinned")
    assert entry.text.startswith(f"Pinned message from <@{LUCAS.slack_id}> at ")
    assert entry.at.timestamp() == pytest.approx(float(ts))
    assert said(system, incident) == before  # no announcement


def test_an_event_slack_retries_is_processed_once(system: System) -> None:
    incident = war_room(system)
    event_id = react(system, LUCAS, incident, "wrench", incident.slack_summary_ts or "")

    act(system, {"event_id": event_id, "retry": 1, "retry_reason": "http_timeout"})
    act(system, {"event_id": event_id, "retry": 2, "retry_reason": "http_timeout"})

    with transaction(system.runtime.sessions) as session:
        recorded = select(func.count()).where(Delivery.event_id == event_id)
        assert session.scalar(recorded) == 1
    assert len(entries(system, incident, "being_fixed")) == 1
    assert len([t for t in said(system, incident) if BEING_FIXED in t]) == 1
