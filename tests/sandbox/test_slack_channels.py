"""Contract: conversations.* behave like Slack's for the calls Multivac makes."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from multivac.sandbox import seed
from multivac.sandbox.server import RunningSandbox
from tests.sandbox.slack_helpers import slack_error, slack_id

AROHA, NOAH = slack_id("Aroha Ngata"), slack_id("Noah Williams")


def create(client: WebClient, name: str = "inc-42-bank-feeds") -> str:
    return str(client.conversations_create(name=name)["channel"]["id"])


def test_a_created_channel_has_the_bot_as_creator_and_member(
    slack_client: WebClient, sandbox: RunningSandbox
) -> None:
    channel = slack_client.conversations_create(name="inc-42-bank-feeds", is_private=True)[
        "channel"
    ]

    assert channel["id"].startswith("C")
    assert channel["name"] == "inc-42-bank-feeds"
    assert channel["is_private"] is True
    assert channel["creator"] == seed.SLACK_BOT_USER_ID
    assert channel["topic"]["value"] == ""
    members = slack_client.conversations_members(channel=channel["id"])["members"]
    assert members == [seed.SLACK_BOT_USER_ID]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Inc-42", "invalid_name_specials"),
        ("inc 42", "invalid_name_specials"),
        ("inc#42", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("", "invalid_name_required"),
        ("-_-", "invalid_name_punctuation"),
    ],
)
def test_channel_names_follow_slacks_rules(slack_client: WebClient, name: str, error: str) -> None:
    assert slack_error(lambda: slack_client.conversations_create(name=name)) == error


def test_an_80_character_name_is_allowed(slack_client: WebClient) -> None:
    assert slack_client.conversations_create(name="a" * 80)["ok"]


def test_a_name_stays_taken_after_the_channel_is_archived(slack_client: WebClient) -> None:
    channel = create(slack_client)
    slack_client.conversations_archive(channel=channel)

    assert slack_error(lambda: create(slack_client)) == "name_taken"
    assert slack_error(lambda: create(slack_client, "general")) == "name_taken"


def test_inviting_people_adds_only_those_not_yet_members(slack_client: WebClient) -> None:
    channel = create(slack_client)
    slack_client.conversations_invite(channel=channel, users=[AROHA])

    slack_client.conversations_invite(channel=channel, users=[AROHA, NOAH])

    members = slack_client.conversations_members(channel=channel)["members"]
    assert members == [seed.SLACK_BOT_USER_ID, AROHA, NOAH]
    assert slack_client.conversations_info(channel=channel)["channel"]["num_members"] == 3


def test_forced_invites_add_the_known_and_list_the_unknown(slack_client: WebClient) -> None:
    channel = create(slack_client)

    answer = slack_client.conversations_invite(
        channel=channel, users=[AROHA, "U0NOBODY00"], force=True
    )

    assert answer["errors"] == [{"user": "U0NOBODY00", "ok": False, "error": "user_not_found"}]
    assert AROHA in slack_client.conversations_members(channel=channel)["members"]
    only_unknown = lambda: slack_client.conversations_invite(  # noqa: E731
        channel=channel, users=["U0NOBODY00"], force=True
    )
    assert slack_error(only_unknown) == "user_not_found"


def test_conversations_list_pages_through_public_private_and_archived_channels(
    slack_client: WebClient,
) -> None:
    public = create(slack_client)
    private = slack_client.conversations_create(name="inc-secret", is_private=True)["channel"]["id"]
    slack_client.conversations_archive(channel=public)

    def listed(**filters: object) -> set[str]:
        ids: set[str] = set()
        cursor = ""
        while True:
            page = slack_client.conversations_list(limit=2, cursor=cursor, **filters)
            ids |= {channel["id"] for channel in page["channels"]}
            cursor = page["response_metadata"]["next_cursor"]
            if not cursor:
                return ids

    both = listed(types="public_channel,private_channel")
    assert {public, private} <= both
    assert private not in listed(types="public_channel")
    assert public not in listed(types="public_channel,private_channel", exclude_archived=True)


def test_inviting_only_existing_members_is_already_in_channel(slack_client: WebClient) -> None:
    channel = create(slack_client)
    slack_client.conversations_invite(channel=channel, users=[AROHA, NOAH])

    error = slack_error(lambda: slack_client.conversations_invite(channel=channel, users=[NOAH]))

    assert error == "already_in_channel"


@pytest.mark.parametrize(
    ("users", "error"),
    [
        ([seed.SLACK_BOT_USER_ID], "cant_invite_self"),
        (["U0NOBODY00"], "user_not_found"),
        ([AROHA, "U0NOBODY00"], "user_not_found"),
        ([AROHA] * 50 + [f"U0X{i:07d}" for i in range(51)], "too_many_users"),
        ([], "no_user"),
    ],
)
def test_invites_that_slack_refuses(slack_client: WebClient, users: list[str], error: str) -> None:
    channel = create(slack_client)

    assert (
        slack_error(lambda: slack_client.conversations_invite(channel=channel, users=users))
        == error
    )
    assert slack_client.conversations_members(channel=channel)["members"] == [
        seed.SLACK_BOT_USER_ID
    ]


def test_topic_and_purpose_are_set_up_to_250_characters(slack_client: WebClient) -> None:
    channel = create(slack_client)

    slack_client.conversations_setTopic(channel=channel, topic="P1 | Bank feeds down | INC-42")
    slack_client.conversations_setPurpose(channel=channel, purpose="p" * 250)

    info = slack_client.conversations_info(channel=channel)["channel"]
    assert info["topic"]["value"] == "P1 | Bank feeds down | INC-42"
    assert info["purpose"]["value"] == "p" * 250
    too_long = "t" * 251
    assert (
        slack_error(lambda: slack_client.conversations_setTopic(channel=channel, topic=too_long))
        == "too_long"
    )
    assert (
        slack_error(
            lambda: slack_client.conversations_setPurpose(channel=channel, purpose=too_long)
        )
        == "too_long"
    )


def test_an_archived_channel_refuses_every_write(slack_client: WebClient) -> None:
    channel = create(slack_client)
    ts = slack_client.chat_postMessage(channel=channel, text="hello")["ts"]
    slack_client.conversations_archive(channel=channel)

    writes = [
        lambda: slack_client.conversations_invite(channel=channel, users=[AROHA]),
        lambda: slack_client.conversations_setTopic(channel=channel, topic="x"),
        lambda: slack_client.conversations_setPurpose(channel=channel, purpose="x"),
        lambda: slack_client.chat_postMessage(channel=channel, text="x"),
        lambda: slack_client.chat_update(channel=channel, ts=ts, text="x"),
        lambda: slack_client.reactions_add(channel=channel, timestamp=ts, name="eyes"),
        lambda: slack_client.pins_add(channel=channel, timestamp=ts),
        lambda: slack_client.bookmarks_add(
            channel_id=channel, title="Jira", type="link", link="https://jira.example/INC-42"
        ),
    ]
    assert [slack_error(write) for write in writes] == ["is_archived"] * len(writes)


def test_archive_and_unarchive_only_change_state_once(slack_client: WebClient) -> None:
    channel = create(slack_client)

    assert (
        slack_error(lambda: slack_client.conversations_unarchive(channel=channel)) == "not_archived"
    )
    slack_client.conversations_archive(channel=channel)
    assert slack_client.conversations_info(channel=channel)["channel"]["is_archived"] is True
    assert (
        slack_error(lambda: slack_client.conversations_archive(channel=channel))
        == "already_archived"
    )
    slack_client.conversations_unarchive(channel=channel)
    assert slack_client.conversations_info(channel=channel)["channel"]["is_archived"] is False


def test_unknown_channels_are_not_found(slack_client: WebClient) -> None:
    calls = [
        lambda: slack_client.conversations_info(channel="C0NOSUCH"),
        lambda: slack_client.conversations_setTopic(channel="C0NOSUCH", topic="x"),
        lambda: slack_client.chat_postMessage(channel="C0NOSUCH", text="x"),
        lambda: slack_client.conversations_archive(channel="C0NOSUCH"),
    ]
    assert [slack_error(call) for call in calls] == ["channel_not_found"] * len(calls)


def test_members_are_paged_with_a_cursor(slack_client: WebClient) -> None:
    general = slack_client.conversations_info(channel="#general")["channel"]

    first = slack_client.conversations_members(channel=general["id"], limit=10)
    second = slack_client.conversations_members(
        channel=general["id"], limit=100, cursor=first["response_metadata"]["next_cursor"]
    )

    assert len(first["members"]) == 10
    assert second["response_metadata"]["next_cursor"] == ""
    assert len(first["members"]) + len(second["members"]) == general["num_members"]


def test_the_state_snapshot_shows_the_channel(
    slack_client: WebClient, sandbox: RunningSandbox
) -> None:
    channel = create(slack_client)
    slack_client.conversations_invite(channel=channel, users=AROHA)
    slack_client.conversations_setTopic(channel=channel, topic="Bank feeds down")

    with sandbox.sandbox.lock:
        snapshot = sandbox.sandbox.slack.snapshot()

    created = next(c for c in snapshot["channels"] if c["id"] == channel)
    assert created["members"] == [seed.SLACK_BOT_USER_ID, AROHA]
    assert created["topic"]["value"] == "Bank feeds down"
    assert created["is_archived"] is False
