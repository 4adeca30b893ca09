"""`POST /slack/commands`, `/slack/interactions` and `/slack/events`: Slack's requests, verified and
handed to the workers inside Slack's 3 s.

Every request is size-checked and signature-checked before anything reads it (`_verify`, this
blueprint's one piece of middleware). Handlers then parse, record (events only), enqueue and answer;
nothing here calls Slack, PagerDuty or Jira, so the ack never waits on a vendor. A user's mistake is
answered 200 with an ephemeral message, because Slack shows any other status as a failure.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from kombu.exceptions import KombuError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from multivac.incidents import declare_modal
from multivac.incidents.slack_commands import (
    HELP_TEXT,
    IN_CHANNEL,
    CommandError,
    Declare,
    Help,
    Invocation,
    parse,
)
from multivac.queueing import (
    HANDLE_BLOCK_ACTION,
    HANDLE_SLASH_COMMAND,
    HANDLE_VIEW_SUBMISSION,
    PROCESS_SLACK_EVENT,
    TaskQueue,
)
from multivac.runtime import Runtime
from multivac.store.database import transaction
from multivac.store.deliveries import record_delivery
from multivac.store.incidents import incident_by_channel
from multivac.store.models import DeliverySource
from multivac.web.body import read_body
from multivac.web.signatures import slack_request_valid

NOT_AN_INCIDENT_CHANNEL = (
    "This command works in an incident channel. Try `/incident list` to find one."
)
ACCEPTED = "On it…"
BUSY = "Multivac can't take commands right now. Please try again in a minute."

blueprint = Blueprint("slack", __name__)


@blueprint.before_request
def _verify() -> ResponseReturnValue | None:
    """Runs before every handler here: nothing is parsed, recorded or enqueued unless it passes."""
    settings = _runtime().settings
    limit = settings.web.max_body_bytes
    body = read_body(limit)
    if body is None:
        return _error(413, "body too large", f"body over {limit} bytes")
    secret = settings.slack.signing_secret.get_secret_value()
    if not slack_request_valid(body, dict(request.headers.items()), secret):
        message = "X-Slack-Signature / X-Slack-Request-Timestamp missing, wrong or over 5 min old"
        return _error(401, "invalid signature", message)
    return None


@blueprint.post("/slack/commands")
def command() -> ResponseReturnValue:
    if request.form.get("ssl_check") == "1":
        return "", 200
    invocation = _invocation()
    try:
        parsed = parse(invocation.text)
    except CommandError as error:
        return _ephemeral(str(error))
    if isinstance(parsed, Help):
        return _ephemeral(HELP_TEXT)
    if isinstance(parsed, IN_CHANNEL) and not _is_incident_channel(invocation.channel_id):
        return _ephemeral(NOT_AN_INCIDENT_CHANNEL)
    if not _enqueue(HANDLE_SLASH_COMMAND, asdict(invocation)):
        return _ephemeral(BUSY)
    # Declare: the worker opens the modal with the trigger id; an empty ack shows nothing.
    return ("", 200) if isinstance(parsed, Declare) else _ephemeral(ACCEPTED)


@blueprint.post("/slack/interactions")
def interaction() -> ResponseReturnValue:
    payload = _interaction_payload(request.form.get("payload"))
    if isinstance(payload, str):
        return _error(400, "malformed payload", payload)
    kind = payload["type"]
    if kind == "block_actions":
        _enqueue(HANDLE_BLOCK_ACTION, payload)
    elif kind == "view_submission":
        return _view_submission(payload)
    return "", 200  # view_closed, shortcuts: nothing to do


@blueprint.post("/slack/events")
def event() -> ResponseReturnValue:
    envelope = _envelope()
    if isinstance(envelope, str):
        return _error(400, "malformed event", envelope)
    kind = envelope.get("type")
    if kind == "url_verification":
        return jsonify(challenge=envelope.get("challenge")), 200
    if kind != "event_callback":
        return jsonify(status="ignored", type=kind), 200
    inner, event_id = envelope.get("event"), envelope.get("event_id")
    if not isinstance(inner, dict) or not isinstance(event_id, str) or not event_id:
        return _error(400, "malformed event", "an event_callback needs 'event_id' and 'event'")
    delivery_id = _record_event(envelope, inner, event_id)
    if delivery_id is None:
        return jsonify(status="duplicate"), 200
    _enqueue(PROCESS_SLACK_EVENT, delivery_id)
    return jsonify(status="accepted", delivery=delivery_id), 200


@blueprint.errorhandler(SQLAlchemyError)
def _database_unavailable(error: SQLAlchemyError) -> ResponseReturnValue:
    current_app.logger.exception("Slack request not handled: database error", exc_info=error)
    if request.endpoint == "slack.event":
        # Not recorded, not acknowledged: Slack retries an event that gets a 5xx.
        body = jsonify(error="database unavailable", message="event not recorded; retry later")
        return body, 503
    return _ephemeral(BUSY)


# --- commands ----------------------------------------------------------------------------------


def _invocation() -> Invocation:
    form = request.form
    return Invocation(
        user_id=form.get("user_id", ""),
        channel_id=form.get("channel_id", ""),
        text=form.get("text", ""),
        response_url=form.get("response_url", ""),
        trigger_id=form.get("trigger_id", ""),
        team_id=form.get("team_id", ""),
    )


def _is_incident_channel(channel_id: str) -> bool:
    """A database read: the channel belongs to an incident (open or not)."""
    with _runtime().sessions() as session:
        return bool(channel_id) and incident_by_channel(session, channel_id) is not None


# --- interactions ------------------------------------------------------------------------------


def _interaction_payload(raw: str | None) -> dict[str, Any] | str:
    """The decoded `payload` form field, or what is wrong with it."""
    if raw is None:
        return "no 'payload' form field"
    try:
        payload = json.loads(raw)
    except ValueError:
        return "the 'payload' form field is not JSON"
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return "the 'payload' form field is not an object with a 'type'"
    return payload


def _view_submission(payload: dict[str, Any]) -> ResponseReturnValue:
    """Field errors go back in the ack (the only place Slack accepts them); an empty 200 closes
    the modal once the work is queued."""
    view = payload.get("view")
    callback_id = view.get("callback_id") if isinstance(view, dict) else None
    if callback_id == declare_modal.CALLBACK_ID:
        parsed = declare_modal.parse_submission(payload)
        if isinstance(parsed, dict):
            return _field_errors(parsed)
        if not _enqueue(HANDLE_VIEW_SUBMISSION, payload):
            return _field_errors({declare_modal.TITLE_BLOCK: BUSY})
        return "", 200
    _enqueue(HANDLE_VIEW_SUBMISSION, payload)
    return "", 200


def _field_errors(errors: dict[str, str]) -> ResponseReturnValue:
    return jsonify(response_action="errors", errors=errors), 200


# --- events ------------------------------------------------------------------------------------


def _envelope() -> dict[str, Any] | str:
    """The JSON body as an object, or what is wrong with it."""
    try:
        envelope = json.loads(request.get_data(cache=True))
    except ValueError:
        return "the body is not JSON"
    return envelope if isinstance(envelope, dict) else "the body is not a JSON object"


def _record_event(envelope: dict[str, Any], inner: dict[str, Any], event_id: str) -> int | None:
    """The new delivery's id, or None when this event_id was already recorded (a retry, with
    `X-Slack-Retry-Num`). Commits before returning, so the event exists before Slack hears 200."""
    with transaction(_runtime().sessions) as session:
        delivery = record_delivery(
            session,
            source=DeliverySource.SLACK,
            dedup_key=event_id,
            event_id=event_id,
            event_type=str(inner.get("type") or ""),
            resource_id=_channel_of(inner),
            occurred_at=_event_time(envelope.get("event_time")),
            payload=envelope,
        )
        return None if delivery is None else delivery.id


def _channel_of(inner: dict[str, Any]) -> str | None:
    """The channel an event happened in: `item.channel` (reactions, pins) or `channel`."""
    item = inner.get("item")
    candidates = [item.get("channel") if isinstance(item, dict) else None]
    candidates += [inner.get("channel"), inner.get("channel_id")]
    return next((c for c in candidates if isinstance(c, str) and c), None)


def _event_time(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --- shared ------------------------------------------------------------------------------------


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["multivac"]
    return runtime


def _enqueue(task_name: str, argument: object) -> bool:
    """Send one task; False (logged) when the broker is unreachable."""
    queue: TaskQueue = current_app.extensions["multivac.queue"]
    try:
        queue.send(task_name, argument)
    except (KombuError, RedisError, OSError) as error:
        current_app.logger.warning("Slack request not enqueued for %s (%s)", task_name, error)
        return False
    return True


def _ephemeral(text: str) -> tuple[Response, int]:
    return jsonify(response_type="ephemeral", text=text), 200


def _error(status: int, error: str, message: str) -> tuple[Response, int]:
    return jsonify(error=error, message=message), status
