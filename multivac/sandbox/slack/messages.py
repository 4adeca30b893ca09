"""Methods about messages: chat.*, reactions.*, pins.add and bookmarks.add / bookmarks.list.

The reaction and pin operations take the acting user, so the actor reuses them when a person
reacts or pins in the emulated Slack client.
"""

from __future__ import annotations

import time
from typing import Any

from multivac.sandbox import seed
from multivac.sandbox.slack.args import Args
from multivac.sandbox.slack.conversations import writable
from multivac.sandbox.slack.render import bookmark_json, message_json
from multivac.sandbox.slack.state import (
    Bookmark,
    Channel,
    Ephemeral,
    Json,
    Message,
    Reaction,
    SlackError,
    SlackWorkspace,
)

BOT = seed.SLACK_BOT_USER_ID
UPDATE_TEXT_MAX = 4000


def post_target(workspace: SlackWorkspace, ref: str) -> Channel:
    """Where chat.postMessage posts: a channel (id or name), or a DM when given a user id."""
    if ref.startswith(("U", "W")) and ref in workspace.users:
        return workspace.im_with(ref)
    return writable(workspace, ref)


def post_message(workspace: SlackWorkspace, args: Args) -> Json:
    channel = post_target(workspace, args.text("channel"))
    text, blocks = _content(args)
    thread_ts = args.text("thread_ts") or None
    if thread_ts:
        channel.message(thread_ts)
    message = workspace.post(channel, BOT, text, blocks, thread_ts, metadata=_metadata(args))
    return {
        "channel": channel.id,
        "ts": message.ts,
        "message": message_json(message, metadata=True),
    }


def _metadata(args: Args) -> Json | None:
    """`{"event_type": str, "event_payload": object}`, sent as a JSON object or a JSON string."""
    value: Any = args.json("metadata", "invalid_metadata_format")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SlackError("invalid_metadata_format")
    event_type, payload = value.get("event_type"), value.get("event_payload")
    if not isinstance(event_type, str) or not event_type.strip() or not isinstance(payload, dict):
        raise SlackError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": payload}


def _content(args: Args) -> tuple[str, list[Json]]:
    text = str(args.values.get("text") or "")
    blocks = args.blocks()
    if not text and not blocks and not args.values.get("attachments"):
        raise SlackError("no_text")
    return text, blocks


def update(workspace: SlackWorkspace, args: Args) -> Json:
    channel = writable(workspace, args.text("channel"))
    message = channel.message(args.text("ts"))
    if message.user != BOT:
        raise SlackError("cant_update_message")
    text, blocks = _content(args)
    if len(text) > UPDATE_TEXT_MAX:
        raise SlackError("msg_too_long")
    message.text, message.blocks = text, blocks
    message.edited = {"user": BOT, "ts": workspace.next_ts()}
    return {"channel": channel.id, "ts": message.ts, "text": text, "message": message_json(message)}


def post_ephemeral(workspace: SlackWorkspace, args: Args) -> Json:
    channel = writable(workspace, args.text("channel"))
    user = workspace.user(args.text("user")).id
    if user not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks = _content(args)
    ts = workspace.next_ts()
    workspace.ephemeral.append(Ephemeral(ts, channel.id, user, text, blocks, "chat.postEphemeral"))
    return {"message_ts": ts}


def reactions_add(workspace: SlackWorkspace, args: Args) -> Json:
    add_reaction(workspace, args.text("channel"), args.text("timestamp"), args.text("name"), BOT)
    return {}


def reactions_remove(workspace: SlackWorkspace, args: Args) -> Json:
    remove_reaction(workspace, args.text("channel"), args.text("timestamp"), args.text("name"), BOT)
    return {}


def add_reaction(
    workspace: SlackWorkspace, channel_ref: str, ts: str, name: str, user: str
) -> Message:
    message = _message(workspace, channel_ref, ts, user)
    name = name.strip(":")
    if not name:
        raise SlackError("invalid_name")
    reaction = message.reaction(name)
    if reaction is None:
        message.reactions.append(Reaction(name, [user]))
    elif user in reaction.users:
        raise SlackError("already_reacted")
    else:
        reaction.users.append(user)
    return message


def remove_reaction(
    workspace: SlackWorkspace, channel_ref: str, ts: str, name: str, user: str
) -> Message:
    message = _message(workspace, channel_ref, ts, user)
    reaction = message.reaction(name.strip(":"))
    if reaction is None or user not in reaction.users:
        raise SlackError("no_reaction")
    reaction.users.remove(user)
    if not reaction.users:
        message.reactions.remove(reaction)
    return message


def _message(workspace: SlackWorkspace, channel_ref: str, ts: str, user: str) -> Message:
    channel = workspace.channel(channel_ref, as_user=user)
    if channel.is_archived:
        raise SlackError("is_archived")
    return channel.message(ts)


def pins_add(workspace: SlackWorkspace, args: Args) -> Json:
    pin(workspace, args.text("channel"), args.text("timestamp"), BOT)
    return {}


def pin(workspace: SlackWorkspace, channel_ref: str, ts: str, user: str) -> Channel:
    channel = workspace.channel(channel_ref, as_user=user)
    if channel.is_archived:
        raise SlackError("is_archived")
    if user not in channel.members:
        raise SlackError("not_in_channel")
    channel.message(ts)
    if ts in channel.pins:
        raise SlackError("already_pinned")
    channel.pins.append(ts)
    return channel


def bookmarks_add(workspace: SlackWorkspace, args: Args) -> Json:
    channel = writable(workspace, args.text("channel_id"))
    title, link, kind = args.text("title"), args.text("link"), args.text("type") or "link"
    if kind != "link":
        raise SlackError("invalid_bookmark_type")
    if not title:
        raise SlackError("invalid_arguments")
    if not link.startswith(("http://", "https://")):
        raise SlackError("invalid_link")
    if len(channel.bookmarks) >= 100:
        raise SlackError("too_many_bookmarks")
    bookmark = Bookmark(
        workspace.serial("Bk0", 9), title, link, kind, args.text("emoji") or None, int(time.time())
    )
    channel.bookmarks.append(bookmark)
    return {"bookmark": bookmark_json(bookmark, channel.id)}


def bookmarks_list(workspace: SlackWorkspace, args: Args) -> Json:
    channel = workspace.channel(args.text("channel_id"))
    return {"bookmarks": [bookmark_json(b, channel.id) for b in channel.bookmarks]}
