"""Contract: button clicks and modal submissions reach Multivac as Slack's interaction payloads."""

from __future__ import annotations

from typing import Any

import requests
from slack_sdk import WebClient

from multivac.sandbox.server import RunningSandbox
from tests.sandbox.slack_helpers import (
    MODAL,
    FakeMultivac,
    actor,
    open_modal,
    run_command,
    signed_by_slack,
    slack_id,
    slack_state,
)

AROHA = slack_id("Aroha Ngata")

BUTTONS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*P1* Bank feeds down"}},
    {
        "type": "actions",
        "block_id": "incident_actions",
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


def test_clicking_a_button_sends_block_actions_and_can_replace_the_message(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    ts = slack_client.chat_postMessage(channel="#general", text="P1", blocks=BUTTONS)["ts"]

    answer = actor(
        sandbox, "interaction", {"type": "block_actions", "user": AROHA, "action_id": "acknowledge"}
    ).json()

    received = multivac.only("/slack/interactions")
    assert signed_by_slack(received)
    payload = received.payload
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == AROHA
    assert payload["container"]["message_ts"] == ts
    assert payload["message"]["ts"] == ts
    [action] = payload["actions"]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "acknowledge",
        "INC-42",
        "incident_actions",
    )
    assert payload["trigger_id"] == answer["trigger_id"]
    requests.post(
        payload["response_url"], json={"replace_original": True, "text": "Acked"}, timeout=5
    )
    general = next(c for c in slack_state(sandbox)["channels"] if c["name"] == "general")
    assert [(m["ts"], m["text"]) for m in general["messages"]] == [(ts, "Acked")]


def test_a_person_cannot_click_a_button_that_is_not_there(
    sandbox: RunningSandbox, multivac: FakeMultivac
) -> None:
    response = actor(
        sandbox, "interaction", {"type": "block_actions", "user": AROHA, "action_id": "resolve"}
    )

    assert response.status_code == 404
    assert multivac.received == []


def test_submitting_a_modal_sends_its_state_values(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    view_id = open_modal(sandbox, slack_client)

    answer = actor(
        sandbox,
        "interaction",
        {
            "type": "view_submission",
            "user": AROHA,
            "values": {"title_input": "Bank feeds down", "priority_select": "P1"},
        },
    ).json()

    payload = multivac.only("/slack/interactions").payload
    assert signed_by_slack(multivac.only("/slack/interactions"))
    assert payload["type"] == "view_submission"
    view = payload["view"]
    assert (view["id"], view["callback_id"], view["private_metadata"]) == (
        view_id,
        "declare_incident",
        "from-command",
    )
    values = view["state"]["values"]
    assert values["title"]["title_input"] == {
        "type": "plain_text_input",
        "value": "Bank feeds down",
    }
    assert values["priority"]["priority_select"]["selected_option"]["value"] == "P1"
    assert values["notes"]["notes_input"]["value"] is None
    assert answer["view_closed"] is True


def test_validation_errors_in_the_ack_keep_the_modal_open(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    open_modal(sandbox, slack_client)
    errors = {"title": "Say what is broken"}
    multivac.replies["/slack/interactions"] = lambda _: (
        200,
        {"response_action": "errors", "errors": errors},
    )

    answer = actor(
        sandbox,
        "interaction",
        {
            "type": "view_submission",
            "user": AROHA,
            "values": {"title_input": "?", "priority_select": "P2"},
        },
    ).json()

    assert (answer["view_closed"], answer["errors"]) == (False, errors)
    assert slack_state(sandbox)["views"][0]["closed"] is False


def test_a_modal_cannot_be_submitted_without_required_inputs(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    open_modal(sandbox, slack_client)

    response = actor(
        sandbox,
        "interaction",
        {"type": "view_submission", "user": AROHA, "values": {"title_input": "Bank feeds down"}},
    )

    assert response.status_code == 400
    assert "priority" in response.json()["error"]
    assert [r.path for r in multivac.received] == ["/slack/commands"]


def test_closing_a_modal_tells_multivac_only_when_asked_to(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    quiet = open_modal(sandbox, slack_client)
    first = actor(sandbox, "interaction", {"type": "view_closed", "user": AROHA}).json()
    trigger = run_command(sandbox)["trigger_id"]
    noisy = MODAL | {"notify_on_close": True}
    loud = slack_client.views_open(trigger_id=trigger, view=noisy)["view"]["id"]

    second = actor(sandbox, "interaction", {"type": "view_closed", "user": AROHA}).json()

    assert (first["sent"], first["view_id"]) == (False, quiet)
    assert (second["sent"], second["view_id"]) == (True, loud)
    payload = multivac.only("/slack/interactions").payload
    assert (payload["type"], payload["view"]["id"]) == ("view_closed", loud)
    assert all(view["closed"] for view in slack_state(sandbox)["views"])


def test_an_update_in_the_ack_replaces_the_modal(
    sandbox: RunningSandbox, multivac: FakeMultivac, slack_client: WebClient
) -> None:
    open_modal(sandbox, slack_client)
    confirmation = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Declared"},
        "blocks": [],
    }
    multivac.replies["/slack/interactions"] = lambda _: (
        200,
        {"response_action": "update", "view": confirmation},
    )

    answer = actor(
        sandbox,
        "interaction",
        {
            "type": "view_submission",
            "user": AROHA,
            "values": {"title_input": "x", "priority_select": "P1"},
        },
    ).json()

    assert answer["view_closed"] is False
    assert slack_state(sandbox)["views"][0]["view"] == confirmation
