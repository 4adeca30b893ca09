"""Slack events in a war room, processed from their recorded delivery (the fakes and a real
database): 🔧 by the lead on the summary marks the incident being fixed, a message pinned or
reacted 📌 joins the timeline once, and everything else is finished as ignored."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from multivac.incidents.slack_events import process_slack_event
from multivac.integrations.errors import Transient
from multivac.store.database import transaction
from multivac.store.deliveries import get_delivery, record_delivery
from multivac.store.incidents import update_incident
from multivac.store.models import DeliverySource, DeliveryStatus, IncidentStatus, TimelineEntry
from multivac.store.timeline import timeline
from tests.unit.commands_world import ALICE, LEAD, World, build_world
from tests.unit.commands_world import migrated_template as _template

BOT = "U0BOT"  # FakeChat's own identity
EVENT_TIME = 1_700_000_600


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory.mktemp("slack-events"))


@pytest.fixture
def world(template: Path, tmp_path: Path) -> Iterator[World]:
    built = build_world(template, tmp_path)
    yield built
    built.close()


# --- helpers -----------------------------------------------------------------------------------


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T0FAKE",
        "event_id": "Ev" + secrets.token_hex(5).upper(),
        "event_time": EVENT_TIME,
        "event": event,
    }


def reaction(
    world: World, user: str, name: str, ts: str, channel: str | None = None
) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item_user": ALICE.slack_id,
        "item": {"type": "message", "channel": channel or world.channel_id, "ts": ts},
        "event_ts": f"{EVENT_TIME}.000200",
    }


def pin(world: World, user: str, ts: str, text: str = "Root cause: expired cert") -> dict[str, Any]:
    message = {"type": "message", "user": ALICE.slack_id, "text": text, "ts": ts}
    return {
        "type": "pin_added",
        "user": user,
        "channel_id": world.channel_id,
        "item": {"type": "message", "channel": world.channel_id, "message": message},
        "item_user": ALICE.slack_id,
        "event_ts": f"{EVENT_TIME}.000300",
    }


def deliver(world: World, payload: Any) -> int:
    """Record `payload` as the web edge would and return the delivery's id."""
    event = payload.get("event") if isinstance(payload, dict) else None
    event_type = str(event.get("type")) if isinstance(event, dict) else ""
    with transaction(world.deps.sessions) as session:
        delivery = record_delivery(
            session,
            source=DeliverySource.SLACK,
            dedup_key=secrets.token_hex(8),
            event_id=None,
            event_type=event_type,
            resource_id=world.channel_id,
            occurred_at=None,
            payload=payload,
        )
        assert delivery is not None
        return delivery.id


def process(world: World, event: dict[str, Any]) -> DeliveryStatus | None:
    return process_slack_event(world.deps, deliver(world, envelope(event)), "worker-1")


def entries(world: World, kind: str | None = None) -> list[TimelineEntry]:
    with transaction(world.deps.sessions) as session:
        found = timeline(session, world.incident_id)
    return [e for e in found if kind is None or e.kind == kind]


def alice_says(world: World, text: str = "Found it: the cert expired") -> str:
    ts = world.chat.post_message(channel_id=world.channel_id, text=text)
    world.chat.calls.clear()
    return ts


# --- 🔧 ----------------------------------------------------------------------------------------


def test_the_leads_wrench_on_the_summary_marks_it_being_fixed_and_says_so(world: World) -> None:
    before = len(world.channel_messages())

    status = process(world, reaction(world, LEAD.slack_id, "wrench", world.summary_ts))

    assert status == DeliveryStatus.DONE
    [entry] = entries(world, "being_fixed")
    assert entry.text == f"Being fixed (🔧 by <@{LEAD.slack_id}>)"
    assert (entry.actor, entry.source) == (LEAD.slack_id, "slack")
    assert int(entry.at.timestamp()) == EVENT_TIME
    [said] = world.channel_messages()[before:]
    assert said == f":wrench: <@{LEAD.slack_id}> is on it: the incident is now *being fixed*."


def test_the_wrench_counts_once_per_incident(world: World) -> None:
    process(world, reaction(world, LEAD.slack_id, "wrench", world.summary_ts))
    world.chat.calls.clear()

    again = process(world, reaction(world, LEAD.slack_id, "wrench", world.summary_ts))

    assert again == DeliveryStatus.DONE
    assert len(entries(world, "being_fixed")) == 1
    assert world.chat.calls_to("post_message") == []


def test_someone_elses_wrench_on_the_summary_is_ignored(world: World) -> None:
    status = process(world, reaction(world, ALICE.slack_id, "wrench", world.summary_ts))

    assert status == DeliveryStatus.IGNORED
    assert entries(world, "being_fixed") == []
    assert world.chat.calls == []


def test_the_leads_wrench_on_another_message_is_ignored(world: World) -> None:
    ts = alice_says(world)

    status = process(world, reaction(world, LEAD.slack_id, "wrench", ts))

    assert status == DeliveryStatus.IGNORED
    assert entries(world, "being_fixed") == []


def test_a_wrench_after_resolution_is_ignored(world: World) -> None:
    with transaction(world.deps.sessions) as session:
        update_incident(session, world.incident_id, status=IncidentStatus.RESOLVED)

    status = process(world, reaction(world, LEAD.slack_id, "wrench", world.summary_ts))

    assert status == DeliveryStatus.IGNORED
    assert world.chat.calls == []


def test_events_outside_incident_channels_are_ignored(world: World) -> None:
    general = world.chat.create_channel(name="general").id
    ts = world.chat.post_message(channel_id=general, text="lunch?")
    world.chat.calls.clear()

    wrench = process(world, reaction(world, LEAD.slack_id, "wrench", ts, channel=general))
    pushpin = process(world, reaction(world, ALICE.slack_id, "pushpin", ts, channel=general))

    assert (wrench, pushpin) == (DeliveryStatus.IGNORED, DeliveryStatus.IGNORED)
    assert entries(world, "being_fixed") == entries(world, "pinned") == []
    assert world.chat.calls == []


