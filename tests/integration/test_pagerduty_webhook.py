"""PagerDuty's webhooks reach Multivac: each signed incident event is recorded once and handed to
the workers once, whatever PagerDuty redelivers; anything unsigned, malformed or oversized is
refused without a trace in the database or the queue.

Every test runs on SQLite and on PostgreSQL, with the real task queue on its own Redis database.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
import requests
from flask import Flask
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from multivac.app import create_app
from multivac.queueing import PROCESS_PAGERDUTY_DELIVERY, TaskQueue
from multivac.runtime import Runtime
from multivac.sandbox import credentials
from multivac.sandbox.pagerduty.webhooks import envelope, signature_header, ulid_like
from multivac.sandbox.server import SandboxOptions, start_sandbox
from multivac.settings import Settings
from multivac.store.models import Delivery, DeliverySource, DeliveryStatus
from tests.integration.concurrency import run_concurrently
from tests.integration.queue_helpers import empty_broker, enqueued
from tests.support import sandbox_settings, serving

pytestmark = pytest.mark.integration

QUEUE_REDIS_URL = "redis://127.0.0.1:6379/12"
UNUSED_REDIS_URL = "redis://127.0.0.1:1/0"
SECRET = credentials.PAGERDUTY_WEBHOOK_SECRET


# -- payloads ---------------------------------------------------------------------------------


def incident_data(incident_id: str) -> dict[str, Any]:
    """`event.data` of an incident event, as PagerDuty sends it (trimmed to what matters)."""
    return {
        "id": incident_id,
        "type": "incident",
        "self": f"https://api.pagerduty.com/incidents/{incident_id}",
        "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
        "number": 42,
        "status": "triggered",
        "title": "Bank feeds are not importing",
        "urgency": "high",
        "service": {"id": "PF9KMXH", "summary": "Bank Feeds", "type": "service_reference"},
        "priority": {"id": "PSO75BM", "summary": "P1", "type": "priority_reference"},
        "assignees": [{"id": "PTUXL6G", "summary": "Ada", "type": "user_reference"}],
    }


def trigger_body(incident_id: str = "PGR0VU2") -> bytes:
    return envelope(
        "incident.triggered", datetime.now(UTC), None, {"name": "PagerDuty"},
        incident_data(incident_id),
    )  # fmt: skip


def event_id_of(body: bytes) -> str:
    return str(json.loads(body)["event"]["id"])


# -- Multivac under test --------------------------------------------------------------------


@dataclass
class Multivac:
    """The real web app on a migrated database, sending to a real Redis."""

    app: Flask
    settings: Settings
    sessions: sessionmaker[Session]
    broker: redis.Redis

    def post(
        self,
        body: bytes,
        *,
        secrets: list[str] | None = None,
        webhook_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        """POST as PagerDuty would: signed with `secrets` (ours by default), a fresh webhook id."""
        sent = {
            "Content-Type": "application/json",
            "X-Webhook-Id": webhook_id or ulid_like(),
            "X-PagerDuty-Signature": signature_header(body, secrets or [SECRET]),
            **(headers or {}),
        }
        sent = {name: value for name, value in sent.items() if value}
        return self.app.test_client().post("/webhooks/pagerduty", data=body, headers=sent)

    def deliveries(self) -> list[Delivery]:
        with self.sessions() as session:
            return list(session.scalars(select(Delivery).order_by(Delivery.id)))

    def enqueued(self) -> list[tuple[str, list[Any]]]:
        return enqueued(self.broker)


@dataclass
class Factory:
    database_url: str
    sessions: sessionmaker[Session]
    broker: redis.Redis
    _opened: list[Callable[[], None]] = field(default_factory=list)

    def __call__(
        self,
        *,
        secrets: list[str] | None = None,
        redis_url: str = QUEUE_REDIS_URL,
        database_url: str | None = None,
        max_body_bytes: int | None = None,
    ) -> Multivac:
        settings = configured(
            database_url or self.database_url, redis_url, secrets or [SECRET], max_body_bytes
        )
        runtime, queue = Runtime(settings), TaskQueue(settings)
        self._opened += [runtime.close, queue.close]
        return Multivac(create_app(settings, runtime, queue), settings, self.sessions, self.broker)

    def close(self) -> None:
        for close in self._opened:
            close()


def configured(
    database_url: str, redis_url: str, secrets: list[str], max_body_bytes: int | None
) -> Settings:
    settings = sandbox_settings(None, database_url, redis_url)
    pagerduty = settings.pagerduty.model_copy(
        update={"webhook_secrets": [SecretStr(s) for s in secrets]}
    )
    web = settings.web.model_copy(
        update={"max_body_bytes": max_body_bytes or settings.web.max_body_bytes}
    )
    return settings.model_copy(update={"pagerduty": pagerduty, "web": web})


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    with empty_broker(QUEUE_REDIS_URL) as client:
        yield client


@pytest.fixture
def make_multivac(
    migrated_engine: Engine, session_factory: sessionmaker[Session], broker: redis.Redis
) -> Iterator[Factory]:
    factory = Factory(
        migrated_engine.url.render_as_string(hide_password=False), session_factory, broker
    )
    yield factory
    factory.close()


@pytest.fixture
def multivac(make_multivac: Factory) -> Multivac:
    return make_multivac()


def assert_nothing_recorded_or_enqueued(multivac: Multivac) -> None:
    assert multivac.deliveries() == []
    assert multivac.enqueued() == []


# -- accepted once ----------------------------------------------------------------------------


def test_a_signed_trigger_is_recorded_and_handed_to_the_workers(multivac: Multivac) -> None:
    body = trigger_body("PINC001")
    response = multivac.post(body, webhook_id="WEBHOOK-1")

    assert response.status_code == 202
    [delivery] = multivac.deliveries()
    assert response.json == {"status": "accepted", "delivery": delivery.id}
    assert delivery.source == DeliverySource.PAGERDUTY
    assert delivery.dedup_key == "WEBHOOK-1"
    assert delivery.event_id == event_id_of(body)
    assert delivery.event_type == "incident.triggered"
    assert delivery.resource_id == "PINC001"
    assert delivery.occurred_at is not None
    assert delivery.status == DeliveryStatus.RECEIVED
    assert delivery.payload == json.loads(body)
    assert multivac.enqueued() == [(PROCESS_PAGERDUTY_DELIVERY, [delivery.id])]


def test_without_a_webhook_id_the_event_id_is_the_dedup_key(multivac: Multivac) -> None:
    body = trigger_body()
    response = multivac.post(body, headers={"X-Webhook-Id": ""})

    assert response.status_code == 202
    [delivery] = multivac.deliveries()
    assert delivery.dedup_key == event_id_of(body)


def test_five_simultaneous_attempts_of_one_delivery_give_one_row_and_one_task(
    multivac: Multivac,
) -> None:
    body = trigger_body()
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Id": "WEBHOOK-RACE",
        "X-PagerDuty-Signature": signature_header(body, [SECRET]),
    }
    with serving(multivac.app) as url:
        responses = run_concurrently(
            5,
            lambda _: requests.post(
                f"{url}/webhooks/pagerduty", data=body, headers=headers, timeout=10
            ),
        )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 200, 200, 200, 202]
    duplicates = [r.json() for r in responses if r.status_code == 200]
    assert duplicates == [{"status": "duplicate"}] * 4
    [delivery] = multivac.deliveries()
    assert multivac.enqueued() == [(PROCESS_PAGERDUTY_DELIVERY, [delivery.id])]


def test_a_redelivery_with_the_same_webhook_id_is_a_duplicate(multivac: Multivac) -> None:
    body = trigger_body()
    assert multivac.post(body, webhook_id="WEBHOOK-1").status_code == 202

    again = multivac.post(body, webhook_id="WEBHOOK-1")

    assert again.status_code == 200
    assert again.json == {"status": "duplicate"}
    assert len(multivac.deliveries()) == 1
    assert len(multivac.enqueued()) == 1


def test_the_same_event_under_another_webhook_id_is_a_duplicate(multivac: Multivac) -> None:
    body = trigger_body()
    assert multivac.post(body, webhook_id="WEBHOOK-1").status_code == 202

    again = multivac.post(body, webhook_id="WEBHOOK-2")

    assert again.status_code == 200
    assert again.json == {"status": "duplicate"}
    [delivery] = multivac.deliveries()
    assert delivery.dedup_key == "WEBHOOK-1"
    assert len(multivac.enqueued()) == 1


def test_during_a_secret_rotation_either_secret_is_accepted(make_multivac: Factory) -> None:
    multivac = make_multivac(secrets=["old-secret", "new-secret"])
    signers = [["old-secret"], ["new-secret"], ["old-secret", "new-secret"], ["gone", "new-secret"]]

    statuses = [multivac.post(trigger_body(), secrets=signer).status_code for signer in signers]

    assert statuses == [202, 202, 202, 202]
    assert len(multivac.deliveries()) == 4
    assert len(multivac.enqueued()) == 4


# -- refused, leaving no trace ----------------------------------------------------------------


def test_a_body_signed_with_another_secret_is_refused(multivac: Multivac) -> None:
    response = multivac.post(trigger_body(), secrets=["not-our-secret"])

    assert response.status_code == 401
    assert response.json is not None
    assert response.json["error"] == "invalid signature"
    assert "X-PagerDuty-Signature" in response.json["message"]
    assert_nothing_recorded_or_enqueued(multivac)


def test_a_body_changed_after_signing_is_refused(multivac: Multivac) -> None:
    body = trigger_body()
    tampered = body.replace(b"Bank feeds are not importing", b"<!channel> all is well")
    signature = signature_header(body, [SECRET])

    response = multivac.post(tampered, headers={"X-PagerDuty-Signature": signature})

    assert response.status_code == 401
    assert_nothing_recorded_or_enqueued(multivac)


def test_an_unsigned_delivery_is_refused(multivac: Multivac) -> None:
    response = multivac.post(trigger_body(), headers={"X-PagerDuty-Signature": ""})

    assert response.status_code == 401
    assert response.json is not None
    assert response.json["error"] == "invalid signature"
    assert_nothing_recorded_or_enqueued(multivac)


def test_an_unsigned_body_is_not_even_parsed(multivac: Multivac) -> None:
    response = multivac.post(b"{not json", headers={"X-PagerDuty-Signature": "v1=00"})

    assert response.status_code == 401  # not 400: nothing is read before the signature holds
    assert_nothing_recorded_or_enqueued(multivac)


def _without_event_id(body: bytes) -> bytes:
    document = json.loads(body)
    del document["event"]["id"]
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("body", "explanation"),
    [
        (b"{not json", "not JSON"),
        (b'{"hello": "world"}', "'event' object"),
        (b'["event"]', "'event' object"),
        (_without_event_id(trigger_body()), "event.id"),
    ],
    ids=["not-json", "not-an-envelope", "not-an-object", "no-event-id"],
)
def test_a_signed_but_malformed_body_is_a_400_saying_what_is_wrong(
    multivac: Multivac, body: bytes, explanation: str
) -> None:
    response = multivac.post(body)

    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "malformed event"
    assert explanation in response.json["message"]
    assert_nothing_recorded_or_enqueued(multivac)


LIMIT = 2048


def body_of_size(size: int) -> bytes:
    """A trigger envelope padded to exactly `size` bytes."""
    head = trigger_body()[:-2] + b', "padding": "'
    body = head + b"x" * (size - len(head) - 3) + b'"}}'
    assert len(body) == size
    return body


def post_chunked(multivac: Multivac, body: bytes) -> tuple[int, Any]:
    """POST `body` over real HTTP in chunks, without Content-Length, as a proxy might."""
    headers = {"X-PagerDuty-Signature": signature_header(body, [SECRET])}
    chunks = (body[i : i + 512] for i in range(0, len(body), 512))
    with serving(multivac.app) as url:
        response = requests.post(
            f"{url}/webhooks/pagerduty", data=chunks, headers=headers, timeout=10
        )
    return response.status_code, response.json()


def post_sized(multivac: Multivac, body: bytes) -> tuple[int, Any]:
    response = multivac.post(body)
    return response.status_code, response.json


@pytest.mark.parametrize("send", [post_sized, post_chunked], ids=["content-length", "chunked"])
def test_a_body_over_the_size_limit_is_a_413_naming_the_limit(
    make_multivac: Factory, send: Callable[[Multivac, bytes], tuple[int, Any]]
) -> None:
    multivac = make_multivac(max_body_bytes=LIMIT)

    status, answer = send(multivac, body_of_size(LIMIT + 1))

    assert status == 413
    assert answer["message"] == f"body over {LIMIT} bytes"
    assert_nothing_recorded_or_enqueued(multivac)


@pytest.mark.parametrize("send", [post_sized, post_chunked], ids=["content-length", "chunked"])
def test_a_body_of_exactly_the_size_limit_is_accepted(
    make_multivac: Factory, send: Callable[[Multivac, bytes], tuple[int, Any]]
) -> None:
    multivac = make_multivac(max_body_bytes=LIMIT)

    status, answer = send(multivac, body_of_size(LIMIT))

    assert status == 202
    assert answer["status"] == "accepted"
    assert len(multivac.deliveries()) == 1


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("pagey.ping", {"message": "Hello from your friend Pagey!", "type": "ping"}),
        ("service.updated", {"id": "PF9KMXH", "type": "service", "name": "Bank Feeds"}),
    ],
)
def test_events_that_are_not_about_an_incident_are_acknowledged_and_ignored(
    multivac: Multivac, event_type: str, data: dict[str, Any]
) -> None:
    body = envelope(event_type, datetime.now(UTC), None, None, data)

    response = multivac.post(body)

    assert response.status_code == 200
    assert response.json == {"status": "ignored", "event_type": event_type}
    assert_nothing_recorded_or_enqueued(multivac)


# -- outages ----------------------------------------------------------------------------------


def test_with_redis_down_the_delivery_is_still_recorded_and_acknowledged(
    make_multivac: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    multivac = make_multivac(redis_url=UNUSED_REDIS_URL)

    with caplog.at_level(logging.WARNING):
        response = multivac.post(trigger_body())

    assert response.status_code == 202
    [delivery] = multivac.deliveries()
    assert delivery.status == DeliveryStatus.RECEIVED  # the reconciler re-drives it
    assert any("reconciler" in record.getMessage() for record in caplog.records)
    assert multivac.enqueued() == []


def test_with_the_database_down_pagerduty_is_told_to_retry(
    make_multivac: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    multivac = make_multivac(database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")

    with caplog.at_level(logging.CRITICAL):  # the logged traceback is expected here
        response = multivac.post(trigger_body())

    assert response.status_code == 503  # PagerDuty retries 5xx, so nothing is lost
    assert response.json is not None
    assert response.json["error"] == "database unavailable"
    assert b"Traceback" not in response.data
    assert multivac.enqueued() == []


# -- end to end, with the sandbox as PagerDuty -----------------------------------------------


def test_an_incident_triggered_in_pagerduty_reaches_multivac_once(multivac: Multivac) -> None:
    with serving(multivac.app) as url:
        pagerduty = start_sandbox(SandboxOptions(multivac_url=url))
        try:
            triggered = requests.post(
                f"{pagerduty.url}/_sandbox/pagerduty/trigger",
                json={"service": "Bank Feeds", "title": "Bank feeds are failing", "priority": "P1"},
                timeout=10,
            )
            assert triggered.status_code == 201
            incident_id = triggered.json()["incident"]["id"]
            assert pagerduty.sandbox.pagerduty.wait_idle(timeout=20)
            sent = requests.get(f"{pagerduty.url}/_sandbox/pagerduty/deliveries", timeout=10)
        finally:
            pagerduty.stop()

    [webhook] = [d for d in sent.json()["deliveries"] if d["resource_id"] == incident_id]
    assert webhook["event_type"] == "incident.triggered"
    assert webhook["state"] == "delivered"
    assert [attempt["status"] for attempt in webhook["attempts"]] == [202]
    [delivery] = [d for d in multivac.deliveries() if d.resource_id == incident_id]
    assert delivery.dedup_key == webhook["id"]
    assert delivery.event_type == "incident.triggered"
    assert multivac.enqueued() == [(PROCESS_PAGERDUTY_DELIVERY, [delivery.id])]
