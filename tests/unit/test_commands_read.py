"""Reading from Slack: the status card, the list of open incidents, who is on call; and what a
person is told when a command is used in the wrong place or does not parse."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from multivac.incidents.commands.authorization import in_usergroups, may_declare
from multivac.incidents.commands.dispatch import NOT_IN_INCIDENT, UNEXPECTED, handle_invocation
from multivac.incidents.commands.status import age
from multivac.settings import AuthorizationSettings, ServiceRoute
from tests.unit.commands_world import ALICE, CX, LEAD, NOBODY, ZOE, World


def general(world: World) -> str:
    channel = world.chat.create_channel(name="general")
    world.chat.invite(channel_id=channel.id, user_ids=[LEAD.slack_id, ALICE.slack_id, CX.slack_id])
    return channel.id


def test_the_status_card_shows_everything_at_a_glance(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, f"role cx <@{CX.slack_id}>"))
    handle_invocation(world.deps, world.invocation(ALICE, "update importer restarted"))
    handle_invocation(world.deps, world.invocation(NOBODY, "status"))

    [card] = world.said_to(NOBODY)
    lines = card.splitlines()
    assert lines[0] == "*SEV3 · Bank feeds delayed*"
    assert lines[1] == "*Status:* triggered · open for 1h 5m"
    assert lines[2] == f"*Lead:* <@{LEAD.slack_id}> · *CX liaison:* <@{CX.slack_id}>"
    assert lines[3] == (
        f"*Links:* <#{world.channel_id}> · <https://pd.example/incidents/PINC7|PagerDuty #7> · "
        "<http://127.0.0.1:9/jira/browse/INC-1|Jira INC-1>"
    )
    assert lines[4] == (
        f"*Last update* (<@{ALICE.slack_id}>, under a minute ago): importer restarted"
    )


def test_list_shows_open_incidents_with_their_channels(world: World) -> None:
    where = general(world)
    handle_invocation(world.deps, world.invocation(LEAD, "list", channel_id=where))

    assert world.said_to(LEAD) == [
        "*Open incidents* (1)\n"
        f"• *SEV3* <#{world.channel_id}> Bank feeds delayed · 1h 5m · lead <@{LEAD.slack_id}>"
    ]


def test_oncall_for_a_team_shows_each_level_and_until_when(world: World) -> None:
    handle_invocation(world.deps, world.invocation(NOBODY, "oncall bank feeds"))

    [answer] = world.said_to(NOBODY)
    lines = answer.splitlines()
    assert lines[0] == "*Bank Feeds*"
    assert lines[1].startswith("Level 1: Lucas Kim (until <!date^")
    assert lines[2] == "Level 2: Alice Ng (always)"


def test_oncall_without_a_team_shows_the_callers_rotations(world: World) -> None:
    handle_invocation(world.deps, world.invocation(ALICE, "oncall"))

    [answer] = world.said_to(ALICE)
    assert "*Bank Feeds*" in answer
    assert "*Payments Gateway*" in answer


def test_oncall_finds_the_services_routed_to_the_callers_user_groups(world: World) -> None:
    routes = [ServiceRoute(service="Payments Gateway", invite_usergroups=["S0CXTEAM"])]
    incidents = world.deps.settings.incidents.model_copy(update={"routes": routes})
    settings = world.deps.settings.model_copy(update={"incidents": incidents})
    world.deps = replace(world.deps, settings=settings)

    handle_invocation(world.deps, world.invocation(CX, "oncall"))

    [answer] = world.said_to(CX)
    assert answer.startswith("*Payments Gateway*\nLevel 1: Alice Ng (until")


def test_oncall_for_someone_on_no_rotation_says_what_to_type(world: World) -> None:
    handle_invocation(world.deps, world.invocation(NOBODY, "oncall"))

    assert world.said_to(NOBODY) == [
        "Multivac cannot tell which teams you are in. Type `/incident oncall <team or service>`, "
        "with one of: Bank Feeds, Payments Gateway."
    ]


def test_an_incident_command_outside_an_incident_channel_points_to_list(world: World) -> None:
    where = general(world)
    handle_invocation(world.deps, world.invocation(LEAD, "sev 1", channel_id=where))

    assert world.said_to(LEAD) == [NOT_IN_INCIDENT]
    assert world.pager.calls_to("set_priority") == []


def test_an_unknown_subcommand_gets_the_help(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, "frobnicate"))

    [answer] = world.said_to(LEAD)
    assert answer.startswith("Unknown command 'frobnicate'.")
    assert "`/incident oncall [team or service]`" in answer


def test_an_argument_that_does_not_parse_says_what_was_expected(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, "sev 9"))

    assert world.said_to(LEAD)[0].startswith("Usage: `/incident sev &lt;1-4&gt;`")


def test_a_bug_is_told_to_the_person_and_still_raised(world: World) -> None:
    world.chat.users.pop(ALICE.slack_id)  # user_info now raises NotFound: handled, told
    handle_invocation(world.deps, world.invocation(LEAD, f"lead <@{ALICE.slack_id}>"))
    assert world.said_to(LEAD) == ["That did not work: Slack said: no such user."]

    def broken(**_: object) -> None:
        raise RuntimeError("boom")

    world.chat.post_message = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        handle_invocation(world.deps, world.invocation(LEAD, "update x"))
    assert world.said_to(LEAD)[-1] == UNEXPECTED


def test_declaring_is_open_to_everyone_unless_groups_are_configured(world: World) -> None:
    assert may_declare(world.deps, NOBODY.slack_id).allowed
    closed = AuthorizationSettings(declare=["S0MANAGERS"])
    settings = world.deps.settings.model_copy(update={"authorization": closed})
    deps = replace(world.deps, settings=settings)
    assert may_declare(deps, ZOE.slack_id).allowed
    refused = may_declare(deps, NOBODY.slack_id)
    assert not refused.allowed
    assert refused.refusal == "Only members of <!subteam^S0MANAGERS> can declare an incident."


def test_user_group_membership_is_asked_of_slack_once_then_cached(world: World) -> None:
    for _ in range(3):
        assert in_usergroups(world.deps, ZOE.slack_id, ["S0MANAGERS"])
        assert not in_usergroups(world.deps, NOBODY.slack_id, ["S0MANAGERS", "S0UNKNOWN"])
    asked = [c["usergroup_id"] for c in world.chat.calls_to("usergroup_members")]
    assert sorted(asked) == ["S0MANAGERS", "S0MANAGERS", "S0UNKNOWN"]


def test_ages_read_like_people_say_them() -> None:
    assert age(timedelta(seconds=20)) == "under a minute"
    assert age(timedelta(minutes=12)) == "12m"
    assert age(timedelta(minutes=65)) == "1h 5m"
    assert age(timedelta(days=3, hours=4, minutes=5)) == "3d 4h"
