"""Time to war room: PagerDuty webhook received → channel, invites, Jira issue with assignee, topic
with link, summary posted. Run: `.venv/bin/python -m bench.war_room [--incidents 20]`.

Multivac runs as `make run` runs it (`multivac dev`: the sandbox, gunicorn, a Celery worker and
beat, each its own process), with the sandbox answering every API call after `--latency-ms`.
Times are read from the database: delivery recorded → last assembling step finished. The same
steps are then run one after another in this process for comparison. Caches are warmed first, as
in a running Multivac, and the critical-path bound is computed from the flow's own graph.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from bench.harness import Running, cpu_times, multivac_dev, stolen_share
from multivac.incidents.intake import take_pagerduty_event
from multivac.incidents.pagerduty_events import IncidentFacts, PagerDutyEvent
from multivac.incidents.war_room import flow
from multivac.incidents.war_room.graph import WAR_ROOM, critical_path
from multivac.sandbox import credentials
from multivac.store.database import transaction
from multivac.store.models import Delivery, StepResult

ASSEMBLED = ("channel", "invite", "jira", "topic", "summary")
AMERICAN_AFTERNOON = "2026-11-22T16:00:00+00:00"


@dataclass
class Figures:
    seconds: list[float]
    calls: list[Counter[str]]


def time_to_war_room(running: Running, pagerduty_id: str) -> float:
    incident_id = running.war_room(pagerduty_id)
    with transaction(running.runtime.sessions) as session:
        received = session.scalar(
            select(func.min(Delivery.received_at)).where(Delivery.resource_id == pagerduty_id)
        )
        finished = session.scalar(
            select(func.max(StepResult.finished_at)).where(
                StepResult.incident_id == incident_id, StepResult.step.in_(ASSEMBLED)
            )
        )
    assert received is not None and finished is not None
    return (finished - received).total_seconds()


def run_parallel(running: Running, count: int) -> Figures:
    figures = Figures([], [])
    for n in range(count):
        running.settle()
        start = time.time()
        paged = running.trigger(f"Bench incident {n}")
        figures.seconds.append(time_to_war_room(running, paged["id"]))
        running.settle()
        time.sleep(0.2)  # let the PagerDuty note's webhook and late calls land in this window
        figures.calls.append(running.calls_between(start, time.time()))
    return figures


def run_sequential(running: Running, count: int) -> Figures:
    """The same steps one after another in this thread, for incidents Multivac is not told of."""
    _unsubscribe(running)
    deps = running.runtime.deps()
    figures = Figures([], [])
    for n in range(count):
        paged = running.trigger(f"Sequential incident {n}")
        start = time.time()
        incident_id = _record(running, paged)
        for step in WAR_ROOM:
            outcome = flow.run_step(deps, incident_id, step.name, "bench")
            if outcome.result != flow.Result.DONE:
                raise RuntimeError(f"sequential {step.name} of {incident_id}: {outcome.result}")
        figures.seconds.append(time.time() - start)
        figures.calls.append(running.calls_between(start, time.time()))
    return figures


def _unsubscribe(running: Running) -> None:
    headers = {"Authorization": f"Token token={credentials.PAGERDUTY_API_TOKEN}"}
    base = f"{running.sandbox_url}/pagerduty/webhook_subscriptions"
    for subscription in requests.get(base, headers=headers, timeout=10).json()[
        "webhook_subscriptions"
    ]:
        requests.delete(f"{base}/{subscription['id']}", headers=headers, timeout=10)


def _record(running: Running, paged: dict[str, Any]) -> int:
    """What the webhook intake records, done directly (the sequential run has no webhooks)."""
    facts = IncidentFacts(
        id=paged["id"],
        number=paged["incident_number"],
        title=paged["title"],
        status="triggered",
        urgency="high",
        priority="P1",
        service_id=paged["service"]["id"],
        service_name=paged["service"]["summary"],
        escalation_policy_id=paged["escalation_policy"]["id"],
        assignee_ids=tuple(a["assignee"]["id"] for a in paged["assignments"]),
        assignee_names=tuple(a["assignee"]["summary"] for a in paged["assignments"]),
        html_url=paged["html_url"],
        created_at=datetime.now(UTC),
    )
    event = PagerDutyEvent(
        id=f"bench-{paged['id']}",
        event_type="incident.triggered",
        occurred_at=datetime.now(UTC),
        incident_id=paged["id"],
        incident=facts,
        agent_id=None,
        client_name=None,
        data={},
    )
    with transaction(running.runtime.sessions) as session:
        intake = take_pagerduty_event(session, event, running.runtime.settings.incidents)
    assert intake.incident_id is not None and intake.start_war_room
    return intake.incident_id


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(
    parallel: Figures,
    sequential: Figures,
    latency_ms: float,
    database: str,
    stolen: float | None = None,
) -> str:
    trips, chain = critical_path()
    bound = trips * latency_ms / 1000
    median, p95 = statistics.median(parallel.seconds), percentile(parallel.seconds, 0.95)
    seq_median = statistics.median(sequential.seconds)
    # What one round trip really costs here (client, sandbox and latency), from the sequential run.
    round_trip = seq_median / sum(step.round_trips for step in WAR_ROOM)
    per_room = statistics.mean(sum(c.values()) for c in parallel.calls)
    calls = ", ".join(f"{op} x{n}" for op, n in sorted(parallel.calls[-1].items()))
    return "\n".join(
        [
            f"war rooms: {len(parallel.seconds)} through webhooks and workers, "
            f"{len(sequential.seconds)} sequential; sandbox latency {latency_ms:g} ms per call; "
            f"database {database}",
            f"critical path: {trips} round trips ({' -> '.join(chain)})",
            f"  bound at {latency_ms:g} ms a call: {bound * 1000:.0f} ms; at the measured "
            f"{round_trip * 1000:.0f} ms a round trip: {trips * round_trip * 1000:.0f} ms",
            f"time to war room: median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms: "
            f"{median / bound:.2f}x the bound (target <= 1.2x), "
            f"{median / (trips * round_trip):.2f}x the measured-round-trip bound",
            f"same steps one after another: median {seq_median * 1000:.0f} ms; "
            f"the graph is {seq_median / median:.1f}x faster (target >= 3x)",
            f"external API calls per war room: {per_room:.1f} ({calls})",
            "CPU time stolen by the host during the run: "
            + ("unknown" if stolen is None else f"{stolen:.0%}"),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--dev-log", type=Path, default=None, help="keep the processes' output")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database_url = args.database_url or f"sqlite:///{scratch}/bench.db"
        dev_log = args.dev_log or Path(scratch) / "dev.log"
        with multivac_dev(args.latency_ms, database_url, dev_log) as running:
            for service in ("slack", "pagerduty", "jira"):  # rate limits: the storm bench's topic
                requests.post(
                    f"{running.sandbox_url}/_sandbox/traffic/{service}",
                    json={"rate_limits": False},
                    timeout=10,
                )
            requests.post(
                f"{running.sandbox_url}/_sandbox/clock",
                json={"now": AMERICAN_AFTERNOON},
                timeout=10,
            )
            run_parallel(running, 2)  # warm the caches, as in a running Multivac
            before = cpu_times()
            parallel = run_parallel(running, args.incidents)
            stolen = stolen_share(before, cpu_times())
            sequential = run_sequential(running, max(5, args.incidents // 4))
            running.runtime.close()
    database = database_url.split(":", 1)[0]
    print(report(parallel, sequential, args.latency_ms, database, stolen))


if __name__ == "__main__":
    main()
