"""The Slack Web API subset, served at `/slack/api/<method>` for a `slack_sdk.WebClient`.

Like real Slack, failures are HTTP 200 with `{"ok": false, "error": code}`; only rate limits
(429 with `Retry-After`) and injected server faults use other statuses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, jsonify, request

from multivac.sandbox import credentials
from multivac.sandbox.gate import Refusal, admit
from multivac.sandbox.slack import conversations, directory, messages, views
from multivac.sandbox.slack.args import Args
from multivac.sandbox.slack.state import Json, SlackError, SlackWorkspace
from multivac.sandbox.slack.tiers import TIERS, post_message_limit
from multivac.sandbox.traffic import Limit

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox

Handler = Callable[[SlackWorkspace, Args], Json]

METHODS: dict[str, Handler] = {
    "auth.test": directory.auth_test,
    "conversations.create": conversations.create,
    "conversations.invite": conversations.invite,
    "conversations.setTopic": conversations.set_topic,
    "conversations.setPurpose": conversations.set_purpose,
    "conversations.archive": conversations.archive,
    "conversations.unarchive": conversations.unarchive,
    "conversations.info": conversations.info,
    "conversations.members": conversations.members,
    "conversations.list": conversations.list_channels,
    "conversations.history": conversations.history,
    "chat.postMessage": messages.post_message,
    "chat.update": messages.update,
    "chat.postEphemeral": messages.post_ephemeral,
    "reactions.add": messages.reactions_add,
    "reactions.remove": messages.reactions_remove,
    "pins.add": messages.pins_add,
    "bookmarks.add": messages.bookmarks_add,
    "bookmarks.list": messages.bookmarks_list,
    "users.info": directory.users_info,
    "users.lookupByEmail": directory.users_lookup_by_email,
    "usergroups.users.list": directory.usergroup_users,
    "views.open": views.open_view,
    "views.update": views.update_view,
}


def create_slack_blueprint(sandbox: Sandbox) -> Blueprint:
    bp = Blueprint("slack", __name__)

    @bp.route("/<method>", methods=["GET", "POST"])
    def call(method: str) -> Response:
        g.operation = method
        handler = METHODS.get(method)
        if handler is None:
            return _failure("unknown_method")
        args = _request_args()
        token = _token(args)
        if token != credentials.SLACK_BOT_TOKEN:
            return _failure("invalid_auth" if token else "not_authed")
        limit, key = _rate_limit(sandbox, method, token, args)
        refusal = admit(sandbox, "slack", method, limit=limit, limit_key=key)
        if refusal is not None:
            return _refused(refusal)
        with sandbox.lock:
            try:
                body = handler(sandbox.slack, args)
            except SlackError as error:
                return _failure(error.code, error.status)
        return jsonify({"ok": True, **body})

    return bp


def _request_args() -> Args:
    values: dict[str, Any] = {**request.args.to_dict(), **request.form.to_dict()}
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            values.update(body)
    return Args(values)


def _token(args: Args) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return args.text("token")


def _rate_limit(
    sandbox: Sandbox, method: str, token: str, args: Args
) -> tuple[Limit, tuple[str, ...]]:
    if method == "chat.postMessage":
        return post_message_limit(sandbox.options.post_message_burst), (token, args.text("channel"))
    return TIERS[method], (token,)


def _failure(code: str, status: int = 200) -> Response:
    g.detail = code
    response = jsonify({"ok": False, "error": code})
    response.status_code = status
    return response


def _refused(refusal: Refusal) -> Response:
    if refusal.status == 429:
        response = _failure("ratelimited", 429)
        response.headers["Retry-After"] = str(refusal.retry_after or 1)
        return response
    return _failure("fatal_error" if refusal.status >= 500 else "request_error", refusal.status)
