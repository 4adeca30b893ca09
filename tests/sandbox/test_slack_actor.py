"""Contract: the sandbox runs slash commands against Multivac like Slack: signed form posts,
trigger ids for modals and response URLs with Slack's limits."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from slack_sdk import WebClient

from multivac.sandbox import seed
from multivac.sandbox.server import RunningSandbox
from tests.sandbox.slack_helpers import (
    MODAL,
    FakeMultivac,
    ManualClock,
    Received,
    actor,
    fake_multivac,
    run_command,
    signed_by_slack,
    slack_error,
    slack_id,
    slack_state,
)

AROHA = slack_id("Aroha Ngata")


@pytest.fixture
def clock(sandbox: RunningSandbox) -> ManualClock:
    """Trigger ids and response URLs age by this clock, moved by hand."""
    manual = ManualClock()
    sandbox.sandbox.slack.clock = manual
    return manual


def test_a_slash_command_arrives_signed_with_slacks_fields(
    sandbox: RunningSandbox, multivac: FakeMultivac
) -> None:
    answer = run_command(sandbox)

    received = multivac.only("/slack/commands")
    assert signed_by_slack(received)
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = received.form
    assert form["command"] == "/incident"
    assert form["text"] == "declare Bank feeds down"
    assert (form["user_id"], form["user_name"]) == (AROHA, "aroha.ngata")
    assert (form["team_id"], form["team_domain"]) == (seed.SLACK_TEAM_ID, seed.SLACK_TEAM_DOMAIN)
    assert form["channel_name"] == "general"
    assert {"token", "api_app_id", "channel_id"} <= set(form)
    assert form["trigger_id"] == answer["trigger_id"]
    assert form["response_url"] == answer["response_url"]
    assert form["response_url"].startswith(f"{sandbox.url}/_sandbox/slack/response/")
    assert answer["status"] == 200
    assert answer["acknowledged"] is True
    assert slack_state(sandbox)["deliveries"][0]["kind"] == "command"


def test_without_a_multivac_url_the_actor_says_so(sandbox: RunningSandbox) -> None:
    response = actor(sandbox, "command", {"user": AROHA, "text": "help"})

    assert response.status_code == 409
    assert "multivac_url" in response.json()["error"]


def test_the_multivac_url_can_be_given_per_request(sandbox: RunningSandbox) -> None:
    with fake_multivac() as elsewhere:
        response = actor(sandbox, "command", {"user": AROHA, "multivac_url": elsewhere.url})

        assert response.status_code == 200
        assert elsewhere.only("/slack/commands").form["user_id"] == AROHA


def test_an_unknown_person_cannot_run_commands(
    sandbox: RunningSandbox, multivac: FakeMultivac
) -> None:
    response = actor(sandbox, "command", {"user": "ravi.shah@contractors.example"})

    assert response.status_code == 404
    assert multivac.received == []


def test_the_command_ack_is_shown_like_slack_shows_it(
    sandbox: RunningSandbox, multivac: FakeMultivac
) -> None:
    multivac.replies["/slack/commands"] = lambda _: (
        200,
        {"response_type": "in_channel", "text": "Declaring..."},
    )
    run_command(sandbox)
    multivac.replies["/slack/commands"] = lambda _: (200, "Only you see this")
    run_command(sandbox)

    state = slack_state(sandbox)
    general = next(c for c in state["channels"] if c["name"] == "general")
    assert [m["text"] for m in general["messages"]] == ["Declaring..."]
    assert general["messages"][0]["user"] == seed.SLACK_BOT_USER_ID
    assert [(e["user"], e["text"]) for e in state["ephemeral"]] == [(AROHA, "Only you see this")]


def test_a_failed_ack_shows_the_user_slacks_error(
    sandbox: RunningSandbox, multivac: FakeMultivac
) -> None:
    multivac.replies["/slack/commands"] = lambda _: (500, "boom")

    answer = run_command(sandbox)

    assert (answer["status"], answer["acknowledged"]) == (500, False)
    assert "dispatch_failed" in slack_state(sandbox)["ephemeral"][0]["text"]


def test_a_trigger_id_opens_one_modal_while_multivac_acks(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    opened: list[str] = []

    def open_modal(received: Received) -> tuple[int, Any]:
        view = slack_client.views_open(trigger_id=received.form["trigger_id"], view=MODAL)["view"]
        opened.append(view["id"])
        return 200, None

    multivac.replies["/slack/commands"] = open_modal
    answer = run_command(sandbox)

    assert len(opened) == 1
    [view] = slack_state(sandbox)["views"]
    assert (view["id"], view["user"]) == (opened[0], AROHA)
    reuse = slack_error(
        lambda: slack_client.views_open(trigger_id=answer["trigger_id"], view=MODAL)
    )
    assert reuse == "exchanged_trigger_id"


def test_a_trigger_id_expires_after_three_seconds(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient, clock: ManualClock
) -> None:
    answer = run_command(sandbox)
    clock.advance(3.1)

    late = slack_error(lambda: slack_client.views_open(trigger_id=answer["trigger_id"], view=MODAL))

    assert late == "expired_trigger_id"
    made_up = "1700000000.1234567890.abcdef"
    assert slack_error(lambda: slack_client.views_open(trigger_id=made_up, view=MODAL)) == (
        "invalid_trigger_id"
    )


def test_views_update_replaces_the_view_by_id(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    trigger = run_command(sandbox)["trigger_id"]
    view = slack_client.views_open(trigger_id=trigger, view=MODAL)["view"]

    changed = MODAL | {"title": {"type": "plain_text", "text": "Declared"}}
    updated = slack_client.views_update(view_id=view["id"], view=changed)["view"]

    assert updated["title"]["text"] == "Declared"
    assert slack_state(sandbox)["views"][0]["view"]["title"]["text"] == "Declared"
    assert (
        slack_error(lambda: slack_client.views_update(view_id="V0NOSUCH", view=MODAL))
        == "not_found"
    )


def test_a_response_url_posts_five_times_within_thirty_minutes(
    sandbox: RunningSandbox, multivac: FakeMultivac, clock: ManualClock
) -> None:
    url, other, stale = (run_command(sandbox)["response_url"] for _ in range(3))

    answers = [requests.post(url, json={"text": f"update {n}"}, timeout=5) for n in range(6)]
    in_channel = requests.post(
        other, json={"response_type": "in_channel", "text": "Hi all"}, timeout=5
    )
    clock.advance(30 * 60 + 1)
    expired = requests.post(stale, json={"text": "late"}, timeout=5)

    assert [a.status_code for a in answers] == [200] * 5 + [404]
    assert answers[-1].json()["error"] == "used_url"
    assert in_channel.status_code == 200
    assert (expired.status_code, expired.json()["error"]) == (404, "expired_url")
    state = slack_state(sandbox)
    assert [e["text"] for e in state["ephemeral"]] == [f"update {n}" for n in range(5)]
    general = next(c for c in state["channels"] if c["name"] == "general")
    assert [m["text"] for m in general["messages"]] == ["Hi all"]
