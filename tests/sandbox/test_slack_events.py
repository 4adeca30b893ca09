"""Contract: what people do in channels reaches Multivac as signed Events API callbacks."""

from __future__ import annotations

from slack_sdk import WebClient

from multivac.sandbox import seed
from multivac.sandbox.server import RunningSandbox
from multivac.sandbox.slack.actor import SlackActor
from tests.sandbox.slack_helpers import (
    FakeMultivac,
    actor,
    signed_by_slack,
    slack_id,
    slack_state,
)

AROHA = slack_id("Aroha Ngata")


def test_a_reaction_changes_the_message_and_sends_the_event(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    ts = slack_client.chat_postMessage(channel="#general", text="Who is on it?")["ts"]

    answer = actor(
        sandbox, "event", {"type": "reaction_added", "user": AROHA, "reaction": "eyes", "ts": ts}
    ).json()

    received = multivac.only("/slack/events")
    assert signed_by_slack(received)
    envelope = received.payload
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"] == answer["event_id"]
    assert (envelope["team_id"], envelope["authorizations"][0]["user_id"]) == (
        seed.SLACK_TEAM_ID,
        seed.SLACK_BOT_USER_ID,
    )
    event = envelope["event"]
    assert (event["type"], event["user"], event["reaction"]) == ("reaction_added", AROHA, "eyes")
    assert event["item"] == {
        "type": "message",
        "channel": sandbox.sandbox.slack.general_id,
        "ts": ts,
    }
    assert event["item_user"] == seed.SLACK_BOT_USER_ID
    general = next(c for c in slack_state(sandbox)["channels"] if c["name"] == "general")
    assert general["messages"][0]["reactions"] == [{"name": "eyes", "users": [AROHA]}]
    again = actor(sandbox, "event", {"type": "reaction_added", "user": AROHA, "reaction": "eyes"})
    assert (again.status_code, again.json()["error"]) == (409, "already_reacted")


def test_an_event_can_be_retried_with_slacks_headers(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    slack_client.chat_postMessage(channel="#general", text="Summary")
    first = actor(sandbox, "event", {"type": "pin_added", "user": AROHA}).json()

    actor(
        sandbox,
        "event",
        {"event_id": first["event_id"], "retry": 1, "retry_reason": "http_timeout"},
    )

    original, retry = [r for r in multivac.received if r.path == "/slack/events"]
    assert retry.payload == original.payload
    assert retry.payload["event"]["type"] == "pin_added"
    assert (retry.headers["X-Slack-Retry-Num"], retry.headers["X-Slack-Retry-Reason"]) == (
        "1",
        "http_timeout",
    )
    assert "X-Slack-Retry-Num" not in original.headers
    assert signed_by_slack(retry)


def test_url_verification_checks_the_challenge_is_echoed(
    sandbox: RunningSandbox, multivac: FakeMultivac
) -> None:
    multivac.replies["/slack/events"] = lambda got: (200, {"challenge": got.payload["challenge"]})

    answer = actor(sandbox, "event", {"type": "url_verification", "challenge": "c-123"}).json()

    assert multivac.only("/slack/events").payload == {
        "token": multivac.only("/slack/events").payload["token"],
        "challenge": "c-123",
        "type": "url_verification",
    }
    assert answer["challenge_ok"] is True


def test_the_actor_is_usable_from_python(sandbox: RunningSandbox, multivac: FakeMultivac) -> None:
    result = SlackActor(sandbox.sandbox).event(
        {"type": "message", "user": AROHA, "text": "I'm on it"}
    )

    event = multivac.only("/slack/events").payload["event"]
    assert (event["type"], event["user"], event["text"]) == ("message", AROHA, "I'm on it")
    assert event["channel_type"] == "channel"
    assert result["status"] == 200
