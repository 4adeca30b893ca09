"""Slack events that become part of an incident's story: 🔧 added by the lead on the summary
message marks the incident "being fixed"; a message pinned or reacted with 📌 in the war room
becomes a timeline entry with its author, time and text.

Everything else (other reactions, other channels, Multivac's own reactions and pins) is finished
as ignored. Each timeline entry carries a dedup key, so a retried event, a second 📌 or a pin after
a 📌 changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from multivac.incidents.commands.lookup import incident_in_channel
from multivac.incidents.commands.replies import Partial
from multivac.incidents.text import one_line, truncate
from multivac.incidents.war_room.context import Deps
from multivac.integrations.errors import IntegrationError
from multivac.store.database import transaction
from multivac.store.deliveries import (
    claim_delivery,
    fail_delivery,
    finish_delivery,
    get_delivery,
)
from multivac.store.models import DeliveryStatus, Incident, IncidentStatus
from multivac.store.timeline import add_timeline

log = logging.getLogger(__name__)

WRENCH, PUSHPIN = "wrench", "pushpin"
BEING_FIXED, PINNED = "being_fixed", "pinned"
PINNED_TEXT_MAX = 500  # the whole message stays in the entry's data


class MalformedEvent(ValueError):
    """A stored payload that is not the Slack event it claims to be."""


@dataclass(frozen=True)
class Reaction:
    """A 🔧 or 📌 added to a message (other reactions are never parsed into one)."""

    user: str
    name: str
    channel_id: str
    ts: str  # the message reacted to
    author: str | None  # `item_user`; absent for messages not posted by a person
    at: datetime  # when the reaction was added


@dataclass(frozen=True)
class Pin:
    user: str
    channel_id: str
    ts: str
    author: str | None
    text: str | None
    at: datetime  # when the message was pinned


SlackEvent = Reaction | Pin


@dataclass(frozen=True)
class Entry:
    """What an event adds to the incident: a timeline entry and maybe a word in the channel."""

    incident_id: int
    channel_id: str
    kind: str
    text: str
    at: datetime
    actor: str
    dedup_key: str
    data: dict[str, Any]
    announcement: str | None = None


def process_slack_event(deps: Deps, delivery_id: int, worker: str) -> DeliveryStatus | None:
    """Claim a recorded Slack event, act on it and finish it; the status it finished with, or None
    when another worker has it or it is already finished.

    Never raises for a malformed payload (finished as ignored, logged). A Slack failure while
    deciding leaves the delivery failed, for the reconciler to re-drive. The timeline entry and the
    delivery's completion commit together; the announcement follows, at most once per entry.
    """
    with transaction(deps.sessions) as session:
        if not claim_delivery(session, delivery_id, worker):
            return None
        delivery = get_delivery(session, delivery_id)
        payload = delivery.payload if delivery is not None else None
    try:
        event = parse_event(payload)
        entry = None if event is None else entry_for(deps, event)
    except MalformedEvent as error:  # recorded by an edge that only checks the envelope
        log.warning("delivery %s is not a usable Slack event: %s", delivery_id, error)
        entry = None
    except IntegrationError as error:
        log.warning("Slack event %s not processed: %s", delivery_id, error)
        with transaction(deps.sessions) as session:
            fail_delivery(session, delivery_id, str(error))
        return DeliveryStatus.FAILED
    return _finish(deps, delivery_id, entry)


def parse_event(payload: object) -> SlackEvent | None:
    """The reaction or pin in an `event_callback` envelope, or None for an event Multivac does not
    act on (another reaction, a file pin, a message...). `MalformedEvent` when it is not an
    envelope, or a reaction or pin lacks what Slack always sends."""
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), dict):
        raise MalformedEvent("no event_callback envelope with an 'event' object")
    event: dict[str, Any] = payload["event"]
    kind = event.get("type")
    if kind == "reaction_added" and event.get("reaction") in (WRENCH, PUSHPIN):
        return _reaction(event, payload.get("event_time"))
    if kind == "pin_added":
        return _pin(event, payload.get("event_time"))
    return None


def entry_for(deps: Deps, event: SlackEvent) -> Entry | None:
    """The entry the event makes in its channel's incident, or None when it makes none. Calls
    Slack (`whoami`) only for pins and 📌, to leave out Multivac's own."""
    incident = incident_in_channel(deps, event.channel_id)
    if incident is None:
        return None
    if isinstance(event, Reaction) and event.name == WRENCH:
        return being_fixed(incident, event)
    if event.user == deps.chat.whoami().user_id:
        return None
    return pinned(incident, event)


