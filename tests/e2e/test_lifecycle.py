"""In sync to the end: what people do in PagerDuty shows in Slack and Jira, once, in order."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import requests

from multivac.sandbox import credentials, seed
from multivac.sandbox.pagerduty.webhooks import envelope, signature_header
from multivac.store.models import Incident, IncidentStatus
from multivac.testing.system import System
from tests.e2e.story import LUCAS, eventually, in_pagerduty, texts

pytestmark = pytest.mark.integration


def said(system: System, incident: Incident) -> list[str]:
    return [texts(m) for m in system.channel(incident.slack_channel_id or "")["messages"]]


def summary(system: System, incident: Incident) -> dict[str, Any]:
    messages = system.channel(incident.slack_channel_id or "")["messages"]
    return next(m for m in messages if m["ts"] == incident.slack_summary_ts)


def reactions(system: System, incident: Incident) -> set[str]:
    return {r["name"] for r in summary(system, incident)["reactions"]}


def issue(system: System, incident: Incident) -> dict[str, Any]:
    return next(i for i in system.state()["jira"]["issues"] if i["key"] == incident.jira_key)


def test_a_lifecycle_driven_from_pagerduty_shows_in_slack_and_jira(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Bank feeds delayed", priority="P1")
    incident = system.war_room(paged["id"])

    in_pagerduty(system, paged["id"], "acknowledge")
    eventually(lambda: "eyes" in reactions(system, incident), "👀 on the summary")
    assert "status acknowledged" in texts(summary(system, incident))

    in_pagerduty(system, paged["id"], "priority", priority="P3")
    eventually(lambda: issue(system, incident)["priority"] == "Medium", "Jira priority Medium")
    topic = system.channel(incident.slack_channel_id or "")["topic"]["value"]
    assert topic.startswith("SEV3 · ")

    in_pagerduty(system, paged["id"], "note", content="Failover to the <b>replica</b> started")
    note = eventually(
        lambda: [t for t in said(system, incident) if t.startswith(":memo:")], "the note"
    )
    assert note == [":memo: Note in PagerDuty: Failover to the &lt;b&gt;replica&lt;/b&gt; started"]

    in_pagerduty(system, paged["id"], "resolve")
    eventually(lambda: issue(system, incident)["status"] == "Done", "Jira Done")
    eventually(lambda: "white_check_mark" in reactions(system, incident), "✅ on the summary")
    closing = eventually(
        lambda: [t for t in said(system, incident) if "Resolved in PagerDuty" in t], "closing"
    )
    assert len(closing) == 1
    assert "Time to acknowledge:" in closing[0] and "Time to resolve:" in closing[0]
    resolved = system.incident(paged["id"])
    assert resolved is not None and resolved.status == IncidentStatus.RESOLVED
    assert resolved.acknowledged_at is not None and resolved.resolved_at is not None


def test_reopening_after_resolving_says_so_and_clears_the_done_mark(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Logins failing", priority="P1")
    incident = system.war_room(paged["id"])
    in_pagerduty(system, paged["id"], "resolve")
    eventually(lambda: "white_check_mark" in reactions(system, incident), "✅")

    in_pagerduty(system, paged["id"], "reopen")

    eventually(lambda: "white_check_mark" not in reactions(system, incident), "✅ removed")
    # Said after the reactions change: wait for it too.
    eventually(
        lambda: any("Reopened in PagerDuty" in text for text in said(system, incident)),
        "the reopening said",
    )
    reopened = system.incident(paged["id"])
    assert reopened is not None and reopened.status == IncidentStatus.TRIGGERED


def test_resolving_from_slack_is_not_echoed_back_from_pagerduty(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Payments slow", priority="P1")
    incident = system.war_room(paged["id"])

    requests.post(
        f"{system.sandbox.url}/_sandbox/slack/command",
        json={"user": LUCAS.email, "text": "resolve fixed the pool",
              "channel": incident.slack_channel_id},
        timeout=10,
    )  # fmt: skip
    eventually(
        lambda: next(i for i in system.state()["pagerduty"]["incidents"])["status"] == "resolved",
        "PagerDuty resolved",
    )
    system.settle()
    time.sleep(0.5)  # give an echo, if there were one, the time to show

    texts_now = said(system, incident)
    assert len([t for t in texts_now if "resolved this incident" in t]) == 1
    assert not [t for t in texts_now if "Resolved in PagerDuty" in t]
    assert "white_check_mark" in reactions(system, incident)


def test_an_event_that_arrives_late_changes_nothing(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Feeds stalled", priority="P1")
    incident = system.war_room(paged["id"])
    in_pagerduty(system, paged["id"], "acknowledge")
    in_pagerduty(system, paged["id"], "resolve")
    eventually(lambda: "white_check_mark" in reactions(system, incident), "✅")
    eventually(lambda: any("Resolved in PagerDuty" in t for t in said(system, incident)), "closing")
    before = said(system, incident)
    account = system.sandbox.sandbox.pagerduty
    with system.sandbox.sandbox.lock:
        data = account.render.incident_data(account.incidents.find(paged["id"]))
    # Older than the resolve it arrives after: PagerDuty stamps events with the sandbox's clock.
    sent_before = system.sandbox.sandbox.now() - timedelta(minutes=1)
    stale = envelope("incident.acknowledged", sent_before, None,
                     None, {**data, "status": "acknowledged"})  # fmt: skip

    answer = requests.post(
        f"{system.web_url}/webhooks/pagerduty",
        data=stale,
        headers={
            "Content-Type": "application/json",
            "X-PagerDuty-Signature": signature_header(
                stale, [credentials.PAGERDUTY_WEBHOOK_SECRET]
            ),
        },
        timeout=10,
    )
    assert answer.status_code == 202
    system.settle()

    after = system.incident(paged["id"])
    assert after is not None and after.status == IncidentStatus.RESOLVED
    assert said(system, incident) == before


def test_an_escalation_brings_new_people_and_the_lead_is_told_the_page_moved(
    system: System,
) -> None:
    paged = system.trigger(service="Bank Feeds", title="Feeds stalled", priority="P1")
    incident = system.war_room(paged["id"])
    zoe = next(p for p in seed.PEOPLE if p.name == "Zoe Anderson")  # level 3: not invited

    in_pagerduty(system, paged["id"], "escalate", level=3)

    eventually(lambda: zoe.slack_id in system.channel(incident.slack_channel_id or "")["members"],
               "Zoe invited")  # fmt: skip
    moved = eventually(
        lambda: [t for t in said(system, incident) if "moved the page" in t], "the page moved"
    )
    assert moved == [
        ":arrows_counterclockwise: PagerDuty moved the page from the lead to Zoe Anderson. "
        f"<@{LUCAS.slack_id}> is still the incident lead: `/incident lead @someone` changes that."
    ]
    topic = system.channel(incident.slack_channel_id or "")["topic"]["value"]
    assert "Lead: @Lucas Kim" in topic


def test_the_topic_shows_the_status_once_acknowledged(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Payments slow", priority="P1")
    incident = system.war_room(paged["id"])
    channel = incident.slack_channel_id or ""
    assert system.channel(channel)["topic"]["value"].startswith("SEV1 · Lead: ")

    in_pagerduty(system, paged["id"], "acknowledge")

    eventually(
        lambda: system.channel(channel)["topic"]["value"].startswith("SEV1 · Acknowledged · Lead"),
        "the status in the topic",
    )


def deliver(system: System, event_type: str, data: dict[str, Any]) -> None:
    """A signed PagerDuty webhook for an event the sandbox's people can't cause."""
    now = system.sandbox.sandbox.now()  # PagerDuty's clock (frozen in these tests)
    body = envelope(event_type, now, None, {"name": "PagerDuty"}, data)
    answer = requests.post(
        f"{system.web_url}/webhooks/pagerduty",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-PagerDuty-Signature": signature_header(body, [credentials.PAGERDUTY_WEBHOOK_SECRET]),
        },
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    system.settle()


def test_bridges_status_updates_and_service_changes_reach_the_channel(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Feeds stalled", priority="P1")
    incident = system.war_room(paged["id"])
    reference = {"id": paged["id"], "type": "incident_reference"}

    deliver(system, "incident.conference_bridge.updated", {
        "type": "incident_conference_bridge", "incident": reference,
        "conference_url": "https://meet.example/bank-feeds", "conference_number": "+64 9 555 0100",
    })  # fmt: skip
    deliver(system, "incident.status_update_published", {
        "type": "incident_status_update", "incident": reference,
        "message": "Imports resume within the hour <for most banks>",
    })  # fmt: skip
    account = system.sandbox.sandbox.pagerduty
    with system.sandbox.sandbox.lock:
        data = account.render.incident_data(account.incidents.find(paged["id"]))
    payments = {**data["service"], "id": "PPAYMNT", "summary": "Payments Gateway"}
    deliver(system, "incident.service_updated", {**data, "service": payments})

    expected = [
        ":telephone_receiver: Conference bridge: https://meet.example/bank-feeds +64 9 555 0100",
        ":mega: Status update published in PagerDuty: Imports resume within the hour "
        "&lt;for most banks&gt;",
        "The incident's service is now *Payments Gateway* (changed in PagerDuty).",
    ]
    told = eventually(
        lambda: (t := [x for x in said(system, incident) if x in expected]) and len(t) == 3 and t,
        "all three announcements",
    )
    assert told == expected
    channel = eventually(
        lambda: (
            (c := system.channel(incident.slack_channel_id or ""))
            and any(b["title"] == "Conference bridge" for b in c["bookmarks"])
            and c
        ),
        "the bridge bookmarked",
    )
    bookmarks = {b["title"]: b["link"] for b in channel["bookmarks"]}
    assert bookmarks["Conference bridge"] == "https://meet.example/bank-feeds"
    eventually(lambda: "Payments Gateway" in texts(summary(system, incident)), "the summary")
