"""Contract: messages, reactions, pins, bookmarks and the directory behave like Slack's."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient

from multivac.sandbox import seed
from multivac.sandbox.server import RunningSandbox
from tests.sandbox.slack_helpers import slack_error, slack_id

AROHA = slack_id("Aroha Ngata")
BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*P1* Bank feeds down"}},
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "acknowledge",
                "value": "INC-42",
                "text": {"type": "plain_text", "text": "Acknowledge"},
            },
        ],
    },
]


@pytest.fixture
def channel(slack_client: WebClient) -> str:
    channel_id = str(slack_client.conversations_create(name="inc-42")["channel"]["id"])
    slack_client.conversations_invite(channel=channel_id, users=AROHA)
    return channel_id


def messages(sandbox: RunningSandbox, channel: str) -> list[dict[str, object]]:
    with sandbox.sandbox.lock:
        snapshot = sandbox.sandbox.slack.snapshot()
    found: list[dict[str, object]] = next(c for c in snapshot["channels"] if c["id"] == channel)[
        "messages"
    ]
    return found


def test_a_bot_post_is_stored_with_text_blocks_and_bot_identity(
    slack_client: WebClient, sandbox: RunningSandbox, channel: str
) -> None:
    posted = slack_client.chat_postMessage(channel=channel, text="Bank feeds down", blocks=BLOCKS)

    assert posted["channel"] == channel
    assert posted["message"]["bot_id"] == seed.SLACK_BOT_ID
    assert posted["message"]["blocks"] == BLOCKS
    [stored] = messages(sandbox, channel)
    assert stored["ts"] == posted["ts"]
    assert stored["user"] == seed.SLACK_BOT_USER_ID
    assert stored["text"] == "Bank feeds down"
    assert stored["blocks"] == BLOCKS


def test_message_timestamps_strictly_increase(slack_client: WebClient, channel: str) -> None:
    stamps = [slack_client.chat_postMessage(channel=channel, text=str(i))["ts"] for i in range(4)]

    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 4
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


def test_posts_need_text_or_valid_blocks(slack_client: WebClient) -> None:
    general = "#general"
    with_bad_blocks = [{"text": "no type"}]

    empty = {"channel": general}  # api_call: chat_postMessage itself warns about a missing text

    assert slack_error(lambda: slack_client.api_call("chat.postMessage", json=empty)) == "no_text"
    assert (
        slack_error(
            lambda: slack_client.chat_postMessage(channel=general, text="x", blocks=with_bad_blocks)
        )
        == "invalid_blocks"
    )


def test_a_post_to_a_person_goes_to_their_direct_messages(
    slack_client: WebClient, sandbox: RunningSandbox
) -> None:
    posted = slack_client.chat_postMessage(channel=AROHA, text="You are incident lead")

    assert posted["channel"].startswith("D")
    assert messages(sandbox, posted["channel"])[0]["text"] == "You are incident lead"


def test_chat_update_edits_a_bot_message(
    slack_client: WebClient, sandbox: RunningSandbox, channel: str
) -> None:
    ts = slack_client.chat_postMessage(channel=channel, text="Investigating")["ts"]

    updated = slack_client.chat_update(channel=channel, ts=ts, text="Resolved", blocks=[])

    assert updated["ts"] == ts
    [stored] = messages(sandbox, channel)
    assert stored["text"] == "Resolved"
    assert stored["edited"] is not None
    unknown = "1600000000.000100"
    assert slack_error(lambda: slack_client.chat_update(channel=channel, ts=unknown, text="x")) == (
        "message_not_found"
    )


def test_ephemeral_messages_reach_only_members(
    slack_client: WebClient, sandbox: RunningSandbox, channel: str
) -> None:
    slack_client.chat_postEphemeral(channel=channel, user=AROHA, text="Only you can see this")

    with sandbox.sandbox.lock:
        [shown] = sandbox.sandbox.slack.snapshot()["ephemeral"]
    assert (shown["user"], shown["channel"], shown["text"]) == (
        AROHA,
        channel,
        "Only you can see this",
    )
    outsider = slack_id("Grace Liu")
    assert (
        slack_error(
            lambda: slack_client.chat_postEphemeral(channel=channel, user=outsider, text="x")
        )
        == "user_not_in_channel"
    )


def test_reactions_are_added_once_and_removed_once(
    slack_client: WebClient, sandbox: RunningSandbox, channel: str
) -> None:
    ts = slack_client.chat_postMessage(channel=channel, text="hi")["ts"]

    slack_client.reactions_add(channel=channel, timestamp=ts, name="eyes")
    assert messages(sandbox, channel)[0]["reactions"] == [
        {"name": "eyes", "users": [seed.SLACK_BOT_USER_ID]}
    ]
    again = slack_error(
        lambda: slack_client.reactions_add(channel=channel, timestamp=ts, name="eyes")
    )
    assert again == "already_reacted"
    slack_client.reactions_remove(channel=channel, timestamp=ts, name="eyes")
    assert messages(sandbox, channel)[0]["reactions"] == []
    gone = slack_error(
        lambda: slack_client.reactions_remove(channel=channel, timestamp=ts, name="eyes")
    )
    assert gone == "no_reaction"
    missing = slack_error(
        lambda: slack_client.reactions_add(channel=channel, timestamp="1.000100", name="eyes")
    )
    assert missing == "message_not_found"


def test_pins_and_bookmarks_are_recorded(
    slack_client: WebClient, sandbox: RunningSandbox, channel: str
) -> None:
    ts = slack_client.chat_postMessage(channel=channel, text="Summary")["ts"]

    slack_client.pins_add(channel=channel, timestamp=ts)
    bookmark = slack_client.bookmarks_add(
        channel_id=channel, title="INC-42", type="link", link="https://tuatara.atlassian.net/INC-42"
    )["bookmark"]

    with sandbox.sandbox.lock:
        snapshot = sandbox.sandbox.slack.snapshot()
    stored = next(c for c in snapshot["channels"] if c["id"] == channel)
    assert stored["pins"] == [ts]
    assert stored["bookmarks"][0]["link"] == "https://tuatara.atlassian.net/INC-42"
    assert bookmark["title"] == "INC-42"
    assert (
        slack_error(lambda: slack_client.pins_add(channel=channel, timestamp=ts))
        == "already_pinned"
    )


def test_bookmark_links_must_be_http(slack_client: WebClient, channel: str) -> None:
    error = slack_error(
        lambda: slack_client.bookmarks_add(
            channel_id=channel, title="Runbook", type="link", link="ftp://runbooks/bank-feeds"
        )
    )

    assert error == "invalid_link"


def test_people_are_found_by_email_and_id(slack_client: WebClient) -> None:
    aroha = slack_client.users_lookupByEmail(email="aroha.ngata@tuatara.example")["user"]

    assert aroha["id"] == AROHA
    assert aroha["profile"]["email"] == "aroha.ngata@tuatara.example"
    assert slack_client.users_info(user=AROHA)["user"]["real_name"] == "Aroha Ngata"
    assert slack_client.users_info(user=seed.SLACK_BOT_USER_ID)["user"]["is_bot"] is True
    contractor = "ravi.shah@contractors.example"  # in PagerDuty, not in Slack
    assert (
        slack_error(lambda: slack_client.users_lookupByEmail(email=contractor)) == "users_not_found"
    )
    assert slack_error(lambda: slack_client.users_info(user="U0NOBODY00")) == "user_not_found"


def test_team_user_groups_hold_rotation_lead_and_extras(slack_client: WebClient) -> None:
    team = seed.team_by_slug("cx-specialists")

    users = slack_client.usergroups_users_list(usergroup=team.slack_usergroup_id)["users"]

    assert slack_id("Daniel Garcia") in users  # the lead
    assert slack_id("Hannah Reid") in users  # on the rotation
    assert slack_id("Grace Liu") in users  # Slack-only extra member
    assert slack_error(lambda: slack_client.usergroups_users_list(usergroup="S0NOSUCH")) == (
        "no_such_subteam"
    )


def test_auth_test_names_the_bot(slack_client: WebClient) -> None:
    me = slack_client.auth_test()

    assert (me["user_id"], me["bot_id"], me["team_id"]) == (
        seed.SLACK_BOT_USER_ID,
        seed.SLACK_BOT_ID,
        seed.SLACK_TEAM_ID,
    )
