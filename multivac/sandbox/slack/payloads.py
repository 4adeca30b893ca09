"""The requests Slack sends to an app, built from workspace objects, field for field as Slack does.

Slash commands are form fields; interactions are one form field `payload` holding JSON; events are a
JSON `event_callback` envelope.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from multivac.sandbox import seed
from multivac.sandbox.slack.render import message_json, view_json
from multivac.sandbox.slack.state import (
    SLACK_APP_ID,
    SLACK_VERIFICATION_TOKEN,
    Channel,
    Json,
    Message,
    User,
    View,
)


def slash_command(
    user: User, channel: Channel, *, command: str, text: str, response_url: str, trigger_id: str
) -> dict[str, str]:
    return {
        "token": SLACK_VERIFICATION_TOKEN,
        "team_id": seed.SLACK_TEAM_ID,
        "team_domain": seed.SLACK_TEAM_DOMAIN,
        "channel_id": channel.id,
        "channel_name": "directmessage" if channel.is_im else channel.name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": SLACK_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def _who(user: User) -> Json:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": seed.SLACK_TEAM_ID}


def _common(kind: str, user: User) -> Json:
    return {
        "type": kind,
        "user": _who(user),
        "api_app_id": SLACK_APP_ID,
        "token": SLACK_VERIFICATION_TOKEN,
        "team": {"id": seed.SLACK_TEAM_ID, "domain": seed.SLACK_TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def block_actions(
    user: User,
    channel: Channel,
    message: Message,
    action: Json,
    *,
    trigger_id: str,
    response_url: str,
) -> Json:
    """A click on an element of a message the app posted."""
    return _common("block_actions", user) | {
        "container": {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": channel.id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id,
        "channel": {"id": channel.id, "name": channel.name},
        "message": message_json(message),
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def view_submission(user: User, view: View, values: Json, trigger_id: str) -> Json:
    return _common("view_submission", user) | {
        "trigger_id": trigger_id,
        "view": view_json(view, values),
        "response_urls": [],
    }


def view_closed(user: User, view: View) -> Json:
    return _common("view_closed", user) | {"view": view_json(view), "is_cleared": False}


def envelope(event: Json) -> Json:
    """The event_callback wrapper around an inner event, with a fresh event id."""
    now = int(time.time())
    event.setdefault("event_ts", f"{time.time():.6f}")
    return {
        "token": SLACK_VERIFICATION_TOKEN,
        "team_id": seed.SLACK_TEAM_ID,
        "api_app_id": SLACK_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": "Ev" + secrets.token_hex(5).upper(),
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": seed.SLACK_TEAM_ID,
                "user_id": seed.SLACK_BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def url_verification(challenge: str) -> Json:
    return {"token": SLACK_VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def reaction_event(kind: str, user: str, reaction: str, channel: Channel, message: Message) -> Json:
    return {
        "type": kind,
        "user": user,
        "reaction": reaction,
        "item_user": message.user,
        "item": {"type": "message", "channel": channel.id, "ts": message.ts},
    }


def pin_added_event(user: str, channel: Channel, message: Message) -> Json:
    now = int(time.time())
    return {
        "type": "pin_added",
        "user": user,
        "channel_id": channel.id,
        "item": {
            "type": "message",
            "created": now,
            "created_by": user,
            "channel": channel.id,
            "message": message_json(message) | {"pinned_to": [channel.id]},
        },
        "item_user": message.user,
        "pin_count": len(channel.pins),
        "pinned_info": {"channel": channel.id, "pinned_by": user, "pinned_ts": now},
    }


def message_event(channel: Channel, message: Message) -> Json:
    event: Json = {
        "type": "message",
        "channel": channel.id,
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "team": seed.SLACK_TEAM_ID,
        "channel_type": channel_type(channel),
        "event_ts": message.ts,
    }
    if message.thread_ts:
        event["thread_ts"] = message.thread_ts
    return event


def member_joined_event(user: str, channel: Channel, inviter: str | None) -> Json:
    event: Json = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel.id,
        "channel_type": "G" if channel.is_private else "C",
        "team": seed.SLACK_TEAM_ID,
    }
    if inviter:
        event["inviter"] = inviter
    return event


def channel_type(channel: Channel) -> str:
    if channel.is_im:
        return "im"
    return "group" if channel.is_private else "channel"


def text_or_json(value: Any) -> Json:
    """A slash-command ack body as Slack reads it: JSON object, or plain text meaning `{"text"}`."""
    if isinstance(value, dict):
        return value
    return {"text": str(value)} if value else {}
