"""Declaring an incident from Slack: `/incident declare`, the modal, the war room, the page."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from multivac.sandbox import seed
from multivac.testing.system import System
from tests.e2e.story import eventually

pytestmark = pytest.mark.integration

AROHA = next(p for p in seed.PEOPLE if p.name == "Aroha Ngata")
BANK_FEEDS = next(s for s in seed.SERVICES if s.name == "Bank Feeds")


def act(system: System, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(f"{system.sandbox.url}/_sandbox/slack/{kind}", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def opened_view(system: System, user: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        views = [v for v in system.state()["slack"]["views"] if v.get("user") in (user, None)]
        if views:
            return views[-1]
        time.sleep(0.05)
    raise AssertionError("the declare modal did not open")


def declared_incident(system: System, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for incident in system.state()["pagerduty"]["incidents"]:
            if (incident.get("incident_key") or "").startswith("multivac-incident-"):
                return incident
        time.sleep(0.05)
    raise AssertionError("no PagerDuty incident was opened for the declaration")


def test_a_declared_incident_gets_a_war_room_and_pages_the_service_once(system: System) -> None:
    answer = act(system, "command", {"user": AROHA.slack_id, "text": "declare Payments failing"})
    assert answer["status"] == 200
    view = opened_view(system, AROHA.slack_id)
    assert view["view"]["callback_id"] == "incident_declare"

    submitted = act(system, "interaction", {
        "type": "view_submission", "user": AROHA.slack_id, "view_id": view["id"],
        "values": {"title": "Payments failing", "severity": "SEV1",
                   "service": BANK_FEEDS.pagerduty_id},  # SEV1: paged by default
    })  # fmt: skip
    assert submitted["view_closed"] is True

    paged = declared_incident(system)
    incident = system.war_room(paged["id"])
    system.settle()
    channel = system.channel(incident.slack_channel_id or "")
    state = system.state()

    assert incident.lead_email == AROHA.email
    assert AROHA.slack_id in channel["members"]
    assert channel["topic"]["value"].startswith("SEV1 · Lead: @Aroha Ngata · Jira: INC-")
    [issue] = state["jira"]["issues"]
    assert issue["assignee"]["email"] == AROHA.email
    assert [i["id"] for i in state["pagerduty"]["incidents"]] == [paged["id"]]
    war_rooms = [c for c in state["slack"]["channels"] if c["name"].startswith("inc-")]
    assert [c["id"] for c in war_rooms] == [incident.slack_channel_id]


def test_a_minor_declared_incident_does_not_page_unless_asked(system: System) -> None:
    act(system, "command", {"user": AROHA.slack_id, "text": "declare Report export slow"})
    view = opened_view(system, AROHA.slack_id)

    act(system, "interaction", {
        "type": "view_submission", "user": AROHA.slack_id, "view_id": view["id"],
        "values": {"title": "Report export slow", "severity": "SEV3",
                   "service": BANK_FEEDS.pagerduty_id},
    })  # fmt: skip

    channel = eventually(
        lambda: next(
            (c for c in system.state()["slack"]["channels"] if c["name"].startswith("inc-")), None
        ),
        "the war room",
    )
    eventually(lambda: system.channel(channel["id"])["messages"], "the summary")
    system.settle()
    assert system.state()["pagerduty"]["incidents"] == []
    assert AROHA.slack_id in system.channel(channel["id"])["members"]
