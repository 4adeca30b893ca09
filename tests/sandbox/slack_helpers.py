"""Test helpers for the Slack emulator: a stand-in Multivac that records what Slack sent it, the one
signature check, and reading Slack error codes off the real WebClient."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from flask import Flask, Response, request
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from werkzeug.serving import make_server

from multivac.sandbox import credentials, seed
from multivac.sandbox.server import RunningSandbox


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    form: dict[str, str]

    @property
    def payload(self) -> dict[str, Any]:
        """An interaction's `payload` form field, or an event's JSON body."""
        raw = self.form.get("payload", self.body)
        parsed: dict[str, Any] = json.loads(raw)
        return parsed


Reply = Callable[[Received], tuple[int, Any]]


def empty_ok(_: Received) -> tuple[int, Any]:
    return 200, None


@dataclass
class FakeMultivac:
    """Records every request; `replies[path]` decides the answer (default: 200, empty)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    replies: dict[str, Reply] = field(default_factory=dict)

    def only(self, path: str) -> Received:
        matching = [r for r in self.received if r.path == path]
        assert len(matching) == 1, f"expected one request to {path}, got {len(matching)}"
        return matching[0]

    def app(self) -> Flask:
        app = Flask("fake_multivac")

        @app.post("/slack/<kind>")
        def receive(kind: str) -> Response:
            got = Received(
                request.path,
                dict(request.headers),
                request.get_data(as_text=True),
                request.form.to_dict(),
            )
            self.received.append(got)
            status, body = self.replies.get(request.path, empty_ok)(got)
            if isinstance(body, dict):
                return Response(json.dumps(body), status, content_type="application/json")
            return Response(body or "", status)

        return app


@contextmanager
def fake_multivac() -> Iterator[FakeMultivac]:
    fake = FakeMultivac()
    server = make_server("127.0.0.1", 0, fake.app(), threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@contextmanager
def multivac_for(sandbox: RunningSandbox) -> Iterator[FakeMultivac]:
    """A fake Multivac set as the sandbox's `multivac_url` for the duration."""
    before = sandbox.sandbox.multivac_url
    with fake_multivac() as fake:
        sandbox.sandbox.multivac_url = fake.url
        try:
            yield fake
        finally:
            sandbox.sandbox.multivac_url = before


def signed_by_slack(received: Received) -> bool:
    """The check Multivac makes: slack_sdk's verifier with the sandbox's signing secret."""
    verifier = SignatureVerifier(credentials.SLACK_SIGNING_SECRET)
    return verifier.is_valid_request(received.body, received.headers)


def slack_error(call: Callable[[], object]) -> str:
    """The `error` code of a Web API call that must fail."""
    with pytest.raises(SlackApiError) as failure:
        call()
    return str(failure.value.response["error"])


def actor(sandbox: RunningSandbox, endpoint: str, body: dict[str, Any]) -> requests.Response:
    """POST JSON to the Slack actor, e.g. `actor(sandbox, "command", {...})`."""
    return requests.post(f"{sandbox.url}/_sandbox/slack/{endpoint}", json=body, timeout=10)


class ManualClock:
    """A monotonic clock a test moves by hand, for trigger and response-URL lifetimes."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def slack_id(name: str) -> str:
    """The seeded person's Slack user id, by full name."""
    return next(p.slack_id for p in seed.PEOPLE if p.name == name)


def slack_state(sandbox: RunningSandbox) -> dict[str, Any]:
    with sandbox.sandbox.lock:
        return sandbox.sandbox.slack.snapshot()


def run_command(sandbox: RunningSandbox, text: str = "declare Bank feeds down") -> dict[str, Any]:
    """Aroha runs `/incident <text>` in #general; returns the actor's answer."""
    response = actor(sandbox, "command", {"user": "aroha.ngata@tuatara.example", "text": text})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def open_modal(sandbox: RunningSandbox, slack_client: WebClient) -> str:
    """Aroha runs a command and the bot opens `MODAL` with its trigger id; returns the view id."""
    trigger = run_command(sandbox)["trigger_id"]
    return str(slack_client.views_open(trigger_id=trigger, view=MODAL)["view"]["id"])


MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "declare_incident",
    "private_metadata": "from-command",
    "title": {"type": "plain_text", "text": "Declare an incident"},
    "submit": {"type": "plain_text", "text": "Declare"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "title_input"},
        },
        {
            "type": "input",
            "block_id": "priority",
            "label": {"type": "plain_text", "text": "P"},
            "element": {
                "type": "static_select",
                "action_id": "priority_select",
                "options": [
                    {"text": {"type": "plain_text", "text": "P1"}, "value": "P1"},
                    {"text": {"type": "plain_text", "text": "P2"}, "value": "P2"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "notes",
            "optional": True,
            "label": {"type": "plain_text", "text": "Notes"},
            "element": {"type": "plain_text_input", "action_id": "notes_input"},
        },
    ],
}
