"""Multivac as `make run` runs it (`multivac dev`: sandbox, gunicorn, Celery worker and beat,
each its own process), for benchmarks, with a `Runtime` of its own to read the database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import requests
from sqlalchemy import func, select

from multivac.devrun import sandbox_environment
from multivac.incidents.war_room import flow
from multivac.incidents.war_room.graph import complete
from multivac.runtime import Runtime
from multivac.settings import load_settings
from multivac.store.database import transaction
from multivac.store.models import Delivery, DeliveryStatus, Incident

BENCH_REDIS_URL = "redis://127.0.0.1:6379/14"
TIMEOUT = 60.0
RECONCILE_NEVER_SECONDS = 24 * 3600


@dataclass
class Running:
    sandbox_url: str
    web_url: str
    runtime: Runtime

    def trigger(self, title: str) -> dict[str, Any]:
        answer = requests.post(
            f"{self.sandbox_url}/_sandbox/pagerduty/trigger",
            json={"service": "Bank Feeds", "title": title, "priority": "P1"},
            timeout=10,
        )
        answer.raise_for_status()
        incident: dict[str, Any] = answer.json()["incident"]
        return incident

    def war_room(self, pagerduty_id: str) -> int:
        """The incident's id once no war-room step can run any more. Polls with one light query
        at a time: the benchmark's own CPU competes with the system it measures."""
        deadline = time.monotonic() + TIMEOUT
        started = select(Incident.id).where(
            Incident.pagerduty_id == pagerduty_id, Incident.war_room_started_at.is_not(None)
        )
        found: int | None = None
        while time.monotonic() < deadline:
            if found is None:
                with self.runtime.engine.connect() as connection:
                    found = connection.scalar(started)
            if found is not None and complete(flow.states(self.runtime.deps(), found)):
                return found
            time.sleep(0.02)
        raise TimeoutError(f"no war room for {pagerduty_id}")

    def settle(self) -> None:
        deadline = time.monotonic() + TIMEOUT
        busy = [DeliveryStatus.RECEIVED, DeliveryStatus.PROCESSING]
        while time.monotonic() < deadline:
            with transaction(self.runtime.sessions) as session:
                query = select(func.count()).where(Delivery.status.in_(busy))
                if session.scalar(query) == 0:
                    return
            time.sleep(0.02)
        raise TimeoutError("deliveries not processed")

    def calls_between(self, start: float, end: float) -> Counter[str]:
        log = requests.get(f"{self.sandbox_url}/_sandbox/requests", timeout=10).json()
        return Counter(
            f"{e['service']} {e['operation']}" for e in log["requests"] if start <= e["at"] <= end
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def multivac_dev(latency_ms: float, database_url: str, log_path: Path) -> Iterator[Running]:
    web_port, sandbox_port = free_port(), free_port()
    # Task messages a previous run left behind name incidents of its own database.
    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
    env = {
        **os.environ,
        "DEV_WEB_PORT": str(web_port),
        "DEV_SANDBOX_PORT": str(sandbox_port),
        "MULTIVAC_DATABASE_URL": database_url,
        "MULTIVAC_REDIS_URL": BENCH_REDIS_URL,
        # The reconciler would hand the war rooms a benchmark runs itself to the worker.
        "MULTIVAC_WORKER__RECONCILE_EVERY_SECONDS": str(RECONCILE_NEVER_SECONDS),
    }
    command = [
        str(Path(sys.executable).parent / "multivac"),
        "dev",
        "--latency-ms",
        str(latency_ms),
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command, no shell
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        ready = threading.Event()
        threading.Thread(target=_relay, args=(process, log, ready), daemon=True).start()
        try:
            if not ready.wait(120):
                raise RuntimeError(f"multivac dev did not start; see {log_path}")
            sandbox_url = f"http://127.0.0.1:{sandbox_port}"
            web_url = f"http://127.0.0.1:{web_port}"
            settings = load_settings(sandbox_environment(sandbox_url, web_url, env))
            yield Running(sandbox_url, web_url, Runtime(settings))
        finally:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(60)


def _relay(process: subprocess.Popen[str], log: Any, ready: threading.Event) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        log.write(line)
        if "multivac: ready" in line:
            ready.set()


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (user, nice, system, idle, iowait, irq, softirq, steal),
    or None where /proc/stat is not there."""
    try:
        with open("/proc/stat") as stat:
            return [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def stolen_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of CPU time the hypervisor gave to other machines between two readings: on a
    shared host, the figures of a run with much of it are slower for reasons not the code's."""
    if before is None or after is None:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return spent[7] / sum(spent) if sum(spent) else None
