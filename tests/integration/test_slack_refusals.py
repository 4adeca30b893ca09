"""Only Slack, just now, gets through: a request that is unsigned, signed with another secret,
changed after signing, or signed more than five minutes ago is refused before anything reads it,
and so is one over the size limit; a signed but malformed one is a 400 saying what is wrong.
Nothing refused leaves a delivery or a queued task behind. With Redis or the database down, Slack
still gets an answer: "try again" for people, a 5xx (so Slack retries) for an unrecorded event.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from multivac.app import create_app
from multivac.incidents import declare_modal as modal
from multivac.queueing import TaskQueue
from multivac.runtime import Runtime
from multivac.sandbox.server import RunningSandbox, SandboxOptions, running_sandbox
from multivac.sandbox.slack.signing import signed_headers
from multivac.web.slack import BUSY
from tests.integration.slack_world import World, multivac_world
from tests.support import sandbox_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def slack_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxOptions()) as running:
        yield running


@pytest.fixture
def world(
    slack_sandbox: RunningSandbox, migrated_engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[World]:
    with multivac_world(slack_sandbox, migrated_engine, session_factory) as world:
        yield world


FORM, JSON = "application/x-www-form-urlencoded", "application/json"
BODIES = {
    "/slack/commands": ("user_id=U0X&channel_id=C0X&text=declare+Disk+full&trigger_id=1.2.a", FORM),
    "/slack/interactions": ("payload=" + quote(json.dumps({"type": "block_actions"})), FORM),
    "/slack/events": (json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {}}), JSON),
}


def tampered(body: str, content_type: str) -> tuple[str, dict[str, str]]:
    return body + "&x=1", signed_headers(body, content_type)


def stale(body: str, content_type: str) -> tuple[str, dict[str, str]]:
    return body, signed_headers(body, content_type, timestamp=int(time.time()) - 6 * 60)


def from_the_future(body: str, content_type: str) -> tuple[str, dict[str, str]]:
    return body, signed_headers(body, content_type, timestamp=int(time.time()) + 6 * 60)


def unsigned(body: str, content_type: str) -> tuple[str, dict[str, str]]:
    return body, {"Content-Type": content_type}


def garbled_timestamp(body: str, content_type: str) -> tuple[str, dict[str, str]]:
    return body, signed_headers(body, content_type) | {"X-Slack-Request-Timestamp": "soon"}


def other_secret(body: str, content_type: str) -> tuple[str, dict[str, str]]:
    headers = signed_headers(body, content_type)
    verifier = SignatureVerifier("not-our-signing-secret")
    stamp = headers["X-Slack-Request-Timestamp"]
    return body, headers | {
        "X-Slack-Signature": verifier.generate_signature(timestamp=stamp, body=body) or ""
    }


@pytest.mark.parametrize("path", list(BODIES))
@pytest.mark.parametrize(
    "forge", [tampered, stale, from_the_future, unsigned, garbled_timestamp, other_secret]
)
def test_a_request_slack_did_not_sign_just_now_is_refused(
    world: World, path: str, forge: Callable[[str, str], tuple[str, dict[str, str]]]
) -> None:
    body, headers = forge(*BODIES[path])

    response = world.post(path, body, headers)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid signature"
    assert world.deliveries() == []
    assert world.enqueued() == []


@pytest.mark.parametrize("path", list(BODIES))
def test_the_same_requests_signed_by_slack_are_accepted(world: World, path: str) -> None:
    body, content_type = BODIES[path]

    response = world.post(path, body, signed_headers(body, content_type))

    assert response.status_code == 200
    assert len(world.enqueued()) == 1


@pytest.mark.parametrize("path", list(BODIES))
def test_a_body_over_the_size_limit_is_a_413(world: World, path: str) -> None:
    limit = world.app.extensions["multivac"].settings.web.max_body_bytes
    body = BODIES[path][0] + "&pad=" + "x" * limit

    response = world.post(path, body, signed_headers(body, BODIES[path][1]))

    assert response.status_code == 413
    assert response.json()["message"] == f"body over {limit} bytes"
    assert world.enqueued() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("payload=%7Bnot+json", "the 'payload' form field is not JSON"),
        ("nothing=here", "no 'payload' form field"),
        ("payload=%5B1%5D", "the 'payload' form field is not an object with a 'type'"),
    ],
)
def test_a_malformed_interaction_is_a_400_saying_what_is_wrong(
    world: World, body: str, message: str
) -> None:
    response = world.post("/slack/interactions", body, signed_headers(body, FORM))

    assert response.status_code == 400
    assert response.json() == {"error": "malformed payload", "message": message}
    assert world.enqueued() == []


@pytest.mark.parametrize(
    "body", ["{not json", "[1, 2]", json.dumps({"type": "event_callback", "event": {}})]
)
def test_a_malformed_event_is_a_400(world: World, body: str) -> None:
    response = world.post("/slack/events", body, signed_headers(body, JSON))

    assert response.status_code == 400
    assert response.json()["error"] == "malformed event"
    assert world.deliveries() == []
    assert world.enqueued() == []


def test_slacks_ssl_check_is_answered_empty(world: World) -> None:
    body = "ssl_check=1&token=abc"

    response = world.post("/slack/commands", body, signed_headers(body, FORM))

    assert (response.status_code, response.content) == (200, b"")
    assert world.enqueued() == []


# -- outages: Slack is still answered, and told to retry only what it would retry -------------


UNUSED_REDIS_URL = "redis://127.0.0.1:1/0"
UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
DECLARATION = {
    "type": "view_submission",
    "user": {"id": "U0X"},
    "view": {
        "callback_id": modal.CALLBACK_ID,
        "state": {
            "values": {
                modal.TITLE_BLOCK: {modal.TITLE_ACTION: {"value": "Disk full"}},
                modal.SEVERITY_BLOCK: {
                    modal.SEVERITY_ACTION: {"selected_option": {"value": "SEV2"}}
                },
            }
        },
    },
}


@contextmanager
def outage(tmp_path: Path, *, database_url: str | None = None) -> Iterator[FlaskClient]:
    """The app with Redis down (and the database too when given an unreachable URL)."""
    url = database_url or f"sqlite:///{tmp_path}/untouched.db"
    settings = sandbox_settings(None, url, UNUSED_REDIS_URL)
    runtime, queue = Runtime(settings), TaskQueue(settings)
    app = create_app(settings, runtime, queue)
    # The logged tracebacks are expected here. The logger is shared by every app named
    # "multivac", so it is silenced for this test only.
    was_disabled, app.logger.disabled = app.logger.disabled, True
    try:
        yield app.test_client()
    finally:
        app.logger.disabled = was_disabled
        queue.close()
        runtime.close()


def signed_post(client: FlaskClient, path: str, body: str, content_type: str) -> TestResponse:
    return client.post(path, data=body, headers=signed_headers(body, content_type))


def test_with_redis_down_a_command_is_answered_with_try_again(tmp_path: Path) -> None:
    with outage(tmp_path) as client:
        response = signed_post(client, "/slack/commands", "text=list&user_id=U0X", FORM)

    assert response.status_code == 200
    assert response.json == {"response_type": "ephemeral", "text": BUSY}


def test_with_redis_down_the_declare_modal_stays_open_with_try_again(tmp_path: Path) -> None:
    body = "payload=" + quote(json.dumps(DECLARATION))

    with outage(tmp_path) as client:
        response = signed_post(client, "/slack/interactions", body, FORM)

    assert response.status_code == 200
    assert response.json == {"response_action": "errors", "errors": {"title": BUSY}}


def test_with_the_database_down_an_event_is_a_503_so_slack_retries(tmp_path: Path) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {"type": "x"}})

    with outage(tmp_path, database_url=UNREACHABLE_DATABASE) as client:
        response = signed_post(client, "/slack/events", body, JSON)

    assert response.status_code == 503
    assert response.json is not None
    assert response.json["error"] == "database unavailable"
    assert b"Traceback" not in response.data


def test_with_the_database_down_an_incident_command_is_answered_with_try_again(
    tmp_path: Path,
) -> None:
    with outage(tmp_path, database_url=UNREACHABLE_DATABASE) as client:
        response = signed_post(client, "/slack/commands", "text=status&channel_id=C0X", FORM)

    assert response.status_code == 200
    assert response.json == {"response_type": "ephemeral", "text": BUSY}
