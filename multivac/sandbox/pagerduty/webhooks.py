"""Webhooks v3 delivery like PagerDuty: signed, at-least-once, in order per incident.

Each delivery goes to a lane keyed by (subscription id, resource id). A lane is a FIFO served by its
own short-lived daemon thread: a later event for the same incident waits while an earlier one is
retried, other incidents are not held up, and a lane's thread exits as soon as its queue is empty,
so an idle dispatcher owns no threads. Request threads only enqueue.

Retried: timeouts, connection errors, 5xx and 429, with exponential backoff divided by the sandbox's
time scale. Dropped at once: any other 4xx. After `disable_after_drops` consecutive dropped
deliveries the subscription is disabled (PagerDuty disables it for 24 h; here until re-enabled).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

USER_AGENT = "PagerDuty-Webhook/V3.0"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid_like() -> str:
    """A 26-character, time-ordered identifier like PagerDuty's event ids (`01DEN4HPBQ...`)."""
    millis = int(time.time() * 1000)
    head = "".join(CROCKFORD[(millis >> shift) & 31] for shift in range(45, -5, -5))
    return head + "".join(secrets.choice(CROCKFORD) for _ in range(16))


def signature_header(body: bytes, secret_list: list[str]) -> str:
    """`v1=<hex HMAC-SHA256 of the raw body>` per secret, comma-separated (rotation has several)."""
    return ",".join(
        "v1=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secret_list
    )


def envelope(
    event_type: str,
    occurred_at: datetime,
    agent: dict[str, Any] | None,
    client: dict[str, Any] | None,
    data: dict[str, Any],
) -> bytes:
    """The raw body of one v3 webhook: exactly one event, serialised once and signed as is."""
    event = {
        "id": ulid_like(),
        "event_type": event_type,
        "resource_type": event_type.split(".", 1)[0],
        "occurred_at": occurred_at.astimezone(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "agent": agent,
        "client": client,
        "data": data,
    }
    return json.dumps({"event": event}).encode()


@dataclass(frozen=True)
class DeliveryPolicy:
    """Seconds are sandbox seconds: backoffs are divided by the time scale; the timeout is not."""

    max_attempts: int = 5
    backoff_seconds: float = 3.0
    max_backoff_seconds: float = 600.0
    timeout_seconds: float = 5.0
    disable_after_drops: int = 3


@dataclass
class Subscription:
    id: str
    url: str
    secrets: list[str]
    description: str = ""
    events: tuple[str, ...] = ()  # empty: every event type
    filter_type: str = "account_reference"
    filter_id: str | None = None
    custom_headers: dict[str, str] = field(default_factory=dict)
    active: bool = True
    consecutive_drops: int = 0

    def wants(self, event_type: str, service_id: str | None, team_id: str | None) -> bool:
        if not self.active or (
            self.events and event_type not in self.events and event_type != "pagey.ping"
        ):
            return False
        if self.filter_type == "service_reference":
            return service_id == self.filter_id
        if self.filter_type == "team_reference":
            return team_id == self.filter_id
        return True

    def as_json(self, reveal_secret: bool = False) -> dict[str, Any]:
        """PagerDuty's shape; the secret is only ever revealed in the create response."""
        return {
            "id": self.id,
            "type": "webhook_subscription",
            "active": self.active,
            "description": self.description,
            "events": list(self.events),
            "filter": {"type": self.filter_type, "id": self.filter_id},
            "delivery_method": {
                "id": self.id,
                "type": "http_delivery_method",
                "url": self.url,
                "secret": self.secrets[0] if reveal_secret and self.secrets else None,
                "temporarily_disabled": not self.active,
                "custom_headers": [{"name": k, "value": "REDACTED"} for k in self.custom_headers],
            },
        }


@dataclass
class Attempt:
    at: str
    status: int | None
    elapsed_ms: float
    error: str | None = None


@dataclass
class Delivery:
    id: str  # X-Webhook-Id: the same on every attempt
    subscription_id: str
    event_type: str
    resource_id: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # overrides, for raw sends
    state: str = "pending"  # pending, delivered, failed (4xx or out of attempts), dropped
    attempts: list[Attempt] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subscription_id": self.subscription_id,
            "event_type": self.event_type,
            "resource_id": self.resource_id,
            "state": self.state,
            "attempts": [asdict(a) for a in self.attempts],
            "body": self.body.decode(),
        }


