"""The sandbox acting as Slack towards Multivac: people running slash commands, clicking buttons,
submitting modals, reacting and pinning.

`SlackActor` does the work and is usable from Python; `create_slack_actor_blueprint` is its JSON
layer at `/_sandbox/slack`. Every outbound request is signed like Slack's and recorded, with
Multivac's status, body and response time, in `SlackWorkspace.deliveries`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from multivac.sandbox.slack import payloads
from multivac.sandbox.slack.delivery import FORM, acknowledged, deliver, outcome
from multivac.sandbox.slack.events import EventMaker
from multivac.sandbox.slack.lookup import channel_of, find_person, multivac_target
from multivac.sandbox.slack.responses import post_to_response_url, show
from multivac.sandbox.slack.state import (
    Channel,
    Delivery,
    Json,
    Message,
    SlackError,
    SlackWorkspace,
    User,
    View,
)
from multivac.sandbox.slack.view_state import ActorError, clicked_action, state_values

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox

ACTOR_PREFIX = "/_sandbox/slack"


class SlackActor:
    """Drives Multivac the way Slack would. Methods raise `ActorError` for things a person could not
    do (unknown user, no such button) and when there is no Multivac URL to send to (status 409)."""

    def __init__(self, sandbox: Sandbox, *, timeout: float = 10.0) -> None:
        self._sandbox = sandbox
        self._timeout = timeout
        self._events = EventMaker(sandbox, timeout=timeout)

    # --- slash commands ------------------------------------------------------------------------

    def command(
        self,
        *,
        user: str,
        text: str = "",
        command: str = "/incident",
        channel: str | None = None,
        multivac_url: str | None = None,
    ) -> Json:
        """Run a slash command; issues a trigger id (3 s, single use) and a response URL."""
        url = multivac_target(self._sandbox, multivac_url, "/slack/commands")
        with self._sandbox.lock:
            workspace = self._sandbox.slack
            person = find_person(workspace, user)
            where = channel_of(workspace, channel, person)
            trigger = workspace.issue_trigger(person.id)
            response_url = self._response_url(workspace, person.id, where.id)
            form = payloads.slash_command(
                person,
                where,
                command=command,
                text=text,
                response_url=response_url,
                trigger_id=trigger.id,
            )
        delivery = deliver("command", url, urlencode(form), FORM, form, timeout=self._timeout)
        with self._sandbox.lock:
            workspace.deliveries.append(delivery)
            self._show_command_ack(workspace, delivery, where.id, person.id, command)
        return outcome(delivery) | {"trigger_id": trigger.id, "response_url": response_url}

    def _show_command_ack(
        self, workspace: SlackWorkspace, delivery: Delivery, channel: str, user: str, command: str
    ) -> None:
        if not acknowledged(delivery):
            error = "operation_timeout" if delivery.status == 200 else "dispatch_failed"
            failure = {"text": f'{command} failed with the error "{error}"'}
            show(workspace, channel, user, failure, via="slack")
            return
        show(workspace, channel, user, payloads.text_or_json(delivery.body), via="ack")

    # --- interactions --------------------------------------------------------------------------

    def interaction(self, spec: Json, multivac_url: str | None = None) -> Json:
        """`spec["type"]` is block_actions, view_submission or view_closed (see the blueprint)."""
        kind = spec.get("type")
        if kind == "block_actions":
            return self.click(spec, multivac_url)
        if kind == "view_submission":
            return self.submit(spec, multivac_url)
        if kind == "view_closed":
            return self.close(spec, multivac_url)
        raise ActorError(f"unsupported interaction type {kind!r}")

    def click(self, spec: Json, multivac_url: str | None = None) -> Json:
        """Click `action_id` on message `message_ts` (default: the newest message offering it)."""
        url = multivac_target(self._sandbox, multivac_url, "/slack/interactions")
        action_id = str(spec.get("action_id") or "")
        with self._sandbox.lock:
            workspace = self._sandbox.slack
            person = find_person(workspace, str(spec.get("user") or ""))
            where = channel_of(workspace, spec.get("channel"), person)
            message = _clickable(where, action_id, spec.get("message_ts"))
            action = clicked_action(message.blocks, action_id, spec.get("value"))
            trigger = workspace.issue_trigger(person.id)
            response_url = self._response_url(workspace, person.id, where.id, message.ts)
            payload = payloads.block_actions(
                person, where, message, action, trigger_id=trigger.id, response_url=response_url
            )
        result = self._send_interaction(workspace, url, payload)
        return result | {"trigger_id": trigger.id, "response_url": response_url}

    def submit(self, spec: Json, multivac_url: str | None = None) -> Json:
        """Submit an open modal with `values` keyed by action_id (or block_id); applies the ack's
        `response_action` (errors keep the modal open, update replaces it, else it closes)."""
        url = multivac_target(self._sandbox, multivac_url, "/slack/interactions")
        with self._sandbox.lock:
            workspace = self._sandbox.slack
            person = find_person(workspace, str(spec.get("user") or ""))
            view = _open_view(workspace, person, spec.get("view_id"))
            blocks = list(view.view.get("blocks") or [])
            values = state_values(blocks, dict(spec.get("values") or {}))
            trigger = workspace.issue_trigger(person.id)
            payload = payloads.view_submission(person, view, values, trigger.id)
        result = self._send_interaction(workspace, url, payload)
        with self._sandbox.lock:
            errors = _apply_submission_ack(view, result)
        return result | {"view_id": view.id, "view_closed": view.closed, "errors": errors}

    def close(self, spec: Json, multivac_url: str | None = None) -> Json:
        """Close a modal; Slack only tells the app when the view asked for `notify_on_close`."""
        with self._sandbox.lock:
            workspace = self._sandbox.slack
            person = find_person(workspace, str(spec.get("user") or ""))
            view = _open_view(workspace, person, spec.get("view_id"))
            view.closed = True
            notify = bool(view.view.get("notify_on_close"))
            payload = payloads.view_closed(person, view)
        if not notify:
            return {"sent": False, "view_id": view.id}
        url = multivac_target(self._sandbox, multivac_url, "/slack/interactions")
        return self._send_interaction(workspace, url, payload) | {"sent": True, "view_id": view.id}

    def _send_interaction(self, workspace: SlackWorkspace, url: str, payload: Json) -> Json:
        body = urlencode({"payload": json.dumps(payload)})
        delivery = deliver("interaction", url, body, FORM, payload, timeout=self._timeout)
        with self._sandbox.lock:
            workspace.deliveries.append(delivery)
        return outcome(delivery)

    # --- events --------------------------------------------------------------------------------

    def event(self, spec: Json, multivac_url: str | None = None) -> Json:
        """Do what `spec` describes as a person (react, pin, post, join) and send the event.

        `{"event_id", "retry": n}` resends a sent event with Slack's retry headers;
        `{"type": "url_verification"}` sends the challenge.
        """
        return self._events.handle(spec, multivac_url)

    # --- response URLs -------------------------------------------------------------------------

    def respond(self, token: str, body: Any) -> tuple[int, Json]:
        """The response URL sink: Multivac posting a reply to a command or action."""
        with self._sandbox.lock:
            return post_to_response_url(self._sandbox.slack, token, body)

    def _response_url(
        self, workspace: SlackWorkspace, user: str, channel: str, message_ts: str | None = None
    ) -> str:
        token = workspace.issue_response_url(user, channel, message_ts)
        return f"{self._sandbox.base_url}{ACTOR_PREFIX}/response/{token}"


def _clickable(channel: Channel, action_id: str, ts: Any) -> Message:
    if ts:
        try:
            return channel.message(str(ts))
        except SlackError:
            raise ActorError(f"no message {ts} in #{channel.name}", 404) from None
    for message in reversed(channel.messages):
        try:
            clicked_action(message.blocks, action_id)
        except ActorError:
            continue
        return message
    raise ActorError(f"no message in #{channel.name} offers action_id {action_id!r}", 404)


def _open_view(workspace: SlackWorkspace, person: User, view_id: Any) -> View:
    mine = [v for v in workspace.views.values() if v.user == person.id and not v.closed]
    if view_id:
        found = next((v for v in mine if v.id == view_id), None)
    else:
        found = mine[-1] if mine else None
    if found is None:
        raise ActorError(f"{person.name} has no open view {view_id or ''}".strip(), 404)
    return found


def _apply_submission_ack(view: View, result: Json) -> Json:
    """Slack's reading of a view_submission ack body; returns field errors, if any."""
    body = result["body"] if isinstance(result["body"], dict) else {}
    if result["status"] != 200:
        return {}
    action = body.get("response_action")
    if action == "errors":
        return dict(body.get("errors") or {})
    if action == "update" and isinstance(body.get("view"), dict):
        view.view = body["view"]
        return {}
    view.closed = True
    return {}


