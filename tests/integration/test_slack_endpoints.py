"""Slack reaches Multivac: `/incident`, button clicks, modal submissions and events, really signed
by the sandbox acting as Slack, are answered at once and handed to the workers exactly once, and no
command calls Slack, PagerDuty or Jira before it is acknowledged.

Every test runs on SQLite and on PostgreSQL (see `slack_world` for the set-up).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from multivac.incidents.declare_modal import declare_view
from multivac.incidents.slack_commands import HELP_TEXT, ROLE_USAGE, SEV_USAGE
from multivac.queueing import (
    HANDLE_BLOCK_ACTION,
    HANDLE_SLASH_COMMAND,
    HANDLE_VIEW_SUBMISSION,
    PROCESS_SLACK_EVENT,
)
from multivac.sandbox import seed
from multivac.sandbox.server import RunningSandbox, SandboxOptions, running_sandbox
from multivac.store.models import DeliverySource
from tests.integration.slack_world import AROHA, World, multivac_world

pytestmark = pytest.mark.integration

NOT_AN_INCIDENT_CHANNEL = (
    "This command works in an incident channel. Try `/incident list` to find one."
)


@pytest.fixture(scope="module")
def slack_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxOptions()) as running:
        yield running


@pytest.fixture
def world(
    slack_sandbox: RunningSandbox, migrated_engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    with multivac_world(slack_sandbox, migrated_engine, session_factory) as world:
        yield world


def ephemeral(answer: dict[str, Any]) -> str:
    """The text of an ephemeral ack, after checking it is one and that Slack took it in time."""
    assert answer["status"] == 200
    assert answer["acknowledged"] is True
    assert answer["body"]["response_type"] == "ephemeral"
    text: str = answer["body"]["text"]
    return text


def only_command_enqueued(world: World, answer: dict[str, Any], text: str, channel: str) -> None:
    """Exactly one HANDLE_SLASH_COMMAND, carrying the invocation Slack sent."""
    invocation = {
        "user_id": AROHA,
        "channel_id": channel,
        "text": text,
        "response_url": answer["response_url"],
        "trigger_id": answer["trigger_id"],
        "team_id": seed.SLACK_TEAM_ID,
    }
    assert world.enqueued() == [(HANDLE_SLASH_COMMAND, [invocation])]


# -- answered at once, in the ack -------------------------------------------------------------


def test_help_lists_every_command_only_to_the_person_who_asked(world: World) -> None:
    text = ephemeral(world.run("help"))

    assert text == HELP_TEXT
    for command in ["declare", "lead", "role", "sev", "update", "page", "resolve", "status"]:
        assert f"/incident {command}" in text
    assert "/incident oncall" in text
    assert "/incident list" in text
    assert world.enqueued() == []


def test_an_unknown_subcommand_is_answered_with_the_help(world: World) -> None:
    text = ephemeral(world.run("frobnicate now"))

    assert text.startswith("Unknown command 'frobnicate'.")
    assert HELP_TEXT in text
    assert world.enqueued() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sev 7", SEV_USAGE),
        ("role captain <@U0X>", f"Unknown role 'captain'. {ROLE_USAGE}"),
        ("lead someone", "Usage: `/incident lead @person`"),
    ],
)
def test_arguments_that_do_not_parse_say_what_was_expected(
    world: World, text: str, message: str
) -> None:
    channel = world.incident_channel()

    assert ephemeral(world.run(text, channel)) == message
    assert world.enqueued() == []


@pytest.mark.parametrize("text", ["sev 1", "status", "update all good", "resolve", "page payments"])
def test_an_incident_command_outside_an_incident_channel_says_so(world: World, text: str) -> None:
    world.incident_channel()  # exists, but the command is run in #general

    assert ephemeral(world.run(text)) == NOT_AN_INCIDENT_CHANNEL
    assert world.enqueued() == []


# -- handed to the workers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"lead <@{AROHA}|aroha>",
        f"role cx <@{AROHA}>",
        "sev 2",
        "update Rolled back the deploy",
        'page "Bank Feeds" imports are stuck',
        "resolve Bad deploy",
        "status",
    ],
)
def test_an_incident_command_in_its_channel_is_queued_once_with_the_invocation(
    world: World, text: str
) -> None:
    channel = world.incident_channel()

    answer = world.run(text, channel)

    assert ephemeral(answer) == "On it…"
    only_command_enqueued(world, answer, text, channel)


@pytest.mark.parametrize("text", ["list", "oncall", "oncall Bank Feeds"])
def test_commands_that_work_anywhere_are_queued_from_any_channel(world: World, text: str) -> None:
    answer = world.run(text)

    assert ephemeral(answer) == "On it…"
    only_command_enqueued(world, answer, text, world.sandbox.sandbox.slack.general_id)


@pytest.mark.parametrize("text", ["", "declare Bank feeds are down"])
def test_declare_is_queued_with_its_trigger_id_and_an_empty_ack(world: World, text: str) -> None:
    answer = world.run(text)

    assert answer["status"] == 200
    assert answer["acknowledged"] is True
    assert answer["body"] is None  # nothing shown: the modal opens instead
    only_command_enqueued(world, answer, text, world.sandbox.sandbox.slack.general_id)


def test_no_command_calls_slack_pagerduty_or_jira_before_the_ack(world: World) -> None:
    channel = world.incident_channel()
    texts = ["help", "nonsense", "sev 9", "declare Disk full", "list", "oncall payments"]
    in_channel = ["lead <@U0X>", "role scribe <@U0X>", "sev 1", "update x", "page api", "status"]

    answers = [world.run(text) for text in texts]
    answers += [world.run(text, channel) for text in [*in_channel, "resolve done"]]
    answers.append(world.act("interaction", {"type": "block_actions", "user": AROHA,
                                             "channel": channel,
                                             "action_id": "incident_acknowledge"}))  # fmt: skip
    answers.append(world.act("event", {"type": "reaction_added", "user": AROHA,
                                       "channel": channel, "reaction": "eyes"}))  # fmt: skip

    assert [answer["status"] for answer in answers] == [200] * len(answers)
    # every valid command (3 anywhere, 7 in the channel), the click and the event
    assert len(world.enqueued()) == 12
    assert world.vendor_calls() == []
    # The log does see calls to the APIs Multivac is configured with: here the worker's
    # views.open, made by hand.
    trigger = world.run("declare")["trigger_id"]
    open_declare_modal(world, trigger)
    assert world.vendor_calls() == ["slack views.open"]


# -- buttons and the declare modal -------------------------------------------------------------


def open_declare_modal(world: World, trigger_id: str) -> str:
    """What the worker does for `/incident declare`: views.open with the command's trigger id."""
    client = world.slack_client()
    services = [("PBANK01", "Bank Feeds"), ("PPAY002", "Payments")]
    view = declare_view(title="", services=services, declarer_id=AROHA, channel_id="C0GENERAL")
    return str(client.views_open(trigger_id=trigger_id, view=view)["view"]["id"])


