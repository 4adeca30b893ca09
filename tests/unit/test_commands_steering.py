"""Steering an incident from its channel: a new lead, roles, and the severity."""

from __future__ import annotations

from multivac.incidents.commands.dispatch import handle_invocation
from multivac.incidents.commands.steering import pagerduty_priority
from multivac.integrations.errors import Transient
from multivac.settings import IncidentSettings
from multivac.store.database import transaction
from multivac.store.incidents import get_incident
from multivac.store.models import Role
from multivac.store.responders import responders
from multivac.store.timeline import timeline
from tests.unit.commands_world import ALICE, CX, LEAD, NOBODY, ZOE, World


def test_a_new_lead_is_assigned_in_jira_named_in_the_topic_and_announced(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, f"lead <@{ALICE.slack_id}|alice>"))

    assert world.tracker.issues[world.jira_key].assignee_account_id == ALICE.jira_id
    topic = world.chat.channels[world.channel_id].topic
    assert topic.startswith("SEV3 · Lead: @Alice Ng · Jira: INC-1 ")
    assert f"<@{LEAD.slack_id}> made <@{ALICE.slack_id}> the incident lead" in "\n".join(
        world.channel_messages()
    )
    assert f"*Lead:* <@{ALICE.slack_id}>" in world.summary_blocks_text()
    assert world.said_to(LEAD) == [f"<@{ALICE.slack_id}> is now the incident lead."]
    with transaction(world.deps.sessions) as session:
        incident = get_incident(session, world.incident_id)
        assert incident is not None
        assert (incident.lead_slack_id, incident.lead_email, incident.lead_pagerduty_id) == (
            ALICE.slack_id,
            ALICE.email,
            ALICE.pagerduty_id,
        )
        leads = [r.email for r in responders(session, world.incident_id, role=Role.LEAD)]
        assert leads == [ALICE.email]
        assert any(e.kind == "lead_changed" for e in timeline(session, world.incident_id))


def test_a_lead_jira_does_not_know_keeps_the_old_assignee_and_says_so(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, f"lead <@{NOBODY.slack_id}>"))

    assert world.tracker.issues[world.jira_key].assignee_account_id == LEAD.jira_id
    [answer] = world.said_to(LEAD)
    assert answer.startswith(f"<@{NOBODY.slack_id}> is now the incident lead.")
    assert "found no Jira account for Grace Liu, so INC-1 keeps its assignee" in answer


def test_jira_being_down_does_not_stop_the_rest_of_a_lead_change(world: World) -> None:
    world.tracker.fail("assign", Transient("jira", "503 Service Unavailable"))

    handle_invocation(world.deps, world.invocation(LEAD, f"lead <@{ALICE.slack_id}>"))

    assert "@Alice Ng" in world.chat.channels[world.channel_id].topic
    [answer] = world.said_to(LEAD)
    assert "could not assign the Jira issue: Jira is not answering right now" in answer


def test_the_cx_liaison_is_shown_in_the_summary_and_kept_on_the_incident(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, f"role cx <@{CX.slack_id}>"))
    handle_invocation(world.deps, world.invocation(LEAD, f"role scribe <@{ALICE.slack_id}>"))

    summary = world.summary_blocks_text()
    assert f"*CX liaison:* <@{CX.slack_id}> · *Scribe:* <@{ALICE.slack_id}>" in summary
    said = "\n".join(world.channel_messages())
    assert f"<@{LEAD.slack_id}> made <@{CX.slack_id}> the CX liaison." in said
    assert f"<@{LEAD.slack_id}> made <@{ALICE.slack_id}> the scribe." in said
    with transaction(world.deps.sessions) as session:
        incident = get_incident(session, world.incident_id)
        assert incident is not None and incident.cx_liaison_slack_id == CX.slack_id


def test_giving_a_role_to_someone_else_replaces_its_holder(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, f"role comms <@{CX.slack_id}>"))
    handle_invocation(world.deps, world.invocation(LEAD, f"role comms <@{ALICE.slack_id}>"))

    with transaction(world.deps.sessions) as session:
        holders = [r.slack_user_id for r in responders(session, world.incident_id, role="comms")]
    assert holders == [ALICE.slack_id]


def test_sev_2_changes_topic_jira_and_pagerduty_priorities(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, "sev 2"))

    assert world.chat.channels[world.channel_id].topic.startswith("SEV2 · ")
    assert world.tracker.issues[world.jira_key].priority == "High"
    assert world.pager.incidents["PINC7"].priority == "P2"
    assert "changed the severity from SEV3 to *SEV2*" in "\n".join(world.channel_messages())
    assert world.said_to(LEAD) == ["The incident is now SEV2."]
    message = world.chat.messages[(world.channel_id, world.summary_ts)]
    assert message.blocks and message.blocks[0]["text"]["text"].startswith("SEV2 · ")


def test_someone_without_a_role_may_not_change_the_severity(world: World) -> None:
    handle_invocation(world.deps, world.invocation(NOBODY, "sev 1"))

    assert world.pager.calls_to("set_priority") == []
    [answer] = world.said_to(NOBODY)
    assert answer.startswith(f"Only the incident lead (<@{LEAD.slack_id}>)")
    assert "members of <!subteam^S0MANAGERS> can change this incident's severity." in answer


def test_a_member_of_a_configured_group_may_change_the_severity(world: World) -> None:
    handle_invocation(world.deps, world.invocation(ZOE, "sev 1"))

    assert world.pager.incidents["PINC7"].priority == "P1"


def test_the_same_severity_again_changes_nothing(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, "sev 3"))

    assert world.said_to(LEAD) == ["This incident is already SEV3."]
    assert world.tracker.calls_to("set_priority") == []


def test_the_pagerduty_priority_is_the_highest_one_mapped_to_the_severity() -> None:
    rules = IncidentSettings()
    assert pagerduty_priority(rules, "SEV4") == "P4"
    assert pagerduty_priority(rules, "SEV1") == "P1"
    assert pagerduty_priority(IncidentSettings(severity_by_priority={}), "SEV2") is None