def create_slack_actor_blueprint(sandbox: Sandbox) -> Blueprint:
    """JSON endpoints: POST /command, /interaction, /event and the response URL sink
    POST /response/<token>. Each answers Multivac's status, body and response time."""
    bp = Blueprint("slack_actor", __name__)
    actor = SlackActor(sandbox)

    @bp.post("/command")
    def command() -> Response:
        spec = _spec()
        return _run(
            lambda: actor.command(
                user=str(spec.get("user") or ""),
                text=str(spec.get("text") or ""),
                command=str(spec.get("command") or "/incident"),
                channel=spec.get("channel"),
                multivac_url=spec.get("multivac_url"),
            )
        )

    @bp.post("/interaction")
    def interaction() -> Response:
        spec = _spec()
        return _run(lambda: actor.interaction(spec, spec.get("multivac_url")))

    @bp.post("/event")
    def event() -> Response:
        spec = _spec()
        return _run(lambda: actor.event(spec, spec.get("multivac_url")))

    @bp.post("/response/<token>")
    def response_url(token: str) -> Response:
        status, answer = actor.respond(token, request.get_json(silent=True))
        return _json(answer, status)

    return bp


def _spec() -> Json:
    given = request.get_json(silent=True)
    return given if isinstance(given, dict) else {}


def _run(call: Callable[[], Json]) -> Response:
    try:
        return _json(call(), 200)
    except ActorError as error:
        return _json({"error": error.message}, error.status)


def _json(body: Json, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response
