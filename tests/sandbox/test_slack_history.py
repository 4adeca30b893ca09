"""Contract: message metadata, conversations.history and bookmarks.list behave like Slack's.

What a retried war-room step relies on to find what it already did: a message posted with
metadata can be read back, newest first, and the metadata shows only when asked for.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk import WebClient

from multivac.sandbox.server import RunningSandbox
from tests.sandbox.slack_helpers import slack_error, slack_id

AROHA = slack_id("Aroha Ngata")
SUMMARY = {"event_type": "multivac_incident_summary", "event_payload": {"incident": "Q1ABC"}}


@pytest.fixture
def channel(slack_client: WebClient) -> str:
    return str(slack_client.conversations_create(name="inc-42")["channel"]["id"])


def history(slack_client: WebClient, channel: str, **args: Any) -> dict[str, Any]:
    data = slack_client.conversations_history(channel=channel, **args).data
    assert isinstance(data, dict)
    return data


def test_history_is_newest_first_with_metadata_only_when_asked(
    slack_client: WebClient, channel: str
) -> None:
    first = slack_client.chat_postMessage(channel=channel, text="Summary", metadata=SUMMARY)
    second = slack_client.chat_postMessage(channel=channel, text="Status update")

    plain = history(slack_client, channel)
    full = history(slack_client, channel, include_all_metadata=True)

    assert first["message"]["metadata"] == SUMMARY
    assert [m["ts"] for m in plain["messages"]] == [second["ts"], first["ts"]]
    assert all("metadata" not in m for m in plain["messages"])
    assert full["messages"][1]["metadata"] == SUMMARY
    assert "metadata" not in full["messages"][0]
    assert plain["has_more"] is False


def test_metadata_sent_as_a_json_string_is_the_same(slack_client: WebClient, channel: str) -> None:
    slack_client.api_call(
        "chat.postMessage",
        data={"channel": channel, "text": "Summary", "metadata": json.dumps(SUMMARY)},
    )
    [message] = history(slack_client, channel, include_all_metadata=True)["messages"]
    assert message["metadata"] == SUMMARY


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ("{not json", "invalid_metadata_format"),
        ('["a list"]', "invalid_metadata_format"),
        ('{"event_payload": {}}', "invalid_metadata_schema"),
        ('{"event_type": "x", "event_payload": "text"}', "invalid_metadata_schema"),
    ],
)
def test_malformed_metadata_is_refused(
    slack_client: WebClient, channel: str, metadata: str, code: str
) -> None:
    post = {"channel": channel, "text": "Summary", "metadata": metadata}
    assert slack_error(lambda: slack_client.api_call("chat.postMessage", data=post)) == code


def test_history_pages_with_a_cursor(slack_client: WebClient, channel: str) -> None:
    posted = [slack_client.chat_postMessage(channel=channel, text=f"m{n}")["ts"] for n in range(4)]

    page = history(slack_client, channel, limit=3)
    rest = history(slack_client, channel, limit=10, cursor=page["response_metadata"]["next_cursor"])

    assert [m["ts"] for m in page["messages"]] == posted[:0:-1]
    assert page["has_more"] is True
    assert [m["ts"] for m in page["messages"] + rest["messages"]] == posted[::-1]
    assert rest["has_more"] is False
    assert slack_error(lambda: history(slack_client, channel, cursor="garbage")) == "invalid_cursor"


def test_history_keeps_to_the_oldest_latest_window(slack_client: WebClient, channel: str) -> None:
    ts = [slack_client.chat_postMessage(channel=channel, text=f"m{n}")["ts"] for n in range(3)]

    between = history(slack_client, channel, oldest=ts[0], latest=ts[2])
    inclusive = history(slack_client, channel, oldest=ts[0], latest=ts[2], inclusive=True)

    assert [m["ts"] for m in between["messages"]] == [ts[1]]
    assert [m["ts"] for m in inclusive["messages"]] == ts[::-1]
    assert slack_error(lambda: history(slack_client, channel, oldest="yesterday")) == (
        "invalid_ts_oldest"
    )


def test_thread_replies_are_not_in_the_channel_history(
    slack_client: WebClient, channel: str
) -> None:
    parent = slack_client.chat_postMessage(channel=channel, text="Summary")["ts"]
    slack_client.chat_postMessage(channel=channel, text="a reply", thread_ts=parent)
    assert [m["ts"] for m in history(slack_client, channel)["messages"]] == [parent]


def test_history_needs_the_bot_in_an_existing_channel(
    slack_client: WebClient, sandbox: RunningSandbox
) -> None:
    with sandbox.sandbox.lock:
        theirs = sandbox.sandbox.slack.create_channel("random", is_private=False, creator=AROHA)
    assert slack_error(lambda: history(slack_client, theirs.id)) == "not_in_channel"
    assert slack_error(lambda: history(slack_client, "C0NOSUCH")) == "channel_not_found"


def test_an_archived_channels_history_can_still_be_read(
    slack_client: WebClient, channel: str
) -> None:
    posted = slack_client.chat_postMessage(channel=channel, text="Resolved")["ts"]
    slack_client.conversations_archive(channel=channel)
    assert [m["ts"] for m in history(slack_client, channel)["messages"]] == [posted]


def test_bookmarks_list_shows_what_bookmarks_add_returned(
    slack_client: WebClient, channel: str
) -> None:
    added = [
        slack_client.bookmarks_add(channel_id=channel, title=title, type="link", link=link)[
            "bookmark"
        ]
        for title, link in [("Jira", "https://jira.example/INC-1"), ("PD", "https://pd.example")]
    ]

    listed = slack_client.bookmarks_list(channel_id=channel)["bookmarks"]

    assert listed == added
    assert {"id", "channel_id", "title", "link", "emoji", "type", "date_created"} <= set(listed[0])
    assert slack_error(lambda: slack_client.bookmarks_list(channel_id="C0NOSUCH")) == (
        "channel_not_found"
    )