def test_a_button_click_is_queued_with_its_payload(world: World) -> None:
    channel = world.incident_channel()
    click = {"type": "block_actions", "user": AROHA, "channel": channel}

    answer = world.act("interaction", click | {"action_id": "incident_acknowledge"})

    assert (answer["status"], answer["body"], answer["acknowledged"]) == (200, None, True)
    [(task, [payload])] = world.enqueued()
    assert task == HANDLE_BLOCK_ACTION
    assert payload == answer["sent"]
    assert payload["actions"][0]["action_id"] == "incident_acknowledge"


def test_a_declaration_without_a_title_keeps_the_modal_open_with_an_error_on_the_title(
    world: World,
) -> None:
    view_id = open_declare_modal(world, world.run("declare")["trigger_id"])
    world.broker.flushdb()  # keep only what the submission enqueues
    submit = {"type": "view_submission", "user": AROHA, "view_id": view_id}

    answer = world.act("interaction", submit | {"values": {"title": "   ", "severity": "SEV2"}})

    assert answer["status"] == 200
    assert answer["body"] == {
        "response_action": "errors",
        "errors": {"title": "Give the incident a title"},
    }
    assert answer["view_closed"] is False
    assert world.enqueued() == []


def test_a_complete_declaration_closes_the_modal_and_is_queued(world: World) -> None:
    view_id = open_declare_modal(world, world.run("declare")["trigger_id"])
    world.broker.flushdb()
    values = {"title": "Bank feeds down", "severity": "SEV1", "service": "PBANK01"}

    answer = world.act(
        "interaction", {"type": "view_submission", "user": AROHA, "view_id": view_id,
                        "values": values | {"options": ["private"], "paging": "yes"}},
    )  # fmt: skip

    assert (answer["status"], answer["body"], answer["view_closed"]) == (200, None, True)
    [(task, [payload])] = world.enqueued()
    assert task == HANDLE_VIEW_SUBMISSION
    assert payload == answer["sent"]
    assert payload["view"]["callback_id"] == "incident_declare"


def test_another_modal_is_queued_for_its_worker_and_closed(world: World) -> None:
    client = world.slack_client()
    resolve_modal = {
        "type": "modal",
        "callback_id": "incident_resolve",
        "title": {"type": "plain_text", "text": "Resolve"},
        "blocks": [{"type": "input", "block_id": "summary", "label": {"type": "plain_text",
                    "text": "Summary"}, "element": {"type": "plain_text_input",
                    "action_id": "summary_input"}}],
    }  # fmt: skip
    trigger = world.run("list")["trigger_id"]
    view_id = client.views_open(trigger_id=trigger, view=resolve_modal)["view"]["id"]
    world.broker.flushdb()
    submit = {"type": "view_submission", "user": AROHA, "view_id": view_id}

    answer = world.act("interaction", submit | {"values": {"summary": "Rolled back"}})

    assert (answer["status"], answer["view_closed"]) == (200, True)
    [(task, [payload])] = world.enqueued()
    assert (task, payload["view"]["callback_id"]) == (HANDLE_VIEW_SUBMISSION, "incident_resolve")


# -- events ------------------------------------------------------------------------------------


def test_url_verification_echoes_the_challenge(world: World) -> None:
    answer = world.act("event", {"type": "url_verification"})

    assert answer["status"] == 200
    assert answer["challenge_ok"] is True
    assert world.deliveries() == []
    assert world.enqueued() == []


def test_an_event_is_recorded_and_queued_once_whatever_slack_retries(world: World) -> None:
    channel = world.incident_channel()
    first = world.act(
        "event", {"type": "reaction_added", "user": AROHA, "channel": channel, "reaction": "eyes"}
    )

    retries = [world.act("event", {"event_id": first["event_id"], "retry": n}) for n in (1, 2)]

    assert [first["status"], *(r["status"] for r in retries)] == [200, 200, 200]
    assert [r["body"] for r in retries] == [{"status": "duplicate"}] * 2
    [delivery] = world.deliveries()
    assert first["body"] == {"status": "accepted", "delivery": delivery.id}
    assert delivery.source == DeliverySource.SLACK
    assert (delivery.dedup_key, delivery.event_id) == (first["event_id"], first["event_id"])
    assert (delivery.event_type, delivery.resource_id) == ("reaction_added", channel)
    assert delivery.occurred_at is not None
    assert delivery.payload == first["sent"]
    assert world.enqueued() == [(PROCESS_SLACK_EVENT, [delivery.id])]
