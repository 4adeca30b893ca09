"""People run an incident from its Slack channel: real signed slash commands and button clicks
from the sandbox acting as Slack, a real worker, and what Slack, PagerDuty and Jira end up with."""

from __future__ import annotations

from typing import Any, TypeVar

import pytest
import requests

from multivac.sandbox import seed
from multivac.store.models import Incident
from multivac.testing.system import System
from tests.e2e.story import eventually, texts

pytestmark = pytest.mark.integration

T = TypeVar("T")
WAIT_SECONDS = 20.0


def person(name: str) -> seed.Person:
    return next(p for p in seed.PEOPLE if p.name == name)


LUCAS, MIA, MASON, GRACE = (
    person(n) for n in ("Lucas Kim", "Mia Thompson", "Mason Lee", "Grace Liu")
)


def replies_to(system: System, who: seed.Person) -> list[str]:
    """What Multivac told this person, ephemeral (not the edge's "On it…" ack)."""
    shown = system.state()["slack"]["ephemeral"]
    return [
        e["text"] for e in shown if e["user"] == who.slack_id and e["via"] == "chat.postEphemeral"
    ]


def act(system: System, path: str, spec: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(f"{system.sandbox.url}/_sandbox/slack/{path}", json=spec, timeout=10)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == 200, body
    return body


def run(system: System, who: seed.Person, text: str, channel: str) -> str:
    """Run `/incident <text>` as `who` and return Multivac's answer to them."""
    before = len(replies_to(system, who))
    act(system, "command", {"user": who.email, "text": text, "channel": channel})
    return eventually(lambda: replies_to(system, who)[before:], f"an answer to {text!r}")[0]


def click(system: System, who: seed.Person, action_id: str, channel: str) -> None:
    spec = {"type": "block_actions", "user": who.email, "channel": channel, "action_id": action_id}
    act(system, "interaction", spec)


def war_room(system: System) -> Incident:
    paged = system.trigger(service="Bank Feeds", title="Bank feeds delayed", priority="P3")
    return system.war_room(paged["id"])


def pd_incident(system: System, incident: Incident) -> dict[str, Any]:
    found = system.state()["pagerduty"]["incidents"]
    return next(i for i in found if i["id"] == incident.pagerduty_id)


def jira_issue(system: System, incident: Incident) -> dict[str, Any]:
    return next(i for i in system.state()["jira"]["issues"] if i["key"] == incident.jira_key)


def test_the_lead_steers_the_incident_from_its_channel(system: System) -> None:
    incident = war_room(system)
    channel = incident.slack_channel_id or ""

    assert run(system, LUCAS, f"lead <@{MIA.slack_id}>", channel) == (
        f"<@{MIA.slack_id}> is now the incident lead."
    )
    assert run(system, MIA, f"role cx <@{MASON.slack_id}>", channel) == (
        f"<@{MASON.slack_id}> is now the CX liaison."
    )
    assert run(system, MIA, "sev 2", channel) == "The incident is now SEV2."
    assert run(system, MIA, "update feeds catching up, ETA 20 min", channel).startswith(
        "Your update is posted and copied to Jira"
    )

    room = system.channel(channel)
    assert room["topic"]["value"].startswith(
        f"SEV2 · Lead: @Mia Thompson · Jira: {incident.jira_key}"
    )
    summary = texts(room["messages"][0])
    assert f"*Lead:* <@{MIA.slack_id}>" in summary
    assert f"*CX liaison:* <@{MASON.slack_id}>" in summary
    said = "\n".join(texts(m) for m in room["messages"])
    assert f"<@{LUCAS.slack_id}> made <@{MIA.slack_id}> the incident lead." in said
    assert "changed the severity from SEV3 to *SEV2*" in said
    assert f"*Status update* from <@{MIA.slack_id}>\n>feeds catching up, ETA 20 min" in said
    issue = jira_issue(system, incident)
    assert issue["assignee"]["email"] == MIA.email
    assert issue["priority"] == "High"
    assert any("feeds catching up" in c["body"] for c in issue["comments"])
    paged = pd_incident(system, incident)
    assert paged["priority"]["name"] == "P2"
    assert any("feeds catching up" in n["content"] for n in paged["notes"])

    assert run(system, MIA, "page payments card payouts look stuck too", channel) == (
        "Paged the on-call of Payments Gateway; they will be invited here once PagerDuty has them."
    )
    responders = pd_incident(system, incident)["responders"]
    assert responders, "PagerDuty recorded no responder request"

    card = run(system, GRACE, "status", channel)
    assert card.startswith("*SEV2 · Bank feeds delayed*")
    assert f"*Lead:* <@{MIA.slack_id}> · *CX liaison:* <@{MASON.slack_id}>" in card
    assert "feeds catching up, ETA 20 min" in card


def test_only_the_lead_and_roles_may_resolve_and_it_resolves_everywhere(system: System) -> None:
    incident = war_room(system)
    channel = incident.slack_channel_id or ""

    refused = run(system, GRACE, "resolve all good", channel)
    assert refused.startswith(f"Only the incident lead (<@{LUCAS.slack_id}>)")
    assert refused.endswith("can resolve this incident.")
    assert pd_incident(system, incident)["status"] != "resolved"

    assert run(system, LUCAS, "resolve bank API keys rotated", channel) == (
        "The incident is resolved."
    )
    assert pd_incident(system, incident)["status"] == "resolved"
    issue = jira_issue(system, incident)
    assert issue["status"] == "Done"
    assert "Summary: bank API keys rotated" in issue["comments"][-1]["body"]
    room = system.channel(channel)
    assert "status resolved" in texts(room["messages"][0])
    assert "resolved this incident" in texts(room["messages"][-1])
    assert not room["is_archived"]
    system.settle()
    resolved = system.incident(incident.pagerduty_id or "")
    assert resolved is not None and resolved.status == "resolved"


def test_the_summary_buttons_acknowledge_and_change_severity(system: System) -> None:
    incident = war_room(system)
    channel = incident.slack_channel_id or ""

    click(system, MIA, "incident.acknowledge", channel)
    assert eventually(lambda: replies_to(system, MIA), "the acknowledgement") == [
        "Acknowledged: PagerDuty stops escalating."
    ]
    assert pd_incident(system, incident)["status"] == "acknowledged"
    assert "status acknowledged" in texts(system.channel(channel)["messages"][0])

    click(system, LUCAS, "incident.severity", channel)
    eventually(lambda: _open_view(system, LUCAS), "the severity modal")
    act(
        system,
        "interaction",
        {"type": "view_submission", "user": LUCAS.email, "values": {"severity_select": "SEV1"}},
    )
    assert eventually(lambda: replies_to(system, LUCAS), "the change") == [
        "The incident is now SEV1."
    ]
    assert pd_incident(system, incident)["priority"]["name"] == "P1"
    assert jira_issue(system, incident)["priority"] == "Highest"

    click(system, LUCAS, "incident.resolve", channel)
    eventually(lambda: _open_view(system, LUCAS), "the resolve modal")
    summary = {"summary_input": "importer restarted"}
    act(system, "interaction", {"type": "view_submission", "user": LUCAS.email, "values": summary})
    assert eventually(lambda: replies_to(system, LUCAS)[1:], "the resolution") == [
        "The incident is resolved."
    ]
    assert pd_incident(system, incident)["status"] == "resolved"
    assert jira_issue(system, incident)["status"] == "Done"


def test_list_and_oncall_work_anywhere(system: System) -> None:
    incident = war_room(system)

    listed = run(system, GRACE, "list", "general")
    assert f"<#{incident.slack_channel_id}> Bank feeds delayed" in listed
    assert f"lead <@{LUCAS.slack_id}>" in listed
    oncall = run(system, GRACE, "oncall bank feeds", "general")
    assert oncall.startswith("*Bank Feeds*\nLevel 1: Lucas Kim (until <!date^")
    assert "Level 2: " in oncall and "Mia Thompson" in oncall
    mine = run(system, LUCAS, "oncall", "general")
    assert mine.startswith("*Bank Feeds*")


def _open_view(system: System, who: seed.Person) -> list[dict[str, Any]]:
    views = system.state()["slack"].get("views") or []
    return [v for v in views if v.get("user") == who.slack_id and not v.get("closed")]


def test_someone_paged_from_slack_is_invited_once_pagerduty_has_them(system: System) -> None:
    incident = war_room(system)
    channel = incident.slack_channel_id or ""
    zoe = person("Zoe Anderson")  # the incident manager: escalation level 3, not invited
    assert zoe.slack_id not in system.channel(channel)["members"]

    run(system, LUCAS, f"page <@{zoe.slack_id}> please join", channel)

    members = eventually(
        lambda: (m := system.channel(channel)["members"]) and zoe.slack_id in m and m,
        "Zoe in the channel",
    )
    assert zoe.slack_id in members
    # Announced once invited: the message follows the invitation, so wait for it too.
    announcement = f"Joined through PagerDuty: <@{zoe.slack_id}>"
    eventually(
        lambda: any(announcement in texts(m) for m in system.channel(channel)["messages"]),
        "the newcomer announced",
    )