def being_fixed(incident: Incident, reaction: Reaction) -> Entry | None:
    """🔧 counts only from the incident's lead, on its summary message, while it is open."""
    if (
        incident.lead_slack_id != reaction.user
        or incident.slack_summary_ts != reaction.ts
        or incident.status == IncidentStatus.RESOLVED
    ):
        return None
    lead = f"<@{reaction.user}>"
    return Entry(
        incident_id=incident.id,
        channel_id=reaction.channel_id,
        kind=BEING_FIXED,
        text=f"Being fixed (🔧 by {lead})",
        at=reaction.at,
        actor=reaction.user,
        dedup_key=BEING_FIXED,
        data={"channel": reaction.channel_id, "ts": reaction.ts},
        announcement=f":wrench: {lead} is on it: the incident is now *being fixed*.",
    )


def pinned(incident: Incident, event: SlackEvent) -> Entry:
    """A pinned (or 📌) message: when it was posted, by whom, and its text when the event carries
    it (a reaction event does not, and the Chat port cannot fetch one message)."""
    text = event.text if isinstance(event, Pin) else None
    posted = _time(event.ts)
    author = f"<@{event.author}>" if event.author else "an app"
    said = f": {truncate(one_line(text), PINNED_TEXT_MAX)}" if text else ""
    return Entry(
        incident_id=incident.id,
        channel_id=event.channel_id,
        kind=PINNED,
        text=f"Pinned message from {author} at {posted:%H:%M} UTC{said}",
        at=posted,
        actor=event.user,
        dedup_key=f"{PINNED}:{event.channel_id}:{event.ts}",
        data={
            "channel": event.channel_id,
            "ts": event.ts,
            "author": event.author,
            "text": text,
            "pinned_by": event.user,
            "pinned_at": event.at.isoformat(),
            "via": "pin" if isinstance(event, Pin) else PUSHPIN,
        },
    )


def _finish(deps: Deps, delivery_id: int, entry: Entry | None) -> DeliveryStatus:
    status = DeliveryStatus.IGNORED if entry is None else DeliveryStatus.DONE
    with transaction(deps.sessions) as session:
        added = entry is not None and _record(session, entry)
        finish_delivery(session, delivery_id, status=status)
    if added and entry is not None and entry.announcement:
        _announce(deps, entry.channel_id, entry.announcement)
    return status


def _record(session: Session, entry: Entry) -> bool:
    """True when the entry is new (False: the incident already has one with its key)."""
    return add_timeline(
        session,
        entry.incident_id,
        entry.kind,
        entry.text,
        entry.at,
        actor=entry.actor,
        source="slack",
        data=entry.data,
        dedup_key=entry.dedup_key,
    )


def _announce(deps: Deps, channel_id: str, text: str) -> None:
    partial = Partial()
    partial.attempt(
        "post in the channel", lambda: deps.chat.post_message(channel_id=channel_id, text=text)
    )
    for problem in partial.problems:
        log.warning("Slack event in %s: %s", channel_id, problem)


# --- parsing -----------------------------------------------------------------------------------


def _reaction(event: dict[str, Any], event_time: object) -> Reaction | None:
    item = event.get("item")
    if not isinstance(item, dict):
        raise MalformedEvent("a reaction_added event without an 'item'")
    if item.get("type") != "message":
        return None  # a reaction to a file: not part of the story
    return Reaction(
        user=_text(event, "user"),
        name=_text(event, "reaction"),
        channel_id=_text(item, "channel"),
        ts=_message_ts(item),
        author=_optional(event, "item_user"),
        at=_event_at(event, event_time),
    )


def _pin(event: dict[str, Any], event_time: object) -> Pin | None:
    item = event.get("item")
    if not isinstance(item, dict):
        raise MalformedEvent("a pin_added event without an 'item'")
    message = item.get("message")
    if item.get("type") != "message" or not isinstance(message, dict):
        return None  # a pinned file: not part of the story
    channel = _optional(item, "channel") or _optional(event, "channel_id")
    if channel is None:
        raise MalformedEvent("a pin_added event without a channel")
    return Pin(
        user=_text(event, "user"),
        channel_id=channel,
        ts=_message_ts(message),
        author=_optional(message, "user") or _optional(event, "item_user"),
        text=_optional(message, "text"),
        at=_event_at(event, event_time),
    )


def _text(data: dict[str, Any], key: str) -> str:
    value = _optional(data, key)
    if value is None:
        raise MalformedEvent(f"'{key}' is missing or not a string")
    return value


def _optional(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _message_ts(data: dict[str, Any]) -> str:
    ts = _text(data, "ts")
    _time(ts)
    return ts


def _time(ts: str) -> datetime:
    """A Slack timestamp ("1732291200.000100") as an aware datetime."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise MalformedEvent(f"{ts!r} is not a Slack timestamp") from error


def _event_at(event: dict[str, Any], event_time: object) -> datetime:
    """When it happened: the event's `event_ts`, else the envelope's `event_time`, else now."""
    given = _optional(event, "event_ts")
    if given is not None:
        return _time(given)
    if isinstance(event_time, int | float) and not isinstance(event_time, bool):
        return _time(str(event_time))
    return datetime.now(UTC)
