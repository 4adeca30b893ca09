"""A PagerDuty trigger assembles the war room, once, fast, with everything in it."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from multivac.queueing import PROCESS_PAGERDUTY_DELIVERY, RUN_WAR_ROOM_STEP
from multivac.sandbox import credentials, seed
from multivac.sandbox.pagerduty.webhooks import envelope, signature_header
from multivac.store.database import transaction
from multivac.store.timeline import timeline
from multivac.testing.system import System
from tests.e2e.story import texts

pytestmark = pytest.mark.integration


def person(name: str) -> seed.Person:
    return next(p for p in seed.PEOPLE if p.name == name)


LUCAS, MIA, RAVI = person("Lucas Kim"), person("Mia Thompson"), person("Ravi Shah")
CX = [p for p in seed.PEOPLE if p.email in seed.team_by_slug("cx-specialists").rotation["amer"]]


def channels_of(system: System, number: int) -> list[dict[str, Any]]:
    return [
        c
        for c in system.state()["slack"]["channels"]
        if re.match(rf"inc-\d{{8}}-{number}(-|$)", c["name"])
    ]


def test_a_p1_trigger_gives_the_complete_war_room(system: System) -> None:
    paged = system.trigger(
        service="Bank Feeds", title="Bank feeds delayed for AU customers", priority="P1"
    )
    incident = system.war_room(paged["id"])
    number = paged["incident_number"]
    state = system.state()
    channel = system.channel(incident.slack_channel_id or "")
    issue = next(i for i in state["jira"]["issues"] if i["key"] == incident.jira_key)

    assert channel["name"] == f"inc-20261122-{number}-bank-feeds-delayed-for-au-customers"
    assert {LUCAS.slack_id, MIA.slack_id} <= set(channel["members"])
    assert {p.slack_id for p in CX} <= set(channel["members"])
    jira_url = f"{system.sandbox.jira_url}/browse/{issue['key']}"
    assert channel["topic"]["value"] == (
        f"SEV1 · Lead: @Lucas Kim · Jira: {issue['key']} {jira_url} · PD #{number}"
    )
    assert {b["title"]: b["link"] for b in channel["bookmarks"]} == {
        f"Jira {issue['key']}": jira_url,
        f"PagerDuty #{number}": paged["html_url"],
    }
    [summary] = channel["messages"]
    assert f"<@{LUCAS.slack_id}>" in texts(summary)
    assert "Bank feeds delayed for AU customers" in texts(summary)
    buttons = [
        e["text"]["text"]
        for b in summary["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert buttons == ["Acknowledge", "Resolve", "Change severity"]

    assert issue["assignee"]["email"] == LUCAS.email
    assert issue["priority"] == "Highest"
    assert paged["html_url"] in issue["description"]
    [pd_incident] = state["pagerduty"]["incidents"]
    notes = [n["content"] for n in pd_incident["notes"]]
    assert notes == [
        f"Slack war room: #{channel['name']} https://slack.com/app_redirect?channel={channel['id']}"
    ]
    with transaction(system.runtime.sessions) as session:
        kinds = [entry.kind for entry in timeline(session, incident.id)]
    assert {
        "declared",
        "channel_created",
        "responders_invited",
        "jira_opened",
        "lead_assigned",
    } <= set(kinds)
    assert incident.lead_email == LUCAS.email
    assert incident.severity == "SEV1"


def test_someone_without_slack_is_listed_not_dropped(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Feeds stalled", priority="P2")
    incident = system.war_room(paged["id"])
    channel = system.channel(incident.slack_channel_id or "")

    assert RAVI.in_pagerduty and not RAVI.in_slack
    [summary] = channel["messages"]
    assert f"Not in Slack*, reach them through PagerDuty: Ravi Shah ({RAVI.email})" in texts(
        summary
    )


def test_a_low_urgency_p4_opens_no_war_room(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Slow report", urgency="low", priority="P4")
    system.settle()
    incident = system.incident(paged["id"])

    assert incident is not None
    assert incident.war_room_started_at is None
    assert channels_of(system, paged["incident_number"]) == []


def test_duplicates_and_racing_events_give_one_war_room(system: System) -> None:
    paged = system.trigger(service="Bank Feeds", title="Payments double charged", priority="P1")
    account = system.sandbox.sandbox.pagerduty
    with system.sandbox.sandbox.lock:
        data = account.render.incident_data(account.incidents.find(paged["id"]))
    triggered = envelope("incident.triggered", datetime.now(UTC), None, None, data)
    acknowledged = envelope(
        "incident.acknowledged", datetime.now(UTC), None, None, {**data, "status": "acknowledged"}
    )
    bodies = [(triggered, "dup-webhook")] * 5 + [(acknowledged, f"ack-{i}") for i in range(3)]

    def deliver(body_and_id: tuple[bytes, str]) -> int:
        body, webhook_id = body_and_id
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Id": webhook_id,
            "X-PagerDuty-Signature": signature_header(body, [credentials.PAGERDUTY_WEBHOOK_SECRET]),
        }
        return requests.post(
            f"{system.web_url}/webhooks/pagerduty", data=body, headers=headers, timeout=10
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(deliver, bodies))
    incident = system.war_room(paged["id"])
    # and a worker that runs every step and delivery again changes nothing
    for step in ("channel", "jira", "summary", "invite", "bookmarks", "pagerduty_note"):
        system.celery.send_task(
            RUN_WAR_ROOM_STEP, args=[incident.id, step], ignore_result=False
        ).get(timeout=10)
    system.celery.send_task(PROCESS_PAGERDUTY_DELIVERY, args=[1], ignore_result=False).get(
        timeout=10
    )
    incident = system.war_room(paged["id"])

    assert statuses.count(202) >= 2 and set(statuses) <= {200, 202}
    assert len(channels_of(system, paged["incident_number"])) == 1
    state = system.state()
    assert [i["key"] for i in state["jira"]["issues"]] == [incident.jira_key]
    channel = system.channel(incident.slack_channel_id or "")
    assert len(channel["messages"]) == 1
    assert len(channel["bookmarks"]) == 2
    assert len(state["pagerduty"]["incidents"][0]["notes"]) == 1


def test_jira_down_does_not_hold_up_the_channel_and_is_linked_when_back(system: System) -> None:
    system.sandbox.sandbox.traffic.start_outage("jira", 600)
    paged = system.trigger(service="Bank Feeds", title="Login failures", priority="P1")

    channel = wait_for_summary(system, paged["id"])
    assert "Jira: pending" in channel["topic"]["value"]
    assert "_pending_" in texts(channel["messages"][0])
    wanted = {LUCAS.slack_id, MIA.slack_id}  # invited by a step of its own, maybe a moment later
    for _ in range(200):
        if wanted <= set(system.channel(channel["id"])["members"]):
            break
        time.sleep(0.05)
    assert wanted <= set(system.channel(channel["id"])["members"])
    assert system.incident(paged["id"]).jira_key is None  # type: ignore[union-attr]

    system.sandbox.sandbox.traffic.end_outage("jira")
    incident = system.war_room(paged["id"], timeout=60)
    channel = system.channel(incident.slack_channel_id or "")
    assert incident.jira_key is not None
    assert f"Jira: {incident.jira_key} " in channel["topic"]["value"]
    assert incident.jira_key in texts(channel["messages"][0])
    assert f"Jira {incident.jira_key}" in [b["title"] for b in channel["bookmarks"]]


def test_slack_rate_limits_are_waited_out_not_lost(system: System) -> None:
    system.sandbox.sandbox.traffic.time_scale = 60  # a Slack minute lasts one second
    neighbour = WebClient(token=credentials.SLACK_BOT_TOKEN, base_url=system.sandbox.slack_api_url)
    for n in range(20):  # another part of the app spends the Tier 2 budget of this minute
        neighbour.conversations_create(name=f"noise-{n}")
    with pytest.raises(SlackApiError):
        neighbour.conversations_create(name="noise-over")

    paged = system.trigger(service="Bank Feeds", title="Rate limited", priority="P1")
    incident = system.war_room(paged["id"])

    log = [(e.operation, e.status) for e in system.sandbox.sandbox.traffic.log.entries("slack")]
    assert ("conversations.create", 429) in log
    assert len(channels_of(system, paged["incident_number"])) == 1
    assert system.channel(incident.slack_channel_id or "")["messages"]


@pytest.mark.parametrize(
    ("title", "name_tail"),
    [
        ("<!channel> db down *now*", "channel-db-down-now"),
        ("🔥🔥🔥", ""),
        ("Everything is on fire " * 10, None),
    ],
)
def test_untrusted_titles_ping_nobody_and_still_make_valid_channels(
    system: System, title: str, name_tail: str | None
) -> None:
    paged = system.trigger(service="Bank Feeds", title=title, priority="P1")
    incident = system.war_room(paged["id"])
    channel = system.channel(incident.slack_channel_id or "")

    assert re.fullmatch(r"[a-z0-9_-]{1,80}", channel["name"])
    prefix = f"inc-20261122-{paged['incident_number']}"
    if name_tail is not None:
        assert channel["name"] == (f"{prefix}-{name_tail}" if name_tail else prefix)
    summary = texts(channel["messages"][0])
    assert "<!channel>" not in summary
    if "<!channel>" in title:
        assert "&lt;!channel&gt;" in summary


def wait_for_summary(system: System, pagerduty_id: str) -> dict[str, Any]:
    for _ in range(600):
        incident = system.incident(pagerduty_id)
        if incident is not None and incident.slack_summary_ts:
            channel = system.channel(incident.slack_channel_id or "")
            if channel["topic"]["value"]:
                return channel
        time.sleep(0.05)
    raise AssertionError("no summary message")


def test_a_channel_left_behind_by_an_interrupted_attempt_is_reused(system: System) -> None:
    bot = WebClient(token=credentials.SLACK_BOT_TOKEN, base_url=system.sandbox.slack_api_url)
    left_behind = bot.conversations_create(name="inc-20261122-1-db-down")["channel"]["id"]

    paged = system.trigger(service="Bank Feeds", title="DB down", priority="P1")
    incident = system.war_room(paged["id"])

    assert paged["incident_number"] == 1
    assert incident.slack_channel_id == left_behind
    assert len(channels_of(system, 1)) == 1
    assert system.channel(left_behind)["messages"]


def test_a_channel_a_person_named_the_same_way_is_left_alone(system: System) -> None:
    bot = WebClient(token=credentials.SLACK_BOT_TOKEN, base_url=system.sandbox.slack_api_url)
    theirs = bot.conversations_create(name="inc-20261122-1-db-down")["channel"]["id"]
    with system.sandbox.sandbox.lock:  # as if Aroha had created it herself
        system.sandbox.sandbox.slack.channels[theirs].creator = person("Aroha Ngata").slack_id

    paged = system.trigger(service="Bank Feeds", title="DB down", priority="P1")
    incident = system.war_room(paged["id"])

    assert incident.slack_channel_name == "inc-20261122-1-db-down-2"
    assert system.channel(theirs)["messages"] == []
