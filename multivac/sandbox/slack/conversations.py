"""conversations.* methods: creating, inviting to, describing, reading and archiving channels."""

from __future__ import annotations

import base64
import re
import time
from decimal import Decimal, InvalidOperation

from multivac.sandbox import seed
from multivac.sandbox.slack.args import Args
from multivac.sandbox.slack.render import channel_json, message_json
from multivac.sandbox.slack.state import Channel, Json, Message, SlackError, SlackWorkspace

BOT = seed.SLACK_BOT_USER_ID
NAME_MAX = 80
TOPIC_MAX = 250
INVITE_MAX = 100
HISTORY_MAX = 999
_NAME = re.compile(r"[a-z0-9_-]+")


def validate_name(name: str) -> None:
    """Slack's channel-name rules: lowercase letters, digits, `-` and `_`, at most 80 characters."""
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > NAME_MAX:
        raise SlackError("invalid_name_maxlength")
    if not _NAME.fullmatch(name):
        raise SlackError("invalid_name_specials")
    if not name.strip("-_"):
        raise SlackError("invalid_name_punctuation")


def writable(workspace: SlackWorkspace, ref: str) -> Channel:
    """A channel the bot may change: it exists, is not archived and the bot is in it."""
    channel = workspace.channel(ref)
    if channel.is_archived:
        raise SlackError("is_archived")
    if BOT not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def create(workspace: SlackWorkspace, args: Args) -> Json:
    name = args.text("name")
    validate_name(name)
    if workspace.name_taken(name):
        raise SlackError("name_taken")
    channel = workspace.create_channel(name, is_private=args.flag("is_private"), creator=BOT)
    return {"channel": channel_json(channel)}


def invite(workspace: SlackWorkspace, args: Args) -> Json:
    """Adds the users; `already_in_channel` only when every one of them is already a member."""
    channel = writable(workspace, args.text("channel"))
    given = args.id_list("users")
    if not given:
        raise SlackError("no_user")
    if len(given) > INVITE_MAX:
        raise SlackError("too_many_users")
    users = list(dict.fromkeys(given))
    if BOT in users:
        raise SlackError("cant_invite_self")
    known = [u for u in users if u in workspace.users]
    if not known or (len(known) < len(users) and not args.flag("force")):
        raise SlackError("user_not_found")
    new = [u for u in known if u not in channel.members]
    if not new and len(known) == len(users):
        raise SlackError("already_in_channel")
    channel.members.extend(new)
    body: Json = {"channel": channel_json(channel)}
    if len(known) < len(users):
        body["errors"] = [
            {"user": u, "ok": False, "error": "user_not_found"} for u in users if u not in known
        ]
    return body


def set_topic(workspace: SlackWorkspace, args: Args) -> Json:
    channel = writable(workspace, args.text("channel"))
    channel.topic = _text_with_author(args.values.get("topic"))
    return {"channel": channel_json(channel)}


def set_purpose(workspace: SlackWorkspace, args: Args) -> Json:
    channel = writable(workspace, args.text("channel"))
    channel.purpose = _text_with_author(args.values.get("purpose"))
    return {"channel": channel_json(channel)}


def _text_with_author(value: object) -> Json:
    text = "" if value is None else str(value)
    if len(text) > TOPIC_MAX:
        raise SlackError("too_long")
    return {"value": text, "creator": BOT, "last_set": int(time.time())}


def archive(workspace: SlackWorkspace, args: Args) -> Json:
    channel = workspace.channel(args.text("channel"))
    if channel.is_archived:
        raise SlackError("already_archived")
    if channel.name == "general":
        raise SlackError("cant_archive_general")
    if BOT not in channel.members:
        raise SlackError("not_in_channel")
    channel.is_archived = True
    return {}


def unarchive(workspace: SlackWorkspace, args: Args) -> Json:
    channel = workspace.channel(args.text("channel"))
    if not channel.is_archived:
        raise SlackError("not_archived")
    channel.is_archived = False
    return {}


def info(workspace: SlackWorkspace, args: Args) -> Json:
    return {"channel": channel_json(workspace.channel(args.text("channel")))}


def list_channels(workspace: SlackWorkspace, args: Args) -> Json:
    """One page of channels (conversations.list); `types` and `exclude_archived` filter."""
    types = set((args.text("types") or "public_channel").split(","))
    wanted = [
        channel
        for channel in workspace.channels.values()
        if ("private_channel" if channel.is_private else "public_channel") in types
        and not (channel.is_archived and args.flag("exclude_archived"))
        and not channel.is_im
    ]
    limit = max(1, min(args.integer("limit", 100), 1000))
    start = _decode_cursor(args.text("cursor"))
    more = start + limit < len(wanted)
    return {
        "channels": [channel_json(c) for c in wanted[start : start + limit]],
        "response_metadata": {"next_cursor": _encode_cursor(start + limit) if more else ""},
    }


def members(workspace: SlackWorkspace, args: Args) -> Json:
    """One page of member ids; `response_metadata.next_cursor` is empty on the last page."""
    channel = workspace.channel(args.text("channel"))
    limit = max(1, min(args.integer("limit", 100), 1000))
    start = _decode_cursor(args.text("cursor"))
    page = channel.members[start : start + limit]
    more = start + limit < len(channel.members)
    cursor = _encode_cursor(start + limit) if more else ""
    return {"members": page, "response_metadata": {"next_cursor": cursor}}


def history(workspace: SlackWorkspace, args: Args) -> Json:
    """Top-level messages (and thread parents), newest first, one page at a time.

    Metadata appears only with `include_all_metadata`. The bot must be in the channel
    (`not_in_channel`); archived channels can still be read.
    """
    channel = workspace.channel(args.text("channel"))
    if BOT not in channel.members:
        raise SlackError("not_in_channel")
    wanted = _in_window(channel.messages, args)
    limit = max(1, min(args.integer("limit", 100), HISTORY_MAX))
    start = _decode_cursor(args.text("cursor"))
    more = start + limit < len(wanted)
    metadata = args.flag("include_all_metadata")
    body: Json = {
        "messages": [message_json(m, metadata=metadata) for m in wanted[start : start + limit]],
        "has_more": more,
        "pin_count": len(channel.pins),
        "channel_actions_ts": None,
        "channel_actions_count": 0,
    }
    if more:
        body["response_metadata"] = {"next_cursor": _encode_cursor(start + limit)}
    return body


def _in_window(messages: list[Message], args: Args) -> list[Message]:
    """Between `oldest` and `latest` (exclusive unless `inclusive`), replies left out."""
    oldest = _ts(args.text("oldest") or "0", "invalid_ts_oldest")
    latest = _ts(args.text("latest"), "invalid_ts_latest") if args.text("latest") else None
    inclusive = args.flag("inclusive")

    def inside(message: Message) -> bool:
        ts = Decimal(message.ts)
        after = ts >= oldest if inclusive else ts > oldest
        before = latest is None or (ts <= latest if inclusive else ts < latest)
        return after and before

    top_level = [m for m in messages if m.thread_ts in (None, m.ts)]
    return sorted((m for m in top_level if inside(m)), key=lambda m: Decimal(m.ts), reverse=True)


def _ts(value: str, error: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise SlackError(error) from None


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().removeprefix("offset:"))
    except ValueError:
        raise SlackError("invalid_cursor") from None