class Dispatcher:
    """Sends deliveries on background threads; `wait_idle()` for tests, `stop()` when discarded."""

    def __init__(
        self,
        subscriptions: dict[str, Subscription],
        policy: DeliveryPolicy,
        time_scale: Callable[[], float],
    ) -> None:
        self._subscriptions = subscriptions
        self.policy = policy
        self._time_scale = time_scale
        self._cond = threading.Condition()
        self._lanes: dict[tuple[str, str], deque[Delivery]] = {}
        self._threads: set[threading.Thread] = set()
        self._stopped = threading.Event()
        self.deliveries: deque[Delivery] = deque(maxlen=5000)

    def submit(self, delivery: Delivery) -> None:
        """Queue behind earlier deliveries for the same subscription and resource."""
        key = (delivery.subscription_id, delivery.resource_id)
        with self._cond:
            self.deliveries.append(delivery)
            if self._stopped.is_set():
                delivery.state = "dropped"
                return
            lane = self._lanes.get(key)
            if lane is not None:
                lane.append(delivery)
                return
            self._lanes[key] = deque([delivery])
            thread = threading.Thread(
                target=self._serve,
                args=(key,),
                daemon=True,
                name=f"pagerduty-webhook-{delivery.resource_id}",
            )
            self._threads.add(thread)
        thread.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery is delivered or given up; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._lanes, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Abandon queued deliveries (marked dropped) and wait for in-flight attempts to end."""
        self._stopped.set()
        with self._cond:
            threads = list(self._threads)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def snapshot(self) -> list[dict[str, Any]]:
        with self._cond:
            return [d.as_json() for d in self.deliveries]

    def _serve(self, key: tuple[str, str]) -> None:
        try:
            while True:
                with self._cond:
                    lane = self._lanes[key]
                    if not lane:
                        del self._lanes[key]
                        self._cond.notify_all()
                        return
                    delivery = lane[0]
                self._deliver(delivery)
                with self._cond:
                    lane.popleft()
        finally:
            with self._cond:
                self._threads.discard(threading.current_thread())

    def _deliver(self, delivery: Delivery) -> None:
        for attempt in range(1, self.policy.max_attempts + 1):
            subscription = self._subscriptions.get(delivery.subscription_id)
            if self._stopped.is_set() or subscription is None or not subscription.active:
                self._finish(delivery, "dropped", subscription)
                return
            status = self._attempt(delivery, subscription)
            if status is not None and 200 <= status < 300:
                self._finish(delivery, "delivered", subscription)
                return
            retryable = status is None or status >= 500 or status == 429
            if not retryable or attempt == self.policy.max_attempts:
                break
            if self._stopped.wait(self._backoff(attempt)):
                break
        self._finish(delivery, "failed", self._subscriptions.get(delivery.subscription_id))

    def _backoff(self, attempt: int) -> float:
        seconds = min(
            self.policy.backoff_seconds * 2.0 ** (attempt - 1), self.policy.max_backoff_seconds
        )
        scale: float = self._time_scale()
        return seconds / max(scale, 1e-9)

    def _attempt(self, delivery: Delivery, subscription: Subscription) -> int | None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Webhook-Id": delivery.id,
            "X-Webhook-Subscription": subscription.id,
            "X-PagerDuty-Signature": signature_header(delivery.body, subscription.secrets),
            **subscription.custom_headers,
            **delivery.headers,
        }
        started = time.monotonic()
        at = datetime.now(UTC).isoformat()
        status: int | None = None
        error: str | None = None
        try:
            response = requests.post(
                subscription.url,
                data=delivery.body,
                headers=headers,
                timeout=self.policy.timeout_seconds,
            )
            status = response.status_code
        except requests.RequestException as failure:
            error = f"{type(failure).__name__}: {failure}"
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        with self._cond:
            delivery.attempts.append(Attempt(at, status, elapsed_ms, error))
        return status

    def _finish(self, delivery: Delivery, state: str, subscription: Subscription | None) -> None:
        with self._cond:
            delivery.state = state
            if subscription is None or state == "dropped":
                return
            if state == "delivered":
                subscription.consecutive_drops = 0
                return
            subscription.consecutive_drops += 1
            if subscription.consecutive_drops >= self.policy.disable_after_drops:
                subscription.active = False
