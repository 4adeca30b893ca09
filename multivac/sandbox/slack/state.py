"""The emulated Slack workspace: people, the bot, user groups, channels and what happened in them.

Everything here is plain data plus small lookups; the Web API rules live in the method modules and
the outbound side (slash commands, interactions, events) in `actor`. Callers hold `sandbox.lock`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from multivac.sandbox import seed

SLACK_APP_ID = "A0MULTIVAC"
SLACK_VERIFICATION_TOKEN = "sandbox-slack-verification-token"  # noqa: S105 - deprecated, sent as Slack does
BOT_NAME = "multivac"
GENERAL = "general"
TRIGGER_SECONDS = 3.0  # real seconds, not time-scaled: Slack's trigger_id lifetime
RESPONSE_URL_SECONDS = 30 * 60.0
RESPONSE_URL_USES = 5

Json = dict[str, Any]


class SlackError(Exception):
    """A Web API failure answered as `{"ok": false, "error": code}` (HTTP 200 unless `status`)."""

    def __init__(self, code: str, status: int = 200) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


@dataclass
class User:
    id: str
    name: str  # the handle, e.g. "aroha.ngata"
    real_name: str
    email: str | None
    title: str
    time_zone: str
    is_bot: bool = False


@dataclass
class Usergroup:
    id: str
    handle: str
    name: str
    users: list[str]


@dataclass
class Reaction:
    name: str
    users: list[str]


@dataclass
class Message:
    ts: str
    user: str
    text: str
    blocks: list[Json] = field(default_factory=list)
    bot_id: str | None = None
    thread_ts: str | None = None
    reactions: list[Reaction] = field(default_factory=list)
    edited: Json | None = None  # {"user", "ts"} once chat.update changed it
    metadata: Json | None = None  # {"event_type", "event_payload"} as chat.postMessage got it

    def reaction(self, name: str) -> Reaction | None:
        return next((r for r in self.reactions if r.name == name), None)


@dataclass
class Bookmark:
    id: str
    title: str
    link: str
    type: str
    emoji: str | None
    created: int


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    creator: str
    created: int
    members: list[str]
    is_im: bool = False
    is_archived: bool = False
    topic: Json = field(default_factory=lambda: {"value": "", "creator": "", "last_set": 0})
    purpose: Json = field(default_factory=lambda: {"value": "", "creator": "", "last_set": 0})
    bookmarks: list[Bookmark] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)  # message ts
    messages: list[Message] = field(default_factory=list)

    def message(self, ts: str) -> Message:
        found = next((m for m in self.messages if m.ts == ts), None)
        if found is None:
            raise SlackError("message_not_found")
        return found


@dataclass
class View:
    id: str
    user: str
    view: Json  # the app's view payload as given to views.open / views.update
    hash: str
    root_view_id: str
    external_id: str | None = None
    closed: bool = False


@dataclass
class Trigger:
    id: str
    user: str
    issued_at: float  # workspace clock
    used: bool = False


@dataclass
class ResponseUrl:
    token: str
    user: str
    channel: str
    issued_at: float
    message_ts: str | None = None  # the message a block action came from, for replace_original
    uses: int = 0


@dataclass
class Ephemeral:
    ts: str
    channel: str
    user: str
    text: str
    blocks: list[Json]
    via: str  # "chat.postEphemeral", "response_url" or "ack"


@dataclass
class Delivery:
    """One request the actor sent to Multivac, and how Multivac answered it."""

    kind: str  # "command", "interaction", "event"
    url: str
    sent: Json
    status: int | None
    body: Any
    elapsed_ms: float
    error: str | None = None


class SlackWorkspace:
    """The Tuatara workspace. `clock` (monotonic seconds) times trigger ids and response URLs;
    tests may replace it to expire them without sleeping."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.users: dict[str, User] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.channels: dict[str, Channel] = {}
        self.views: dict[str, View] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.ephemeral: list[Ephemeral] = []
        self.response_posts: list[Json] = []
        self.deliveries: list[Delivery] = []
        self.events: dict[str, Json] = {}  # event_id -> envelope, for retries
        self._last_ts_us = 0
        self._serial = 0

    @classmethod
    def seeded(cls) -> SlackWorkspace:
        workspace = cls()
        for person in seed.PEOPLE:
            if person.in_slack:
                workspace.add_user(
                    User(
                        person.slack_id,
                        person.handle,
                        person.name,
                        person.email,
                        person.title,
                        person.time_zone,
                    )
                )
        workspace.add_user(
            User(
                seed.SLACK_BOT_USER_ID,
                BOT_NAME,
                "Multivac",
                None,
                "Incident bot",
                seed.MULTIVAC_BOT.time_zone,
                is_bot=True,
            )
        )
        for team in seed.TEAMS:
            workspace.usergroups[team.slack_usergroup_id] = Usergroup(
                team.slack_usergroup_id, team.slug, team.name, workspace._team_members(team)
            )
        workspace.create_channel(GENERAL, is_private=False, creator=seed.SLACK_BOT_USER_ID)
        workspace.channels[workspace.general_id].members = list(workspace.users)
        return workspace

    def add_user(self, user: User) -> None:
        self.users[user.id] = user

    def _team_members(self, team: seed.Team) -> list[str]:
        emails = [e for block in team.rotation.values() for e in block]
        emails += [team.lead, *seed.EXTRA_USERGROUP_MEMBERS.get(team.slug, ())]
        ids = [self.user_by_email(e) for e in emails]
        return list(dict.fromkeys(u.id for u in ids if u is not None))

    # --- lookups -----------------------------------------------------------------------------

    @property
    def general_id(self) -> str:
        return channel_id_for(GENERAL)

    def user(self, user_id: str) -> User:
        found = self.users.get(user_id)
        if found is None:
            raise SlackError("user_not_found")
        return found

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if (u.email or "").lower() == wanted), None)

    def channel(self, ref: str, *, as_user: str = seed.SLACK_BOT_USER_ID) -> Channel:
        """The channel by id (or `#name` / name); private ones exist only for their members."""
        found = self.channels.get(ref) or self._channel_by_name(ref.removeprefix("#"))
        if found is None or (found.is_private and as_user not in found.members):
            raise SlackError("channel_not_found")
        return found

    def _channel_by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def name_taken(self, name: str) -> bool:
        return self._channel_by_name(name) is not None

    def im_with(self, user_id: str) -> Channel:
        """The bot's direct-message channel with a user, opened on first use."""
        user = self.user(user_id)
        channel_id = "D0" + user.id.removeprefix("U0")
        if channel_id not in self.channels:
            self.channels[channel_id] = Channel(
                channel_id,
                user.id,
                True,
                seed.SLACK_BOT_USER_ID,
                int(time.time()),
                [seed.SLACK_BOT_USER_ID, user.id],
                is_im=True,
            )
        return self.channels[channel_id]

    # --- changes -----------------------------------------------------------------------------

    def create_channel(self, name: str, *, is_private: bool, creator: str) -> Channel:
        channel = Channel(
            channel_id_for(name), name, is_private, creator, int(time.time()), [creator]
        )
        self.channels[channel.id] = channel
        return channel

    def post(
        self,
        channel: Channel,
        user: str,
        text: str,
        blocks: list[Json],
        thread_ts: str | None = None,
        *,
        metadata: Json | None = None,
    ) -> Message:
        bot_id = seed.SLACK_BOT_ID if user == seed.SLACK_BOT_USER_ID else None
        message = Message(self.next_ts(), user, text, blocks, bot_id, thread_ts, metadata=metadata)
        channel.messages.append(message)
        return message

    def next_ts(self) -> str:
        """A message timestamp from the wall clock, strictly increasing within the workspace."""
        now_us = max(time.time_ns() // 1000, self._last_ts_us + 100)
        self._last_ts_us = now_us
        return f"{now_us // 1_000_000}.{now_us % 1_000_000:06d}"

    def serial(self, prefix: str, length: int = 9) -> str:
        """A fresh id that is stable across runs: the same calls after a reset give the same ids."""
        self._serial += 1
        return seed.stable_id(prefix, f"serial:{self._serial}", length)

    def issue_trigger(self, user: str) -> Trigger:
        trigger_id = f"{int(time.time())}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"
        trigger = Trigger(trigger_id, user, self.clock())
        self.triggers[trigger_id] = trigger
        return trigger

    def redeem_trigger(self, trigger_id: str) -> Trigger:
        """Use a trigger id once, within `TRIGGER_SECONDS` of issue, else raise Slack's error."""
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - trigger.issued_at > TRIGGER_SECONDS:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def issue_response_url(self, user: str, channel: str, message_ts: str | None = None) -> str:
        token = secrets.token_urlsafe(18)
        self.response_urls[token] = ResponseUrl(token, user, channel, self.clock(), message_ts)
        return token

    # --- inspection --------------------------------------------------------------------------

    def snapshot(self) -> Json:
        """Everything as JSON-able data, for `/_sandbox/state` and tests."""
        return {
            "users": [asdict(u) for u in self.users.values()],
            "usergroups": [asdict(g) for g in self.usergroups.values()],
            "channels": [_channel_snapshot(c) for c in self.channels.values()],
            "views": [asdict(v) for v in self.views.values()],
            "ephemeral": [asdict(e) for e in self.ephemeral],
            "response_url_posts": list(self.response_posts),
            "deliveries": [asdict(d) for d in self.deliveries],
        }


def channel_id_for(name: str) -> str:
    """Channel ids derive from the (unique, never reused) name so tests can predict them."""
    return seed.stable_id("C0", "channel:" + name, 8)


def _channel_snapshot(channel: Channel) -> Json:
    data = asdict(channel)
    data["messages"] = [asdict(m) for m in channel.messages]
    return data
