"""The whole system in one process, for end-to-end tests and benchmarks (like celery's testing
helpers): the sandbox, Multivac's web app on a real loopback server, a real Celery worker on
Redis, and a real database. Callers act as PagerDuty and read what the vendors received."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import celery.contrib.testing.tasks  # noqa: F401 - registers `celery.ping`
import requests
from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, select
from werkzeug.serving import make_server

from multivac.app import create_app
from multivac.incidents.war_room import flow
from multivac.incidents.war_room.graph import complete
from multivac.queueing import TaskQueue
from multivac.runtime import Runtime
from multivac.sandbox.server import RunningSandbox, SandboxOptions, start_sandbox
from multivac.settings import Settings
from multivac.store.database import transaction
from multivac.store.incidents import incident_by_pagerduty_id
from multivac.store.migrate import upgrade
from multivac.store.models import Delivery, DeliveryStatus, Incident
from workers.celery_app import MultivacCelery, make_celery

WAIT_SECONDS = 30.0
POLL_SECONDS = 0.01


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
        if answer.status_code != 201:
            raise AssertionError(f"trigger refused: {answer.status_code} {answer.text}")
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
                    # Read again: the last step may have written it after the read above.
                    return self.incident(pagerduty_id) or incident
            time.sleep(POLL_SECONDS)
        incident = self.incident(pagerduty_id)
        left = flow.states(self.runtime.deps(), incident.id) if incident else None
        raise AssertionError(f"the war room for {pagerduty_id} did not finish: {left}")

    def settle(self, timeout: float = WAIT_SECONDS) -> None:
        """Wait until PagerDuty has delivered everything and Multivac has processed it."""
        if not self.sandbox.sandbox.pagerduty.wait_idle(timeout):
            raise AssertionError("PagerDuty still has webhooks to deliver")
        deadline = time.monotonic() + timeout
        unfinished = [DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING]
        while time.monotonic() < deadline:
            with transaction(self.runtime.sessions) as session:
                count = select(func.count()).where(Delivery.status.in_(unfinished))
                if session.scalar(count) == 0:
                    return
            time.sleep(POLL_SECONDS)
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


@contextmanager
def running_system(
    settings_for: Any, options: SandboxOptions, concurrency: int = 8
) -> Iterator[System]:
    """`settings_for(sandbox) -> Settings` builds Multivac's settings once the sandbox is up."""
    sandbox = start_sandbox(options)
    settings: Settings = settings_for(sandbox)
    upgrade(settings.database_url)
    runtime = Runtime(settings)
    queue = TaskQueue(settings)
    server = make_server("127.0.0.1", 0, create_app(settings, runtime, queue), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    web_url = f"http://127.0.0.1:{server.server_port}"
    sandbox.sandbox.multivac_url = web_url
    sandbox.sandbox.reset()
    worker_app = make_celery(settings, runtime)
    # Nothing from an earlier run (queued, held back for a retry, or unacknowledged) may reach
    # this run's worker: its ids would name this run's incidents.
    runtime.redis.flushdb()
    try:
        with start_worker(
            worker_app, pool="threads", concurrency=concurrency, perform_ping_check=False
        ):
            if worker_app.send_task("celery.ping").get(timeout=10) != "pong":
                raise AssertionError("the worker did not answer")
            yield System(sandbox, runtime, worker_app, web_url)
    finally:
        server.shutdown()
        sandbox.stop()
        queue.close()
        runtime.redis.flushdb()
        runtime.close()
