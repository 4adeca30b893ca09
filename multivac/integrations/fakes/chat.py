"""`FakeChat`: Slack as the `Chat` port sees it."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from multivac.integrations.errors import NameTaken, NotFound, Rejected, TriggerExpired
from multivac.integrations.fakes.recorder import Recorder
from multivac.integrations.ports import (
    INVITE_BATCH_SIZE,
    Block,
    Bookmark,
    Channel,
    ChatIdentity,
    ChatUser,
    MessageMetadata,
    RefusedInvite,
    View,
)

_CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")
_TEXT_LIMIT = 250
HISTORY_MAX = 999
BOT = ChatIdentity(user_id="U0BOT", team_id="T0FAKE", bot_id="B0BOT")


@dataclass
class FakeMessage:
    channel_id: str
    ts: str
    text: str
    blocks: list[Block] | None
    metadata: MessageMetadata | None = None
    reactions: set[str] = field(default_factory=set)
    pinned: bool = False


class FakeChat(Recorder):
    """Slack as the ports see it. `channels` holds `Channel` snapshots; `members` per channel."""

    def __init__(
        self,
        *,
        users: Iterable[ChatUser] = (),
        usergroups: Mapping[str, Sequence[str]] | None = None,
        identity: ChatIdentity = BOT,
    ) -> None:
        super().__init__("slack")
        self.identity = identity
        self.users = {user.id: user for user in users}
        self.usergroups = {k: list(v) for k, v in (usergroups or {}).items()}
        self.channels: dict[str, Channel] = {}
        self.members: dict[str, set[str]] = {}
        self.channel_bookmarks: dict[str, list[Bookmark]] = defaultdict(list)
        self.messages: dict[tuple[str, str], FakeMessage] = {}
        self.ephemerals: list[tuple[str, str, str]] = []  # channel, user, text
        self.views: dict[str, View] = {}
        self.invite_batches: list[tuple[str, ...]] = []
        self.used_triggers: set[str] = set()
        self._ids = itertools.count(1)

    def _channel(self, channel_id: str, *, writable: bool = False) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise NotFound(self.service, "no such channel", code="channel_not_found")
        if writable and channel.is_archived:
            raise Rejected(self.service, "is_archived", "The channel is archived.")
        return channel

    def _message(self, channel_id: str, ts: str) -> FakeMessage:
        message = self.messages.get((channel_id, ts))
        if message is None:
            raise NotFound(self.service, "no such message", code="message_not_found")
        return message

    def whoami(self) -> ChatIdentity:
        self._record("whoami")
        return self.identity

    def create_channel(self, *, name: str, private: bool = False) -> Channel:
        self._record("create_channel", name=name, private=private)
        if not name or len(name) > 80 or not _CHANNEL_NAME.fullmatch(name):
            raise Rejected(self.service, "invalid_name_specials", "Invalid channel name.")
        if any(channel.name == name for channel in self.channels.values()):
            raise NameTaken(self.service, "name_taken", "A channel with that name already exists.")
        channel = Channel(
            id=f"C{next(self._ids):08d}",
            name=name,
            is_private=private,
            creator=self.identity.user_id,
        )
        self.channels[channel.id] = channel
        self.members[channel.id] = {self.identity.user_id}
        return channel

    def find_channel_by_name(self, *, name: str) -> Channel | None:
        self._record("find_channel_by_name", name=name)
        return next((c for c in self.channels.values() if c.name == name), None)

    def channel_info(self, *, channel_id: str) -> Channel:
        self._record("channel_info", channel_id=channel_id)
        return self._channel(channel_id)

    def invite(self, *, channel_id: str, user_ids: Sequence[str]) -> tuple[RefusedInvite, ...]:
        self._record("invite", channel_id=channel_id, user_ids=tuple(user_ids))
        self._channel(channel_id, writable=True)
        unique = list(dict.fromkeys(user_ids))
        refused: list[RefusedInvite] = []
        for start in range(0, len(unique), INVITE_BATCH_SIZE):
            batch = tuple(unique[start : start + INVITE_BATCH_SIZE])
            self.invite_batches.append(batch)
            refused += [RefusedInvite(u, "user_not_found") for u in batch if u not in self.users]
            self.members[channel_id] |= {u for u in batch if u in self.users}
        return tuple(refused)

    def _writable_text(self, channel_id: str, text: str) -> Channel:
        channel = self._channel(channel_id, writable=True)
        if len(text) > _TEXT_LIMIT:
            raise Rejected(self.service, "too_long", "That text is too long for Slack.")
        return channel

    def set_topic(self, *, channel_id: str, topic: str) -> None:
        self._record("set_topic", channel_id=channel_id, topic=topic)
        self.channels[channel_id] = replace(self._writable_text(channel_id, topic), topic=topic)

    def set_purpose(self, *, channel_id: str, purpose: str) -> None:
        self._record("set_purpose", channel_id=channel_id, purpose=purpose)
        channel = self._writable_text(channel_id, purpose)
        self.channels[channel_id] = replace(channel, purpose=purpose)

    def add_bookmark(self, *, channel_id: str, title: str, link: str) -> None:
        self._record("add_bookmark", channel_id=channel_id, title=title, link=link)
        self._channel(channel_id, writable=True)
        if not link.startswith(("http://", "https://")):
            raise Rejected(self.service, "invalid_link", "Bookmarks need an http(s) link.")
        bookmark = Bookmark(id=f"Bk{next(self._ids):09d}", title=title, link=link)
        self.channel_bookmarks[channel_id].append(bookmark)

    def bookmarks(self, *, channel_id: str) -> list[Bookmark]:
        self._record("bookmarks", channel_id=channel_id)
        self._channel(channel_id)
        return list(self.channel_bookmarks[channel_id])

    def post_message(
        self,
        *,
        channel_id: str,
        text: str,
        blocks: Sequence[Block] | None = None,
        metadata: MessageMetadata | None = None,
    ) -> str:
        self._record(
            "post_message", channel_id=channel_id, text=text, blocks=blocks, metadata=metadata
        )
        self._channel(channel_id, writable=True)
        if metadata is not None and not metadata.event_type:
            raise Rejected(self.service, "invalid_metadata_schema", "Metadata needs an event type.")
        ts = f"1700000000.{next(self._ids):06d}"
        message = FakeMessage(channel_id, ts, text, _copy(blocks), metadata)
        self.messages[(channel_id, ts)] = message
        return ts

    def find_message(
        self, *, channel_id: str, event_type: str, key: str, value: str, limit: int = 100
    ) -> str | None:
        self._record(
            "find_message",
            channel_id=channel_id,
            event_type=event_type,
            key=key,
            value=value,
            limit=limit,
        )
        self._channel(channel_id)
        posted = sorted(
            (m for m in self.messages.values() if m.channel_id == channel_id),
            key=lambda m: m.ts,
            reverse=True,
        )
        for message in posted[: max(1, min(limit, HISTORY_MAX))]:
            data = message.metadata
            if data and data.event_type == event_type and data.payload.get(key) == value:
                return message.ts
        return None

    def update_message(
        self, *, channel_id: str, ts: str, text: str, blocks: Sequence[Block] | None = None
    ) -> None:
        self._record("update_message", channel_id=channel_id, ts=ts, text=text, blocks=blocks)
        message = self._message(channel_id, ts)
        message.text, message.blocks = text, _copy(blocks)

    def post_ephemeral(
        self, *, channel_id: str, user_id: str, text: str, blocks: Sequence[Block] | None = None
    ) -> None:
        self._record("post_ephemeral", channel_id=channel_id, user_id=user_id, text=text)
        self._channel(channel_id)
        if user_id not in self.users:
            raise NotFound(self.service, "no such user", code="user_not_found")
        if user_id not in self.members[channel_id]:
            raise Rejected(self.service, "user_not_in_channel", "That user is not in the channel.")
        self.ephemerals.append((channel_id, user_id, text))

    def add_reaction(self, *, channel_id: str, ts: str, name: str) -> None:
        self._record("add_reaction", channel_id=channel_id, ts=ts, name=name)
        self._message(channel_id, ts).reactions.add(name)

    def remove_reaction(self, *, channel_id: str, ts: str, name: str) -> None:
        self._record("remove_reaction", channel_id=channel_id, ts=ts, name=name)
        self._message(channel_id, ts).reactions.discard(name)

    def pin(self, *, channel_id: str, ts: str) -> None:
        self._record("pin", channel_id=channel_id, ts=ts)
        self._message(channel_id, ts).pinned = True

    def archive(self, *, channel_id: str) -> None:
        self._record("archive", channel_id=channel_id)
        self.channels[channel_id] = replace(self._channel(channel_id), is_archived=True)

    def unarchive(self, *, channel_id: str) -> None:
        self._record("unarchive", channel_id=channel_id)
        self.channels[channel_id] = replace(self._channel(channel_id), is_archived=False)

    def lookup_user_by_email(self, *, email: str) -> str | None:
        self._record("lookup_user_by_email", email=email)
        wanted = email.lower()
        return next((u.id for u in self.users.values() if (u.email or "").lower() == wanted), None)

    def user_info(self, *, user_id: str) -> ChatUser:
        self._record("user_info", user_id=user_id)
        if user_id not in self.users:
            raise NotFound(self.service, "no such user", code="user_not_found")
        return self.users[user_id]

    def channel_members(self, *, channel_id: str) -> list[str]:
        self._record("channel_members", channel_id=channel_id)
        self._channel(channel_id)
        return sorted(self.members[channel_id])

    def usergroup_members(self, *, usergroup_id: str) -> list[str]:
        self._record("usergroup_members", usergroup_id=usergroup_id)
        if usergroup_id not in self.usergroups:
            raise NotFound(self.service, "no such user group", code="no_such_subteam")
        return list(self.usergroups[usergroup_id])

    def open_view(self, *, trigger_id: str, view: View) -> str:
        """Each trigger id works once; ids starting with "expired" never work."""
        self._record("open_view", trigger_id=trigger_id, view=view)
        if trigger_id.startswith("expired"):
            raise TriggerExpired(self.service, "expired_trigger_id", "That trigger expired.")
        if trigger_id in self.used_triggers:
            raise TriggerExpired(self.service, "exchanged_trigger_id", "Trigger already used.")
        self.used_triggers.add(trigger_id)
        view_id = f"V{next(self._ids):08d}"
        self.views[view_id] = view
        return view_id

    def update_view(self, *, view_id: str, view: View) -> None:
        self._record("update_view", view_id=view_id, view=view)
        if view_id not in self.views:
            raise NotFound(self.service, "no such view", code="not_found")
        self.views[view_id] = view


def _copy(blocks: Sequence[Block] | None) -> list[Block] | None:
    return [dict(block) for block in blocks] if blocks else None
