"""Contract: authentication, rate limits and injected faults look like Slack's to slack_sdk."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from multivac.sandbox.server import RunningSandbox
from multivac.sandbox.slack.api import METHODS
from multivac.sandbox.slack.tiers import TIERS
from tests.sandbox.slack_helpers import slack_error


def test_a_wrong_or_missing_token_is_refused(sandbox: RunningSandbox) -> None:
    wrong = WebClient(token="xoxb-not-ours", base_url=sandbox.slack_api_url)
    missing = WebClient(base_url=sandbox.slack_api_url)

    assert slack_error(wrong.auth_test) == "invalid_auth"
    assert slack_error(missing.auth_test) == "not_authed"


def test_every_method_but_post_message_has_a_tier() -> None:
    assert set(METHODS) - set(TIERS) == {"chat.postMessage"}


def test_tier_2_allows_20_calls_a_minute_then_asks_to_retry_after(
    slack_client: WebClient, sandbox: RunningSandbox
) -> None:
    sandbox.sandbox.traffic.time_scale = 60  # a minute lasts a second
    channel = slack_client.conversations_create(name="inc-7")["channel"]["id"]
    for n in range(20):
        slack_client.conversations_setTopic(channel=channel, topic=f"update {n}")

    with pytest.raises(SlackApiError) as limited:
        slack_client.conversations_setTopic(channel=channel, topic="one too many")

    assert limited.value.response.status_code == 429
    assert limited.value.response["error"] == "ratelimited"
    retry_after = int(limited.value.response.headers["Retry-After"])
    assert retry_after >= 1
    assert slack_client.conversations_setPurpose(channel=channel, purpose="another method")["ok"]
    time.sleep(retry_after)
    assert slack_client.conversations_setTopic(channel=channel, topic="after waiting")["ok"]


def test_post_message_bursts_are_limited_per_channel(
    slack_client: WebClient, sandbox: RunningSandbox
) -> None:
    burst = sandbox.sandbox.options.post_message_burst
    busy = slack_client.conversations_create(name="inc-8")["channel"]["id"]
    quiet = slack_client.conversations_create(name="inc-9")["channel"]["id"]
    for n in range(burst):
        slack_client.chat_postMessage(channel=busy, text=f"update {n}")

    with pytest.raises(SlackApiError) as limited:
        slack_client.chat_postMessage(channel=busy, text="one too many")

    assert limited.value.response.status_code == 429
    assert "Retry-After" in limited.value.response.headers
    assert slack_client.chat_postMessage(channel=quiet, text="elsewhere")["ok"]


def test_an_outage_answers_server_errors(slack_client: WebClient, sandbox: RunningSandbox) -> None:
    sandbox.sandbox.traffic.start_outage("slack", seconds=30, status=503)

    with pytest.raises(SlackApiError) as failed:
        slack_client.auth_test()

    assert failed.value.response.status_code == 503
    assert failed.value.response["ok"] is False
    sandbox.sandbox.traffic.end_outage("slack")
    assert slack_client.auth_test()["ok"]


def test_unknown_methods_are_refused(slack_client: WebClient) -> None:
    assert slack_error(lambda: slack_client.api_call("chat.scheduleMessage")) == "unknown_method"


def test_calls_are_logged_by_method(slack_client: WebClient, sandbox: RunningSandbox) -> None:
    slack_client.auth_test()
    slack_error(lambda: slack_client.conversations_info(channel="C0NOSUCH"))

    assert sandbox.sandbox.traffic.log.count("slack", "auth.test") == 1
    [failed] = [
        e
        for e in sandbox.sandbox.traffic.log.entries("slack")
        if e.operation == "conversations.info"
    ]
    assert failed.detail == "channel_not_found"
