"""The whole system on loopback: the sandbox, Multivac's web app on a real server, a real Celery
worker on Redis, and a real database. Tests act as PagerDuty and read what Slack, Jira and
PagerDuty received from the sandbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import celery.contrib.testing.tasks  # noqa: F401 - registers `celery.ping`
import pytest
import requests
from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, select
from werkzeug.serving import make_server

from multivac.app import create_app
from multivac.incidents.war_room import flow
from multivac.incidents.war_room.graph import complete
from multivac.queueing import TaskQueue
from multivac.runtime import Runtime
from multivac.sandbox.seed import team_by_slug
from multivac.sandbox.server import RunningSandbox, SandboxOptions, start_sandbox
from multivac.settings import IncidentSettings, ServiceRoute
from multivac.store.database import transaction
from multivac.store.incidents import incident_by_pagerduty_id
from multivac.store.migrate import upgrade
from multivac.store.models import Delivery, DeliveryStatus, Incident
from tests.support import sandbox_settings
from workers.celery_app import MultivacCelery, make_celery

E2E_REDIS_URL = "redis://127.0.0.1:6379/13"
WAIT_SECONDS = 30.0


@dataclass
class System:
    sandbox: RunningSandbox
    runtime: Runtime
    celery: MultivacCelery
    web_url: str

    def trigger(self, **incident: Any) -> dict[str, Any]:
        """Open a PagerDuty incident as monitoring would; PagerDuty then calls Multivac."""
        answer = requests.post(
            f"{self.sandbox.url}/_sandbox/pagerduty/trigger", json=incident, timeout=10
        )
        assert answer.status_code == 201, answer.text
        found: dict[str, Any] = answer.json()["incident"]
        return found

    def war_room(self, pagerduty_id: str, timeout: float = WAIT_SECONDS) -> Incident:
        """The incident once no war-room step can run any more."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            incident = self.incident(pagerduty_id)
            if incident is not None and incident.war_room_started_at is not None:
                states = flow.states(self.runtime.deps(), incident.id)
                if states and complete(states):
                    return incident
            time.sleep(0.05)
        incident = self.incident(pagerduty_id)
        states = flow.states(self.runtime.deps(), incident.id) if incident else None
        raise AssertionError(f"the war room for {pagerduty_id} did not finish: {states}")

    def settle(self, timeout: float = WAIT_SECONDS) -> None:
        """Wait until PagerDuty has delivered everything and Multivac has processed it."""
        assert self.sandbox.sandbox.pagerduty.wait_idle(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with transaction(self.runtime.sessions) as session:
                pending = session.scalar(
                    select(func.count()).where(
                        Delivery.status.in_([DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING])
                    )
                )
            if pending == 0:
                return
            time.sleep(0.05)
        raise AssertionError("deliveries were not processed in time")

    def incident(self, pagerduty_id: str) -> Incident | None:
        with transaction(self.runtime.sessions) as session:
            incident = incident_by_pagerduty_id(session, pagerduty_id)
            if incident is not None:
                session.expunge(incident)
            return incident

    def state(self) -> dict[str, Any]:
        snapshot: dict[str, Any] = requests.get(
            f"{self.sandbox.url}/_sandbox/state", timeout=10
        ).json()
        return snapshot

    def channel(self, channel_id: str) -> dict[str, Any]:
        return next(c for c in self.state()["slack"]["channels"] if c["id"] == channel_id)


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/multivac.db"


# The routing the README's settings.toml ships: customer-facing services always bring in the
# customer-support technical specialists.
CX_SPECIALISTS = team_by_slug("cx-specialists").slack_usergroup_id
ROUTES = [ServiceRoute(service="Bank Feeds", invite_usergroups=[CX_SPECIALISTS])]
AMER_AFTERNOON = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Bank Feeds on call: Lucas Kim


@pytest.fixture
def system(database_url: str) -> Iterator[System]:
    sandbox = start_sandbox(SandboxOptions())
    settings = sandbox_settings(sandbox, database_url, E2E_REDIS_URL)
    settings = settings.model_copy(update={"incidents": IncidentSettings(routes=ROUTES)})
    upgrade(database_url)
    runtime = Runtime(settings)
    queue = TaskQueue(settings)
    app = create_app(settings, runtime=runtime, queue=queue)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    web = threading.Thread(target=server.serve_forever, daemon=True)
    web.start()
    web_url = f"http://127.0.0.1:{server.server_port}"
    sandbox.sandbox.multivac_url = web_url
    sandbox.sandbox.reset()
    sandbox.sandbox.frozen_now = AMER_AFTERNOON
    worker_app = make_celery(settings, runtime)
    worker_app.control.purge()
    with start_worker(worker_app, pool="threads", concurrency=8, perform_ping_check=False):
        assert worker_app.send_task("celery.ping").get(timeout=10) == "pong"
        yield System(sandbox, runtime, worker_app, web_url)
    server.shutdown()
    sandbox.stop()
    queue.close()
    runtime.close()