def test_other_reactions_are_ignored_without_asking_slack(world: World) -> None:
    status = process(world, reaction(world, LEAD.slack_id, "thumbsup", world.summary_ts))

    assert status == DeliveryStatus.IGNORED
    assert world.chat.calls == []


# --- 📌 and pins --------------------------------------------------------------------------------


def test_a_pushpin_puts_the_message_in_the_timeline_without_a_word(world: World) -> None:
    ts = alice_says(world)

    status = process(world, reaction(world, LEAD.slack_id, "pushpin", ts))

    assert status == DeliveryStatus.DONE
    [entry] = entries(world, "pinned")
    assert entry.text.startswith(f"Pinned message from <@{ALICE.slack_id}> at ")
    assert entry.at.timestamp() == float(ts)  # when it was said
    assert entry.data is not None
    assert (entry.data["author"], entry.data["pinned_by"], entry.data["via"]) == (
        ALICE.slack_id,
        LEAD.slack_id,
        "pushpin",
    )
    assert world.chat.calls_to("post_message") == []


def test_a_pin_records_the_messages_author_time_and_text(world: World) -> None:
    ts = alice_says(world)

    status = process(world, pin(world, LEAD.slack_id, ts, "Root cause: <expired> cert"))

    assert status == DeliveryStatus.DONE
    [entry] = entries(world, "pinned")
    assert entry.text.startswith(f"Pinned message from <@{ALICE.slack_id}> at ")
    assert entry.text.endswith(" UTC: Root cause: <expired> cert")
    assert entry.at.timestamp() == float(ts)
    assert entry.data is not None and entry.data["text"] == "Root cause: <expired> cert"
    assert world.chat.calls_to("post_message") == []


def test_repeated_pushpins_and_a_pin_of_one_message_count_once(world: World) -> None:
    ts = alice_says(world)

    statuses = [
        process(world, reaction(world, LEAD.slack_id, "pushpin", ts)),
        process(world, reaction(world, ALICE.slack_id, "pushpin", ts)),
        process(world, pin(world, ALICE.slack_id, ts)),
    ]

    assert statuses == [DeliveryStatus.DONE] * 3
    assert len(entries(world, "pinned")) == 1


def test_different_messages_are_pinned_separately(world: World) -> None:
    first, second = alice_says(world, "one"), alice_says(world, "two")

    process(world, pin(world, LEAD.slack_id, first, "one"))
    process(world, pin(world, LEAD.slack_id, second, "two"))

    assert [e.data["ts"] for e in entries(world, "pinned") if e.data] == [first, second]


def test_multivacs_own_pins_and_pushpins_are_ignored(world: World) -> None:
    ts = alice_says(world)

    pinned = process(world, pin(world, BOT, ts))
    pushed = process(world, reaction(world, BOT, "pushpin", ts))

    assert (pinned, pushed) == (DeliveryStatus.IGNORED, DeliveryStatus.IGNORED)
    assert entries(world, "pinned") == []


def test_a_pinned_file_is_ignored(world: World) -> None:
    event = pin(world, LEAD.slack_id, alice_says(world))
    event["item"] = {"type": "file", "channel": world.channel_id, "file_id": "F1"}

    assert process(world, event) == DeliveryStatus.IGNORED
    assert entries(world, "pinned") == []


# --- delivery handling -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "not an object",
        {"type": "event_callback"},
        {"type": "event_callback", "event": "reaction_added"},
        {"event": {"type": "reaction_added", "reaction": "wrench", "user": "U0LEAD"}},
        {"event": {"type": "reaction_added", "reaction": "pushpin", "item": {"type": "message"}}},
        {
            "event": {
                "type": "reaction_added",
                "reaction": "wrench",
                "user": "U0LEAD",
                "item": {"type": "message", "channel": "C00000001", "ts": "yesterday"},
            }
        },
        {"event": {"type": "pin_added", "user": "U0LEAD", "item": {"type": "message"}}},
    ],
)
def test_a_malformed_stored_payload_is_finished_as_ignored(world: World, payload: Any) -> None:
    delivery_id = deliver(world, payload)

    assert process_slack_event(world.deps, delivery_id, "worker-1") == DeliveryStatus.IGNORED

    with transaction(world.deps.sessions) as session:
        delivery = get_delivery(session, delivery_id)
        assert delivery is not None and delivery.status == DeliveryStatus.IGNORED
    assert entries(world, "being_fixed") == entries(world, "pinned") == []


def test_a_delivery_is_processed_by_one_worker_once(world: World) -> None:
    delivery_id = deliver(
        world, envelope(reaction(world, LEAD.slack_id, "wrench", world.summary_ts))
    )

    first = process_slack_event(world.deps, delivery_id, "worker-1")
    second = process_slack_event(world.deps, delivery_id, "worker-2")

    assert (first, second) == (DeliveryStatus.DONE, None)
    assert len(world.chat.calls_to("post_message")) == 1


def test_slack_failing_leaves_the_delivery_to_be_redriven(world: World) -> None:
    ts = alice_says(world)
    world.chat.fail("whoami", Transient("slack", "Slack is down"))
    delivery_id = deliver(world, envelope(pin(world, LEAD.slack_id, ts)))

    assert process_slack_event(world.deps, delivery_id, "worker-1") == DeliveryStatus.FAILED
    assert process_slack_event(world.deps, delivery_id, "worker-1") == DeliveryStatus.DONE

    assert len(entries(world, "pinned")) == 1
