"""Events API deliveries: a person's action changes the workspace, then Slack tells the app.

Sent envelopes are kept by `event_id` so a test can replay one as Slack's retry would, with
`X-Slack-Retry-Num` and `X-Slack-Retry-Reason`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from multivac.sandbox.slack import payloads
from multivac.sandbox.slack.delivery import JSON, deliver, outcome
from multivac.sandbox.slack.lookup import channel_of, find_person, multivac_target, slack_refusal
from multivac.sandbox.slack.messages import add_reaction, pin, remove_reaction
from multivac.sandbox.slack.state import Channel, Json, SlackError, SlackWorkspace, User
from multivac.sandbox.slack.view_state import ActorError

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox

Action = Callable[[SlackWorkspace, User, Channel, Json], Json]


class EventMaker:
    def __init__(self, sandbox: Sandbox, *, timeout: float) -> None:
        self._sandbox = sandbox
        self._timeout = timeout

    def handle(self, spec: Json, multivac_url: str | None) -> Json:
        url = multivac_target(self._sandbox, multivac_url, "/slack/events")
        if spec.get("retry") is not None:
            return self._retry(url, str(spec.get("event_id") or ""), spec)
        if spec.get("type") == "url_verification":
            return self._verify(url, str(spec.get("challenge") or secrets.token_urlsafe(24)))
        with self._sandbox.lock:
            workspace = self._sandbox.slack
            envelope = payloads.envelope(self._act(workspace, spec))
            workspace.events[envelope["event_id"]] = envelope
        return self._send(workspace, url, envelope) | {"event_id": envelope["event_id"]}

    def _act(self, workspace: SlackWorkspace, spec: Json) -> Json:
        if isinstance(spec.get("event"), dict):
            return dict(spec["event"])  # a raw inner event, sent as given
        action = ACTIONS.get(str(spec.get("type")))
        if action is None:
            raise ActorError(f'unsupported event type {spec.get("type")!r}; pass a raw "event"')
        who = find_person(workspace, str(spec.get("user") or ""))
        where = channel_of(workspace, spec.get("channel"), who)
        try:
            return action(workspace, who, where, spec)
        except SlackError as error:
            raise slack_refusal(error) from None

    def _retry(self, url: str, event_id: str, spec: Json) -> Json:
        with self._sandbox.lock:
            workspace = self._sandbox.slack
            envelope = workspace.events.get(event_id)
        if envelope is None:
            raise ActorError(f"no event {event_id!r} was sent", 404)
        headers = {
            "X-Slack-Retry-Num": str(spec["retry"]),
            "X-Slack-Retry-Reason": str(spec.get("retry_reason") or "http_timeout"),
        }
        return self._send(workspace, url, envelope, headers) | {"event_id": event_id}

    def _verify(self, url: str, challenge: str) -> Json:
        with self._sandbox.lock:
            workspace = self._sandbox.slack
        result = self._send(workspace, url, payloads.url_verification(challenge))
        body = result["body"]
        echoed = body.get("challenge") if isinstance(body, dict) else body
        return result | {"challenge": challenge, "challenge_ok": echoed == challenge}

    def _send(
        self,
        workspace: SlackWorkspace,
        url: str,
        envelope: Json,
        headers: dict[str, str] | None = None,
    ) -> Json:
        delivery = deliver(
            "event",
            url,
            json.dumps(envelope),
            JSON,
            envelope,
            timeout=self._timeout,
            headers=headers,
        )
        with self._sandbox.lock:
            workspace.deliveries.append(delivery)
        return outcome(delivery)


def _ts(channel: Channel, spec: Json) -> str:
    """The message acted on: `ts` / `message_ts`, else the newest message in the channel."""
    given = spec.get("ts") or spec.get("message_ts")
    if given:
        return str(given)
    if not channel.messages:
        raise ActorError(f"#{channel.name} has no messages", 404)
    return channel.messages[-1].ts


def _reacted(workspace: SlackWorkspace, who: User, where: Channel, spec: Json) -> Json:
    reaction = str(spec.get("reaction") or "").strip(":")
    message = add_reaction(workspace, where.id, _ts(where, spec), reaction, who.id)
    return payloads.reaction_event("reaction_added", who.id, reaction, where, message)


def _unreacted(workspace: SlackWorkspace, who: User, where: Channel, spec: Json) -> Json:
    reaction = str(spec.get("reaction") or "").strip(":")
    message = remove_reaction(workspace, where.id, _ts(where, spec), reaction, who.id)
    return payloads.reaction_event("reaction_removed", who.id, reaction, where, message)


def _pinned(workspace: SlackWorkspace, who: User, where: Channel, spec: Json) -> Json:
    ts = _ts(where, spec)
    pin(workspace, where.id, ts, who.id)
    return payloads.pin_added_event(who.id, where, where.message(ts))


def _posted(workspace: SlackWorkspace, who: User, where: Channel, spec: Json) -> Json:
    if where.is_archived:
        raise SlackError("is_archived")
    if who.id not in where.members:
        raise SlackError("not_in_channel")
    thread_ts = str(spec.get("thread_ts") or "") or None
    message = workspace.post(where, who.id, str(spec.get("text") or ""), [], thread_ts)
    return payloads.message_event(where, message)


def _joined(workspace: SlackWorkspace, who: User, where: Channel, spec: Json) -> Json:
    if where.is_archived:
        raise SlackError("is_archived")
    if who.id in where.members:
        raise SlackError("already_in_channel")
    where.members.append(who.id)
    inviter: Any = spec.get("inviter")
    return payloads.member_joined_event(who.id, where, str(inviter) if inviter else None)


ACTIONS: dict[str, Action] = {
    "reaction_added": _reacted,
    "reaction_removed": _unreacted,
    "pin_added": _pinned,
    "message": _posted,
    "member_joined_channel": _joined,
}
