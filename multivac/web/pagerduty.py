"""`POST /webhooks/pagerduty`: PagerDuty v3 webhooks, verified, recorded once and enqueued.

The handler only verifies, parses, records, enqueues and answers; workers do the rest. PagerDuty
retries timeouts, 5xx and 429 and drops any other 4xx, so a 4xx here means "never send this again"
and a 5xx means "try later".
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from kombu.exceptions import KombuError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from multivac.incidents.inbox import record_pagerduty_delivery
from multivac.incidents.pagerduty_events import MalformedEvent, PagerDutyEvent, parse_envelope
from multivac.queueing import PROCESS_PAGERDUTY_DELIVERY, TaskQueue
from multivac.runtime import Runtime
from multivac.store.database import transaction
from multivac.web.body import read_body
from multivac.web.signatures import pagerduty_signature_valid

SIGNATURE_HEADER = "X-PagerDuty-Signature"
WEBHOOK_ID_HEADER = "X-Webhook-Id"

blueprint = Blueprint("pagerduty_webhooks", __name__)


@blueprint.post("/webhooks/pagerduty")
def receive() -> ResponseReturnValue:
    runtime: Runtime = current_app.extensions["multivac"]
    limit = runtime.settings.web.max_body_bytes
    body = read_body(limit)
    if body is None:
        return _error(413, "body too large", f"body over {limit} bytes")
    if not _signed_by_pagerduty(runtime, body):
        return _error(401, "invalid signature", f"{SIGNATURE_HEADER} is missing or wrong")
    try:
        event = parse_envelope(body)
    except MalformedEvent as error:
        return _error(400, "malformed event", str(error))
    if not event.is_incident_event:
        return jsonify(status="ignored", event_type=event.event_type), 200
    delivery_id = _record(runtime, event, body)
    if delivery_id is None:
        return jsonify(status="duplicate"), 200
    _enqueue(delivery_id)
    return jsonify(status="accepted", delivery=delivery_id), 202


@blueprint.errorhandler(SQLAlchemyError)
def _database_unavailable(error: SQLAlchemyError) -> ResponseReturnValue:
    # Nothing was acknowledged, so a 5xx makes PagerDuty send the same delivery again later.
    current_app.logger.exception("PagerDuty webhook not recorded", exc_info=error)
    body = jsonify(error="database unavailable", message="delivery not recorded; retry later")
    return body, 503, {"Retry-After": "30"}


def _signed_by_pagerduty(runtime: Runtime, body: bytes) -> bool:
    secrets = [s.get_secret_value() for s in runtime.settings.pagerduty.webhook_secrets]
    return pagerduty_signature_valid(body, request.headers.get(SIGNATURE_HEADER), secrets)


def _record(runtime: Runtime, event: PagerDutyEvent, body: bytes) -> int | None:
    """The new delivery's id, or None when this webhook or event was already recorded. Commits
    before returning, so the delivery exists before PagerDuty hears 2xx."""
    with transaction(runtime.sessions) as session:
        webhook_id = request.headers.get(WEBHOOK_ID_HEADER)
        return record_pagerduty_delivery(session, event, json.loads(body), webhook_id)


def _enqueue(delivery_id: int) -> None:
    queue: TaskQueue = current_app.extensions["multivac.queue"]
    try:
        queue.send(PROCESS_PAGERDUTY_DELIVERY, delivery_id)
    except (KombuError, RedisError, OSError) as error:
        # The delivery is committed: the periodic reconciler re-drives deliveries left `received`,
        # so a broker outage delays this incident but never loses it. Still answer 202, or
        # PagerDuty would redeliver a webhook that is already recorded.
        current_app.logger.warning(
            "PagerDuty delivery %s recorded but not enqueued (%s); the reconciler will re-drive it",
            delivery_id,
            error,
        )


def _error(status: int, error: str, message: str) -> tuple[Response, int]:
    return jsonify(error=error, message=message), status
