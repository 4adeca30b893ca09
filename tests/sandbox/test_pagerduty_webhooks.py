"""The PagerDuty emulator delivers v3 webhooks as PagerDuty does: signed, retried, in order."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from flask import Flask, request
from pdpyras import APISession
from werkzeug.serving import make_server

from multivac.sandbox import credentials, seed
from multivac.sandbox.pagerduty.state import PagerDutyAccount
from multivac.sandbox.server import RunningSandbox

BANK_FEEDS = seed.SERVICES[0]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)["event"]
        return event


@dataclass
class Receiver:
    """A tiny webhook endpoint: records every request, answers scripted statuses, then 202."""

    base_url: str = ""
    url: str = ""
    received: list[Received] = field(default_factory=list)
    script: deque[int] = field(default_factory=deque)

    def events(self) -> list[str]:
        return [r.event["event_type"] for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recorder = Receiver()
    app = Flask("receiver")

    @app.post("/<path:_path>")
    def hook(_path: str) -> tuple[str, int]:
        recorder.received.append(Received(dict(request.headers), request.get_data()))
        return "", recorder.script.popleft() if recorder.script else 202

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    recorder.base_url = f"http://127.0.0.1:{server.server_port}"
    recorder.url = f"{recorder.base_url}/hook"
    yield recorder
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def account(sandbox: RunningSandbox) -> Iterator[PagerDutyAccount]:
    """The sandbox's account, with retry backoffs of a few milliseconds; closed afterwards."""
    sandbox.sandbox.traffic.time_scale = 1000
    yield sandbox.sandbox.pagerduty
    sandbox.sandbox.pagerduty.close()


def _subscribe(session: APISession, url: str) -> dict[str, Any]:
    created: dict[str, Any] = session.rpost(
        "/webhook_subscriptions",
        json={
            "type": "webhook_subscription",
            "delivery_method": {"type": "http_delivery_method", "url": url},
            "filter": {"type": "account_reference"},
        },
    )
    return created


def _page(session: APISession, title: str = "Bank feeds are delayed") -> dict[str, Any]:
    incident: dict[str, Any] = session.rpost(
        "/incidents",
        json={
            "type": "incident",
            "title": title,
            "service": {"id": BANK_FEEDS.pagerduty_id, "type": "service_reference"},
        },
    )
    return incident


def _valid(secret: str, received: Received) -> bool:
    expected = "v1=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    offered = received.headers["X-Pagerduty-Signature"].split(",")
    return any(hmac.compare_digest(expected, v) for v in offered)


def test_a_triggered_incident_arrives_signed_with_pagerdutys_envelope(
    account: PagerDutyAccount, receiver: Receiver, pagerduty_session: APISession
) -> None:
    secret = _subscribe(pagerduty_session, receiver.url)["delivery_method"]["secret"]

    incident = _page(pagerduty_session)
    assert account.wait_idle(5)

    [delivery] = receiver.received
    assert _valid(secret, delivery)
    assert delivery.headers["User-Agent"] == "PagerDuty-Webhook/V3.0"
    assert delivery.headers["X-Webhook-Subscription"]
    event = delivery.event
    assert (event["event_type"], event["resource_type"]) == ("incident.triggered", "incident")
    assert event["agent"]["summary"] == "Multivac"  # the From user of the REST call
    assert event["client"] is None
    data = event["data"]
    assert (data["id"], data["number"], data["type"]) == (incident["id"], 1, "incident")
    assert data["assignees"][0]["id"] == incident["assignments"][0]["assignee"]["id"]
    assert data["service"]["id"] == BANK_FEEDS.pagerduty_id
    assert data["html_url"].startswith("https://tuatara.pagerduty.com/incidents/")


