"""Status updates and paging from an incident's channel."""

from __future__ import annotations

from multivac.incidents.commands.dispatch import handle_invocation
from multivac.integrations.errors import RateLimited
from multivac.store.database import transaction
from multivac.store.timeline import timeline
from tests.unit.commands_world import (
    ALICE,
    BANK_FEEDS_POLICY,
    LEAD,
    MULTIVAC_PD,
    NOBODY,
    PAYMENTS_POLICY,
    World,
)


def test_an_update_is_posted_with_its_author_and_copied_everywhere(world: World) -> None:
    text = "Feeds are catching up; <!channel> ETA 20 min"
    handle_invocation(world.deps, world.invocation(ALICE, f"update {text}"))

    posted = world.channel_messages()[-1]
    assert posted == (
        f":mega: *Status update* from <@{ALICE.slack_id}>\n"
        ">Feeds are catching up; &lt;!channel&gt; ETA 20 min"
    )
    copied = f"Status update from Alice Ng (Slack): {text}"
    assert world.tracker.issues[world.jira_key].comments == [copied]
    assert world.pager.notes["PINC7"] == [copied]
    with transaction(world.deps.sessions) as session:
        [entry] = [e for e in timeline(session, world.incident_id) if e.kind == "status_update"]
        assert (entry.text, entry.actor) == (text, ALICE.slack_id)
    assert world.said_to(ALICE) == ["Your update is posted and copied to Jira INC-1 and PagerDuty."]


def test_paging_a_person_asks_pagerduty_for_them_as_the_requester(world: World) -> None:
    handle_invocation(
        world.deps, world.invocation(LEAD, f"page <@{ALICE.slack_id}> need a DBA eye")
    )

    [request] = world.pager.responder_requests
    assert request["user_ids"] == (ALICE.pagerduty_id,)
    assert request["requester_id"] == LEAD.pagerduty_id
    assert request["message"] == "need a DBA eye"
    assert "they will be invited here once PagerDuty has them" in world.said_to(LEAD)[0]
    assert (
        f"<@{LEAD.slack_id}> paged <@{ALICE.slack_id}> through PagerDuty"
        in (world.channel_messages()[-1])
    )


def test_paging_a_service_asks_for_its_escalation_policy(world: World) -> None:
    handle_invocation(world.deps, world.invocation(NOBODY, "page payments"))

    [request] = world.pager.responder_requests
    assert request["escalation_policy_ids"] == (PAYMENTS_POLICY,)
    # Grace has no PagerDuty account: Multivac asks as itself.
    assert request["requester_id"] == MULTIVAC_PD.id
    assert "Please join the incident SEV3 Bank feeds delayed" in request["message"]
    assert "the on-call of Payments Gateway" in world.said_to(NOBODY)[0]


def test_an_unknown_service_lists_the_ones_there_are(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, 'page "Warp Drive" now'))

    assert world.pager.responder_requests == []
    assert world.said_to(LEAD) == [
        "'Warp Drive' matches no PagerDuty services. Try one of: Bank Feeds, Payments Gateway."
    ]


def test_someone_without_pagerduty_cannot_be_paged(world: World) -> None:
    handle_invocation(world.deps, world.invocation(LEAD, f"page <@{NOBODY.slack_id}>"))

    assert world.pager.responder_requests == []
    assert "has no PagerDuty account" in world.said_to(LEAD)[0]
    assert BANK_FEEDS_POLICY  # the incident's own policy is not paged by accident


def test_a_short_slack_rate_limit_is_waited_out(world: World) -> None:
    world.chat.fail("post_message", RateLimited("slack", 0.01), times=2)

    handle_invocation(world.deps, world.invocation(ALICE, "update all good"))

    assert ">all good" in world.channel_messages()[-1]
    assert world.said_to(ALICE) == ["Your update is posted and copied to Jira INC-1 and PagerDuty."]


def test_a_long_rate_limit_is_reported_not_waited_for(world: World) -> None:
    world.chat.fail("post_message", RateLimited("slack", 120))

    handle_invocation(world.deps, world.invocation(ALICE, "update all good"))

    [answer] = world.said_to(ALICE)
    assert "could not post in the channel: Slack is not answering right now" in answer
    assert world.tracker.issues[world.jira_key].comments  # the rest still happened
