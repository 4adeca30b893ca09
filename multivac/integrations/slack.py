"""`Chat` over slack_sdk's `WebClient`; Slack's errors are mapped in `slack_errors`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from multivac.integrations.ports import (
    INVITE_BATCH_SIZE,
    Block,
    Bookmark,
    Channel,
    Chat,
    ChatIdentity,
    ChatUser,
    MessageMetadata,
    RefusedInvite,
    View,
)
from multivac.integrations.slack_errors import error_code, map_slack_error, slack_errors
from multivac.settings import SlackSettings

__all__ = ["SlackChat", "build_chat", "map_slack_error", "slack_errors"]

PAGE_SIZE = 200  # Slack's recommended maximum for cursor-paginated methods
HISTORY_MAX = 999  # conversations.history's largest `limit`

# Invite errors about one user rather than the channel: they never fail the other invitees.
_PER_USER_INVITE = frozenset(
    {
        "already_in_channel",
        "cant_invite_self",
        "user_not_found",
        "cant_invite",
        "no_user",
        "user_is_restricted",
        "ura_max_channels",
        "invitee_cant_see_channel",
        "no_external_invite_permission",
        "user_disabled",
    }
)
_INVITE_SUCCESS = frozenset({"already_in_channel", "cant_invite_self"})


def _channel(raw: Mapping[str, Any]) -> Channel:
    return Channel(
        id=str(raw["id"]),
        name=str(raw.get("name", "")),
        is_private=bool(raw.get("is_private", False)),
        is_archived=bool(raw.get("is_archived", False)),
        topic=str((raw.get("topic") or {}).get("value", "")),
        purpose=str((raw.get("purpose") or {}).get("value", "")),
        creator=str(raw["creator"]) if raw.get("creator") else None,
    )


def _user(raw: Mapping[str, Any]) -> ChatUser:
    profile: Mapping[str, Any] = raw.get("profile") or {}
    name = raw.get("real_name") or profile.get("real_name") or raw.get("name") or raw["id"]
    return ChatUser(id=str(raw["id"]), name=str(name), email=profile.get("email"), tz=raw.get("tz"))


def _refusals(details: Sequence[Mapping[str, Any]]) -> list[RefusedInvite]:
    """The per-user `errors` a forced invite reports: `[{"user", "ok": false, "error"}]`."""
    return [RefusedInvite(str(d.get("user")), str(d.get("error"))) for d in details]


def _blocks(blocks: Sequence[Block] | None) -> list[dict[str, Any]] | None:
    return [dict(block) for block in blocks] if blocks else None


def _metadata(metadata: MessageMetadata | None) -> dict[str, Any] | None:
    if metadata is None:
        return None
    return {"event_type": metadata.event_type, "event_payload": dict(metadata.payload)}


def _carries(message: Mapping[str, Any], event_type: str, key: str, value: str) -> bool:
    metadata: Mapping[str, Any] = message.get("metadata") or {}
    payload: Mapping[str, Any] = metadata.get("event_payload") or {}
    return metadata.get("event_type") == event_type and str(payload.get(key)) == value


def _next_cursor(response: Any) -> str | None:
    cursor = (response.get("response_metadata") or {}).get("next_cursor")
    return str(cursor) if cursor else None


class SlackChat:
    """The `Chat` port over a `WebClient`. Rate limits raise `RateLimited`; nothing here sleeps."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def whoami(self) -> ChatIdentity:
        with slack_errors():
            response = self._client.auth_test()
        return ChatIdentity(
            user_id=str(response["user_id"]),
            team_id=str(response["team_id"]),
            bot_id=response.get("bot_id"),
        )

    def create_channel(self, *, name: str, private: bool = False) -> Channel:
        with slack_errors():
            response = self._client.conversations_create(name=name, is_private=private)
        return _channel(response["channel"])

    def find_channel_by_name(self, *, name: str) -> Channel | None:
        cursor: str | None = None
        while True:
            with slack_errors():
                response = self._client.conversations_list(
                    types="public_channel,private_channel",
                    exclude_archived=False,
                    limit=PAGE_SIZE,
                    cursor=cursor,
                )
            for raw in response.get("channels") or []:
                if raw.get("name") == name:
                    return _channel(raw)
            cursor = _next_cursor(response)
            if cursor is None:
                return None

    def channel_info(self, *, channel_id: str) -> Channel:
        with slack_errors():
            response = self._client.conversations_info(channel=channel_id)
        return _channel(response["channel"])

    def invite(self, *, channel_id: str, user_ids: Sequence[str]) -> tuple[RefusedInvite, ...]:
        """Batches of 100 with `force`, so one bad id never blocks the rest of its batch.

        Refusals come from the response's per-user `errors`. A bare `already_in_channel` means
        everyone was already there (with `force` nobody else was held back). Any other per-user
        code without saying which user (e.g. `cant_invite_self` for the bot's own id) makes the
        batch go again one user at a time to find out, at one call per user.
        """
        unique = list(dict.fromkeys(user_ids))
        refused: list[RefusedInvite] = []
        for start in range(0, len(unique), INVITE_BATCH_SIZE):
            refused += self._invite_batch(channel_id, unique[start : start + INVITE_BATCH_SIZE])
        return tuple(r for r in refused if r.reason not in _INVITE_SUCCESS)

    def _invite_batch(self, channel_id: str, batch: list[str]) -> list[RefusedInvite]:
        with slack_errors():
            try:
                response = self._client.conversations_invite(
                    channel=channel_id, users=batch, force=True
                )
            except SlackApiError as error:
                code, data = error_code(error), error.response.data
                if isinstance(data, dict) and data.get("errors"):
                    return _refusals(data["errors"])
                if code == "already_in_channel":  # with `force`, the whole batch was handled
                    return []
                if code not in _PER_USER_INVITE:
                    raise
                if len(batch) == 1:
                    return [RefusedInvite(batch[0], code)]
                return [r for user in batch for r in self._invite_batch(channel_id, [user])]
        return _refusals(response.get("errors") or [])

    def set_topic(self, *, channel_id: str, topic: str) -> None:
        with slack_errors():
            self._client.conversations_setTopic(channel=channel_id, topic=topic)

    def set_purpose(self, *, channel_id: str, purpose: str) -> None:
        with slack_errors():
            self._client.conversations_setPurpose(channel=channel_id, purpose=purpose)

    def add_bookmark(self, *, channel_id: str, title: str, link: str) -> None:
        with slack_errors():
            self._client.bookmarks_add(channel_id=channel_id, title=title, type="link", link=link)

    def bookmarks(self, *, channel_id: str) -> list[Bookmark]:
        with slack_errors():
            response = self._client.bookmarks_list(channel_id=channel_id)
        return [
            Bookmark(id=str(raw["id"]), title=str(raw.get("title", "")), link=str(raw.get("link")))
            for raw in response.get("bookmarks") or []
        ]

    def post_message(
        self,
        *,
        channel_id: str,
        text: str,
        blocks: Sequence[Block] | None = None,
        metadata: MessageMetadata | None = None,
    ) -> str:
        with slack_errors():
            response = self._client.chat_postMessage(
                channel=channel_id, text=text, blocks=_blocks(blocks), metadata=_metadata(metadata)
            )
        return str(response["ts"])

    def find_message(
        self, *, channel_id: str, event_type: str, key: str, value: str, limit: int = 100
    ) -> str | None:
        """One conversations.history call (Tier 3) over the newest `limit` messages (999 at
        most); Slack only returns metadata when asked with `include_all_metadata`."""
        with slack_errors():
            response = self._client.conversations_history(
                channel=channel_id, limit=max(1, min(limit, HISTORY_MAX)), include_all_metadata=True
            )
        return next(
            (
                str(message["ts"])
                for message in response.get("messages") or []
                if _carries(message, event_type, key, value)
            ),
            None,
        )

    def update_message(
        self, *, channel_id: str, ts: str, text: str, blocks: Sequence[Block] | None = None
    ) -> None:
        with slack_errors():
            self._client.chat_update(channel=channel_id, ts=ts, text=text, blocks=_blocks(blocks))

    def post_ephemeral(
        self, *, channel_id: str, user_id: str, text: str, blocks: Sequence[Block] | None = None
    ) -> None:
        with slack_errors():
            self._client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=text, blocks=_blocks(blocks)
            )

    def add_reaction(self, *, channel_id: str, ts: str, name: str) -> None:
        with slack_errors(success={"already_reacted"}):
            self._client.reactions_add(channel=channel_id, timestamp=ts, name=name)

    def remove_reaction(self, *, channel_id: str, ts: str, name: str) -> None:
        with slack_errors(success={"no_reaction"}):
            self._client.reactions_remove(channel=channel_id, timestamp=ts, name=name)

    def pin(self, *, channel_id: str, ts: str) -> None:
        with slack_errors(success={"already_pinned"}):
            self._client.pins_add(channel=channel_id, timestamp=ts)

    def archive(self, *, channel_id: str) -> None:
        with slack_errors(success={"already_archived"}):
            self._client.conversations_archive(channel=channel_id)

    def unarchive(self, *, channel_id: str) -> None:
        with slack_errors(success={"not_archived"}):
            self._client.conversations_unarchive(channel=channel_id)

    def lookup_user_by_email(self, *, email: str) -> str | None:
        with slack_errors(success={"users_not_found"}):
            return str(self._client.users_lookupByEmail(email=email)["user"]["id"])
        return None

    def user_info(self, *, user_id: str) -> ChatUser:
        with slack_errors():
            response = self._client.users_info(user=user_id)
        return _user(response["user"])

    def channel_members(self, *, channel_id: str) -> list[str]:
        members: list[str] = []
        cursor: str | None = None
        while True:
            with slack_errors():
                response = self._client.conversations_members(
                    channel=channel_id, limit=PAGE_SIZE, cursor=cursor
                )
            members += [str(member) for member in response.get("members") or []]
            cursor = _next_cursor(response)
            if cursor is None:
                return members

    def usergroup_members(self, *, usergroup_id: str) -> list[str]:
        with slack_errors():
            response = self._client.usergroups_users_list(usergroup=usergroup_id)
        return [str(user) for user in response.get("users") or []]

    def open_view(self, *, trigger_id: str, view: View) -> str:
        with slack_errors():
            response = self._client.views_open(trigger_id=trigger_id, view=dict(view))
        return str(response["view"]["id"])

    def update_view(self, *, view_id: str, view: View) -> None:
        with slack_errors():
            self._client.views_update(view_id=view_id, view=dict(view))


def build_chat(settings: SlackSettings) -> SlackChat:
    """A `SlackChat` for these settings.

    Only connection resets are retried (once, by slack_sdk). Rate limits are not retried here:
    they surface as `RateLimited` so that a Celery task can be rescheduled after `Retry-After`
    instead of a worker thread sleeping.
    """
    client = WebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.api_url,
        timeout=math.ceil(settings.timeout_seconds),
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )
    return SlackChat(client)


if TYPE_CHECKING:

    def _conforms(client: WebClient) -> Chat:  # mypy checks SlackChat against the port
        return SlackChat(client)