def test_during_secret_rotation_each_webhook_carries_a_signature_per_secret(
    sandbox: RunningSandbox,
    account: PagerDutyAccount,
    receiver: Receiver,
    pagerduty_session: APISession,
) -> None:
    subscription = _subscribe(pagerduty_session, receiver.url)
    old = subscription["delivery_method"]["secret"]
    rotate = f"{sandbox.url}/_sandbox/pagerduty/subscription/secrets"
    requests.post(
        rotate, json={"add": "the-new-secret", "subscription": subscription["id"]}, timeout=5
    ).raise_for_status()

    _page(pagerduty_session)
    requests.post(
        rotate, json={"remove": old, "subscription": subscription["id"]}, timeout=5
    ).raise_for_status()
    _page(pagerduty_session, "Second")
    assert account.wait_idle(5)

    during, after = receiver.received
    assert during.headers["X-Pagerduty-Signature"].count("v1=") == 2
    assert _valid(old, during) and _valid("the-new-secret", during)
    assert after.headers["X-Pagerduty-Signature"].count("v1=") == 1
    assert _valid("the-new-secret", after) and not _valid(old, after)


def test_a_failed_delivery_is_retried_with_the_same_webhook_id(
    sandbox: RunningSandbox,
    account: PagerDutyAccount,
    receiver: Receiver,
    pagerduty_session: APISession,
) -> None:
    _subscribe(pagerduty_session, receiver.url)
    receiver.script.extend([500, 429])

    _page(pagerduty_session)
    assert account.wait_idle(5)

    assert len(receiver.received) == 3
    assert len({r.headers["X-Webhook-Id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    deliveries = requests.get(f"{sandbox.url}/_sandbox/pagerduty/deliveries", timeout=5).json()
    [delivery] = deliveries["deliveries"]
    assert delivery["state"] == "delivered"
    assert delivery["id"] == receiver.received[0].headers["X-Webhook-Id"]
    assert [a["status"] for a in delivery["attempts"]] == [500, 429, 202]


def test_a_client_error_is_not_retried(
    account: PagerDutyAccount, receiver: Receiver, pagerduty_session: APISession
) -> None:
    _subscribe(pagerduty_session, receiver.url)
    receiver.script.append(400)

    _page(pagerduty_session)
    assert account.wait_idle(5)

    assert len(receiver.received) == 1
    [delivery] = account.dispatcher.snapshot()
    assert delivery["state"] == "failed"


def test_later_events_for_an_incident_wait_behind_one_being_retried(
    account: PagerDutyAccount, receiver: Receiver, pagerduty_session: APISession
) -> None:
    _subscribe(pagerduty_session, receiver.url)
    receiver.script.extend([503, 503])
    incident = _page(pagerduty_session)
    path = f"/incidents/{incident['id']}"

    pagerduty_session.rput(path, json={"type": "incident_reference", "status": "acknowledged"})
    pagerduty_session.rput(path, json={"type": "incident_reference", "status": "resolved"})
    assert account.wait_idle(5)

    assert receiver.events() == [
        "incident.triggered",
        "incident.triggered",
        "incident.triggered",
        "incident.acknowledged",
        "incident.resolved",
    ]


def test_a_note_arrives_as_an_annotated_event_about_its_incident(
    account: PagerDutyAccount, receiver: Receiver, pagerduty_session: APISession
) -> None:
    incident = _page(pagerduty_session)
    _subscribe(pagerduty_session, receiver.url)

    pagerduty_session.rpost(f"/incidents/{incident['id']}/notes", json={"content": "Rolling back"})
    assert account.wait_idle(5)

    [annotated] = [r.event for r in receiver.received]
    assert annotated["event_type"] == "incident.annotated"
    assert annotated["data"]["type"] == "incident_note"
    assert annotated["data"]["content"] == "Rolling back"
    assert annotated["data"]["incident"]["id"] == incident["id"]
    assert annotated["data"]["incident"]["type"] == "incident_reference"


def test_people_acting_in_pagerduty_emit_events_from_the_pagerduty_client(
    sandbox: RunningSandbox,
    account: PagerDutyAccount,
    receiver: Receiver,
    pagerduty_session: APISession,
) -> None:
    _subscribe(pagerduty_session, receiver.url)
    actor = f"{sandbox.url}/_sandbox/pagerduty"
    bank_feeds = seed.team_by_slug("bank-feeds")

    triggered = requests.post(
        f"{actor}/trigger",
        json={"service": "Bank Feeds", "title": "Feeds stalled", "priority": "P2"},
        timeout=5,
    )
    incident = triggered.json()["incident"]
    escalated = requests.post(
        f"{actor}/incidents/{incident['id']}/escalate",
        json={"as": seed.INCIDENT_MANAGER},
        timeout=5,
    )
    requests.post(
        f"{actor}/incidents/{incident['id']}/responder",
        json={"to": seed.INCIDENT_MANAGER, "message": "Join us"},
        timeout=5,
    )
    assert account.wait_idle(5)

    assert triggered.status_code == 201
    assert incident["priority"]["name"] == "P2"
    lead, contractor = (seed.person_by_email(e) for e in (bank_feeds.lead, *bank_feeds.secondary))
    assert lead and contractor
    assert [a["assignee"]["id"] for a in escalated.json()["incident"]["assignments"]] == [
        lead.pagerduty_id,
        contractor.pagerduty_id,
    ]
    trigger_event, escalate_event, responder_event = (r.event for r in receiver.received)
    assert trigger_event["client"] == {"name": "PagerDuty"}
    assert trigger_event["agent"] is None  # monitoring, not a person
    assert escalate_event["event_type"] == "incident.escalated"
    assert escalate_event["agent"]["summary"] == "Zoe Anderson"
    assert responder_event["event_type"] == "incident.responder.added"
    assert responder_event["data"]["type"] == "incident_responder"
    assert responder_event["data"]["incident"]["id"] == incident["id"]


def test_a_ping_reaches_the_subscription(
    account: PagerDutyAccount, receiver: Receiver, pagerduty_session: APISession
) -> None:
    subscription = _subscribe(pagerduty_session, receiver.url)

    response = pagerduty_session.post(f"/webhook_subscriptions/{subscription['id']}/ping")
    assert account.wait_idle(5)

    assert response.status_code == 202
    assert receiver.events() == ["pagey.ping"]


def test_with_a_multivac_url_the_sandbox_subscribes_multivac_with_the_shared_secret(
    sandbox: RunningSandbox,
    account: PagerDutyAccount,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox.sandbox, "multivac_url", receiver.base_url)

    requests.post(
        f"{sandbox.url}/_sandbox/pagerduty/trigger",
        json={"service": "Payments Gateway", "title": "Card payments failing"},
        timeout=5,
    ).raise_for_status()
    assert account.wait_idle(5)

    [delivery] = receiver.received
    assert delivery.headers["X-Webhook-Subscription"] == next(iter(account.subscriptions))
    assert _valid(credentials.PAGERDUTY_WEBHOOK_SECRET, delivery)
    assert delivery.event["data"]["title"] == "Card payments failing"


def test_the_snapshot_shows_incidents_and_deliveries_but_never_secrets(
    account: PagerDutyAccount, receiver: Receiver, pagerduty_session: APISession
) -> None:
    secret = _subscribe(pagerduty_session, receiver.url)["delivery_method"]["secret"]
    incident = _page(pagerduty_session)
    pagerduty_session.rpost(f"/incidents/{incident['id']}/notes", json={"content": "Looking"})
    assert account.wait_idle(5)

    snapshot = json.dumps(account.snapshot())

    state = json.loads(snapshot)
    [shown] = state["incidents"]
    assert [n["content"] for n in shown["notes"]] == ["Looking"]
    assert [e["type"] for e in shown["log"]] == ["trigger_log_entry", "annotate_log_entry"]
    assert [d["event_type"] for d in state["deliveries"]] == [
        "incident.triggered",
        "incident.annotated",
    ]
    assert secret not in snapshot
