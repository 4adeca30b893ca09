"""Sending one signed request to Multivac and recording how it answered."""

from __future__ import annotations

import time
from typing import Any

import requests

from multivac.sandbox.slack.signing import signed_headers
from multivac.sandbox.slack.state import Delivery, Json

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ACK_DEADLINE_MS = 3000.0  # Slack shows the user an error when the app has not answered by then


def deliver(
    kind: str,
    url: str,
    body: str,
    content_type: str,
    sent: Json,
    *,
    timeout: float,
    headers: dict[str, str] | None = None,
) -> Delivery:
    """POST `body` signed like Slack; connection failures become a delivery with `error` set.

    Never call this while holding `sandbox.lock`: Multivac may call the sandbox back before it
    answers.
    """
    all_headers = signed_headers(body, content_type) | (headers or {})
    started = time.perf_counter()
    try:
        response = requests.post(url, data=body.encode(), headers=all_headers, timeout=timeout)
    except requests.RequestException as error:
        elapsed = (time.perf_counter() - started) * 1000
        return Delivery(kind, url, sent, None, None, round(elapsed, 1), type(error).__name__)
    elapsed = (time.perf_counter() - started) * 1000
    return Delivery(kind, url, sent, response.status_code, _body(response), round(elapsed, 1))


def _body(response: requests.Response) -> Any:
    if not response.content:
        return None
    if response.headers.get("Content-Type", "").startswith(JSON):
        try:
            return response.json()
        except ValueError:
            return response.text
    return response.text


def acknowledged(delivery: Delivery) -> bool:
    """Whether Slack would count this as a timely acknowledgement."""
    return delivery.status == 200 and delivery.elapsed_ms <= ACK_DEADLINE_MS


def outcome(delivery: Delivery) -> Json:
    """What the actor reports back to its caller."""
    return {
        "status": delivery.status,
        "body": delivery.body,
        "elapsed_ms": delivery.elapsed_ms,
        "acknowledged": acknowledged(delivery),
        "error": delivery.error,
        "sent": delivery.sent,
    }
