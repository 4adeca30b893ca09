"""Workspace objects in the JSON shapes the Slack Web API and its payloads use."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from multivac.sandbox import seed
from multivac.sandbox.slack.state import (
    SLACK_APP_ID,
    Bookmark,
    Channel,
    Json,
    Message,
    User,
    View,
)


def user_json(user: User) -> Json:
    offset = datetime.now(UTC).astimezone(ZoneInfo(user.time_zone)).utcoffset()
    profile: Json = {
        "real_name": user.real_name,
        "display_name": user.name,
        "title": user.title,
        "team": seed.SLACK_TEAM_ID,
    }
    if user.email:
        profile["email"] = user.email
    if user.is_bot:
        profile |= {"bot_id": seed.SLACK_BOT_ID, "api_app_id": SLACK_APP_ID, "always_active": True}
    return {
        "id": user.id,
        "team_id": seed.SLACK_TEAM_ID,
        "name": user.name,
        "deleted": False,
        "real_name": user.real_name,
        "tz": user.time_zone,
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 1_700_000_000,
    }


def channel_json(channel: Channel, *, viewer: str = seed.SLACK_BOT_USER_ID) -> Json:
    return {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": not channel.is_im,
        "is_group": False,
        "is_im": channel.is_im,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "creator": channel.creator,
        "is_archived": channel.is_archived,
        "is_general": channel.name == "general",
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "context_team_id": seed.SLACK_TEAM_ID,
        "shared_team_ids": [seed.SLACK_TEAM_ID],
        "is_member": viewer in channel.members,
        "unlinked": 0,
        "updated": int(time.time() * 1000),
        "topic": dict(channel.topic),
        "purpose": dict(channel.purpose),
        "previous_names": [],
        "num_members": len(channel.members),
    }


def message_json(message: Message, *, metadata: bool = False) -> Json:
    """The message as the Web API shows it; `metadata` only when asked for (history's
    `include_all_metadata`, or the poster's own chat.postMessage answer)."""
    data: Json = {
        "type": "message",
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "team": seed.SLACK_TEAM_ID,
    }
    if message.blocks:
        data["blocks"] = message.blocks
    if message.bot_id:
        data |= {"bot_id": message.bot_id, "app_id": SLACK_APP_ID}
    if message.thread_ts:
        data["thread_ts"] = message.thread_ts
    if message.edited:
        data["edited"] = dict(message.edited)
    if metadata and message.metadata:
        data["metadata"] = dict(message.metadata)
    if message.reactions:
        data["reactions"] = [
            {"name": r.name, "users": list(r.users), "count": len(r.users)}
            for r in message.reactions
        ]
    return data


def bookmark_json(bookmark: Bookmark, channel_id: str) -> Json:
    return {
        "id": bookmark.id,
        "channel_id": channel_id,
        "title": bookmark.title,
        "link": bookmark.link,
        "emoji": bookmark.emoji,
        "icon_url": None,
        "type": bookmark.type,
        "entity_id": None,
        "date_created": bookmark.created,
        "date_updated": 0,
        "rank": "U",
        "last_updated_by_user_id": seed.SLACK_BOT_USER_ID,
        "last_updated_by_team_id": seed.SLACK_TEAM_ID,
        "shortcut_id": None,
        "app_id": SLACK_APP_ID,
    }


def view_json(view: View, state_values: dict[str, Any] | None = None) -> Json:
    """The view as Slack echoes it back: the app's fields plus ids, hash and state."""
    given = view.view
    return {
        "id": view.id,
        "team_id": seed.SLACK_TEAM_ID,
        "type": given.get("type", "modal"),
        "title": given.get("title"),
        "submit": given.get("submit"),
        "close": given.get("close"),
        "blocks": given.get("blocks", []),
        "private_metadata": given.get("private_metadata", ""),
        "callback_id": given.get("callback_id", ""),
        "external_id": view.external_id or "",
        "state": {"values": state_values or {}},
        "hash": view.hash,
        "clear_on_close": bool(given.get("clear_on_close", False)),
        "notify_on_close": bool(given.get("notify_on_close", False)),
        "root_view_id": view.root_view_id,
        "previous_view_id": None,
        "app_id": SLACK_APP_ID,
        "app_installed_team_id": seed.SLACK_TEAM_ID,
        "bot_id": seed.SLACK_BOT_ID,
    }
