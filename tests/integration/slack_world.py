"""Multivac served on loopback with the sandbox playing Slack to it, for the Slack endpoint tests.

Multivac's vendor URLs point at the sandbox, so its request log would show any call Multivac made;
the sandbox's `multivac_url` points back at Multivac, so its Slack actor sends really signed
requests to the real app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
import requests
from flask import Flask
from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from multivac.app import create_app
from multivac.queueing import TaskQueue
from multivac.runtime import Runtime
from multivac.sandbox import credentials, seed
from multivac.sandbox.server import RunningSandbox
from multivac.store.database import transaction
from multivac.store.incidents import create_incident
from multivac.store.models import Delivery, IncidentSource
from tests.integration.queue_helpers import empty_broker, enqueued
from tests.sandbox.slack_helpers import actor, slack_id
from tests.support import sandbox_settings, serving

QUEUE_REDIS_URL = "redis://127.0.0.1:6379/10"  # this module's own: flushed around every test
AROHA = slack_id("Aroha Ngata")
ACKNOWLEDGE_BUTTON: dict[str, Any] = {
    "type": "actions",
    "block_id": "incident_actions",
    "elements": [
        {
            "type": "button",
            "action_id": "incident_acknowledge",
            "value": "1",
            "text": {"type": "plain_text", "text": "Acknowledge"},
        }
    ],
}


@dataclass
class World:
    url: str
    app: Flask
    sandbox: RunningSandbox
    sessions: sessionmaker[Session]
    broker: redis.Redis

    def run(self, text: str, channel: str | None = None) -> dict[str, Any]:
        """Aroha types `/incident <text>` (in #general by default); the actor's report."""
        return self.act("command", {"user": AROHA, "text": text, "channel": channel})

    def act(self, endpoint: str, spec: dict[str, Any]) -> dict[str, Any]:
        """The Slack actor's `endpoint` (command, interaction, event): Multivac's status, body..."""
        response = actor(self.sandbox, endpoint, spec)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def post(self, path: str, body: str, headers: dict[str, str]) -> requests.Response:
        """A request made by hand, for what Slack itself would never send."""
        return requests.post(f"{self.url}{path}", data=body.encode(), headers=headers, timeout=10)

    def slack_client(self) -> WebClient:
        """The bot's client, as a worker would use it."""
        return WebClient(token=credentials.SLACK_BOT_TOKEN, base_url=self.sandbox.slack_api_url)

    def enqueued(self) -> list[tuple[str, list[Any]]]:
        return enqueued(self.broker)

    def deliveries(self) -> list[Delivery]:
        with self.sessions() as session:
            return list(session.scalars(select(Delivery).order_by(Delivery.id)))

    def vendor_calls(self) -> list[str]:
        """Every call the emulated Slack, PagerDuty and Jira APIs received."""
        log = self.sandbox.sandbox.traffic.log.entries()
        return [f"{entry.service} {entry.operation}" for entry in log]

    def incident_channel(self) -> str:
        """A channel Aroha is in, with an Acknowledge button, recorded as an incident's war room;
        made directly in the sandbox's state, so the request log stays empty."""
        with self.sandbox.sandbox.lock:
            workspace = self.sandbox.sandbox.slack
            channel = workspace.create_channel(
                "inc-bank-feeds", is_private=False, creator=seed.SLACK_BOT_USER_ID
            )
            channel.members.append(AROHA)
            workspace.post(channel, seed.SLACK_BOT_USER_ID, "Incident #1", [ACKNOWLEDGE_BUTTON])
        with transaction(self.sessions) as session:
            create_incident(
                session, title="Bank feeds down", source=IncidentSource.SLACK,
                slack_channel_id=channel.id,
            )  # fmt: skip
        return channel.id


@contextmanager
def multivac_world(
    sandbox: RunningSandbox, engine: Engine, sessions: sessionmaker[Session]
) -> Iterator[World]:
    """The app on a migrated database (emptied by the caller's `session_factory`), sending to its
    own Redis database; the sandbox is reset to its seeded workspace and an empty request log."""
    sandbox.sandbox.reset()
    database_url = engine.url.render_as_string(hide_password=False)
    settings = sandbox_settings(sandbox, database_url, QUEUE_REDIS_URL)
    runtime, queue = Runtime(settings), TaskQueue(settings)
    app = create_app(settings, runtime, queue)
    try:
        with empty_broker(QUEUE_REDIS_URL) as broker, serving(app) as url:
            sandbox.sandbox.multivac_url = url
            yield World(url, app, sandbox, sessions, broker)
    finally:
        sandbox.sandbox.multivac_url = None
        queue.close()
        runtime.close()
