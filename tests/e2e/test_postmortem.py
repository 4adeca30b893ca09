"""The story kept: when an incident is resolved, in PagerDuty or in Slack, its Jira issue gets one
post-incident record with the summary, the severity history, the people, the times and the
timeline."""

from __future__ import annotations

import re
import time

import pytest
import requests

from multivac.store.models import Incident
from multivac.testing.system import System
from tests.e2e.story import LUCAS, eventually, in_pagerduty

pytestmark = pytest.mark.integration

HEADING = "Post-incident record"


def in_slack(system: System, text: str, channel: str) -> None:
    answer = requests.post(
        f"{system.sandbox.url}/_sandbox/slack/command",
        json={"user": LUCAS.email, "text": text, "channel": channel},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def records(system: System, incident: Incident) -> list[str]:
    issue = next(i for i in system.state()["jira"]["issues"] if i["key"] == incident.jira_key)
    return [c["body"] for c in issue["comments"] if c["body"].startswith(HEADING)]


def test_a_lifecycle_driven_from_pagerduty_ends_with_one_post_incident_record(
    system: System,
) -> None:
    paged = system.trigger(service="Bank Feeds", title="Bank feeds delayed", priority="P1")
    incident = system.war_room(paged["id"])

    in_pagerduty(system, paged["id"], "acknowledge")
    in_pagerduty(system, paged["id"], "priority", priority="P3")
    in_pagerduty(system, paged["id"], "note", content="Failover to the <b>replica</b> started")
    in_pagerduty(system, paged["id"], "resolve")

    [record] = eventually(lambda: records(system, incident), "the post-incident record")
    lines = record.splitlines()
    assert "Summary: Bank feeds delayed" in lines
    assert "Severity: SEV1 → SEV3" in lines
    assert any(re.fullmatch(r"  SEV3 from .+ UTC \(in PagerDuty, by Lucas Kim\)", x) for x in lines)
    assert f"Lead: Lucas Kim ({LUCAS.email})" in lines
    responders = next(x for x in lines if x.startswith("Responders: "))
    assert f"{LUCAS.email} (lead)" in responders
    for label in ("Triggered", "Acknowledged", "Resolved"):
        assert any(
            re.fullmatch(rf"  {label}: \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC", x) for x in lines
        )
    assert any(x.startswith("  Time to acknowledge: ") for x in lines)
    assert any(x.startswith("  Time to resolve: ") for x in lines)
    timeline = lines[lines.index("Timeline (UTC):") + 1 :]
    entries = [x for x in timeline if re.match(r"  \d\d:\d\d:\d\d UTC  ", x)]
    said = [x.split("UTC  ", 1)[1] for x in entries]
    assert "Acknowledged in PagerDuty (Lucas Kim)" in said
    assert "Severity changed to SEV3 in PagerDuty (Lucas Kim)" in said
    assert "Note in PagerDuty: Failover to the <b>replica</b> started (Lucas Kim)" in said
    assert "Resolved in PagerDuty (Lucas Kim)" in said

    system.settle()
    assert len(records(system, incident)) == 1


def test_resolving_from_slack_writes_one_record_with_the_summary(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Payments slow", priority="P1")
    incident = system.war_room(paged["id"])
    channel = incident.slack_channel_id or ""

    in_slack(system, "resolve bank API keys rotated", channel)
    [record] = eventually(lambda: records(system, incident), "the post-incident record")
    system.settle()
    time.sleep(0.5)  # the resolution PagerDuty echoes back, if it wrote anything, shows by now

    assert records(system, incident) == [record]
    lines = record.splitlines()
    assert "Summary: bank API keys rotated" in lines
    assert any(x.endswith("UTC  Resolved by Lucas Kim: bank API keys rotated") for x in lines)
