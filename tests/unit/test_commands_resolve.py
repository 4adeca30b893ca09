"""Resolving and acknowledging, by command and by the summary message's buttons and modals."""

from __future__ import annotations

from typing import Any

import pytest

from multivac.incidents.commands import modals
from multivac.incidents.commands.dispatch import (
    EXPIRED,
    handle_block_action,
    handle_invocation,
    handle_view_submission,
)
from multivac.incidents.war_room.messages import ACKNOWLEDGE, CHANGE_SEVERITY, RESOLVE
from multivac.store.database import transaction
from multivac.store.incidents import get_incident
from multivac.store.models import IncidentStatus
from multivac.store.timeline import timeline
from tests.unit.commands_world import ALICE, CX, LEAD, NOBODY, ZOE, Someone, World


def click(world: World, who: Someone, action_id: str, trigger: str = "trigger-click") -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": who.slack_id},
        "channel": {"id": world.channel_id},
        "trigger_id": trigger,
        "actions": [{"action_id": action_id, "value": str(world.incident_id)}],
    }
    handle_block_action(world.deps, payload)


def submit(world: World, who: Someone, view: Any, values: dict[str, Any]) -> None:
    payload = {
        "type": "view_submission",
        "user": {"id": who.slack_id},
        "view": {**view, "state": {"values": values}},
    }
    handle_view_submission(world.deps, payload)


def status_of(world: World) -> IncidentStatus:
    with transaction(world.deps.sessions) as session:
        incident = get_incident(session, world.incident_id)
        assert incident is not None
        return incident.status


def test_the_lead_resolves_everywhere_and_the_channel_stays(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, "resolve bank API keys rotated"))

    assert world.pager.incidents["PINC7"].status == "resolved"
    issue = world.tracker.issues[world.jira_key]
    assert issue.status == "Done"
    assert issue.comments[0] == "Resolved in Slack by Lucas Kim. Summary: bank API keys rotated"
    assert issue.comments[1].startswith("Post-incident record")
    assert status_of(world) == IncidentStatus.RESOLVED
    assert "status resolved" in world.summary_blocks_text()
    summary = world.chat.messages[(world.channel_id, world.summary_ts)]
    assert all(b.get("type") != "actions" for b in summary.blocks or [])
    assert f"<@{LEAD.slack_id}> resolved this incident." in world.channel_messages()[-1]
    assert world.chat.calls_to("archive") == []
    assert world.said_to(LEAD) == ["The incident is resolved."]


def test_someone_without_a_role_is_told_who_can_resolve(world: World) -> None:
    handle_invocation(world.deps, world.invocation(CX, f"role cx <@{CX.slack_id}>"))
    handle_invocation(world.deps, world.invocation(NOBODY, "resolve"))

    assert world.pager.calls_to("set_status") == []
    assert status_of(world) == IncidentStatus.TRIGGERED
    assert world.said_to(NOBODY) == [
        f"Only the incident lead (<@{LEAD.slack_id}>), the people holding a role "
        f"(CX liaison <@{CX.slack_id}>) or members of <!subteam^S0MANAGERS> can resolve this "
        "incident."
    ]


@pytest.mark.parametrize("who", [CX, ZOE], ids=["a role holder", "a group member"])
def test_role_holders_and_group_members_may_resolve(world: World, who: Someone) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, f"role cx <@{CX.slack_id}>"))
    handle_invocation(world.deps, world.invocation(who, "resolve"))

    assert status_of(world) == IncidentStatus.RESOLVED


def test_resolving_twice_says_it_is_already_resolved(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, "resolve"))
    handle_invocation(world.deps, world.invocation(LEAD, "resolve"))

    assert world.said_to(LEAD)[-1] == "This incident is already resolved."
    assert len(world.pager.calls_to("set_status")) == 1


def test_acknowledge_button_acknowledges_in_pagerduty_and_updates_the_summary(
    world: World,
) -> None:
    click(world, ALICE, ACKNOWLEDGE)

    assert world.pager.incidents["PINC7"].status == "acknowledged"
    assert status_of(world) == IncidentStatus.ACKNOWLEDGED
    assert "status acknowledged" in world.summary_blocks_text()
    with transaction(world.deps.sessions) as session:
        kinds = [e.kind for e in timeline(session, world.incident_id)]
    assert "acknowledged" in kinds
    assert world.said_to(ALICE) == ["Acknowledged: PagerDuty stops escalating."]


def test_resolve_button_asks_for_a_summary_then_resolves(world: World) -> None:
    click(world, LEAD, RESOLVE)

    [view] = world.chat.views.values()
    assert view["callback_id"] == modals.RESOLVE_CALLBACK
    assert view["private_metadata"] == str(world.incident_id)
    submit(
        world,
        LEAD,
        view,
        {modals.SUMMARY_BLOCK: {modals.SUMMARY_ACTION: {"value": "restarted the importer"}}},
    )
    assert status_of(world) == IncidentStatus.RESOLVED
    assert "Summary: restarted the importer" in world.tracker.issues[world.jira_key].comments[0]


def test_resolve_button_refuses_before_asking_anything(world: World) -> None:
    click(world, NOBODY, RESOLVE)

    assert world.chat.views == {}
    assert world.said_to(NOBODY)[0].startswith("Only the incident lead")


def test_severity_button_offers_the_four_severities_then_changes_it(world: World) -> None:
    click(world, LEAD, CHANGE_SEVERITY)

    [view] = world.chat.views.values()
    select = view["blocks"][1]["element"]
    assert [o["value"] for o in select["options"]] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert select["initial_option"]["value"] == "SEV3"
    chosen = {"selected_option": {"value": "SEV1"}}
    submit(world, LEAD, view, {modals.SEVERITY_BLOCK: {modals.SEVERITY_ACTION: chosen}})
    assert world.pager.incidents["PINC7"].priority == "P1"
    assert world.tracker.issues[world.jira_key].priority == "Highest"


def test_an_expired_trigger_asks_to_click_again(world: World) -> None:
    click(world, LEAD, RESOLVE, trigger="expired-1")

    assert world.said_to(LEAD) == [EXPIRED]
