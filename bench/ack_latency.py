"""How fast Multivac acknowledges: PagerDuty webhooks and `/incident` slash commands.
Run: `.venv/bin/python -m bench.ack_latency [--rate 200 --seconds 10]`.

Multivac runs as `make run` runs it (gunicorn, 2 workers of 8 threads). Requests are really signed
and sent open-loop at a fixed rate from a pool of client threads; latency is measured by the
client from send to full answer. Webhooks are fresh `incident.annotated` deliveries (each is
recorded in the database and queued); slash commands are `/incident list` (parsed and queued).
Target (DESIGN §8): p99 ≤ 20 ms at 200 requests/s on one 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from bench.harness import multivac_dev
from multivac.sandbox import credentials
from multivac.sandbox.pagerduty.webhooks import signature_header
from multivac.sandbox.seed import PEOPLE, SLACK_TEAM_ID

Request = Callable[[requests.Session], int]


def webhook(web_url: str) -> Request:
    def send(session: requests.Session) -> int:
        event = {
            "id": uuid.uuid4().hex, "event_type": "incident.annotated", "resource_type": "incident",
            "occurred_at": datetime.now(UTC).isoformat(), "agent": None, "client": None,
            "data": {"type": "incident_note", "id": "PNOTE1", "content": "bench",
                     "incident": {"id": "PBENCH1", "type": "incident_reference"}},
        }  # fmt: skip
        body = json.dumps({"event": event}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Id": uuid.uuid4().hex,
            "X-PagerDuty-Signature": signature_header(body, [credentials.PAGERDUTY_WEBHOOK_SECRET]),
        }
        return session.post(f"{web_url}/webhooks/pagerduty", data=body, headers=headers).status_code

    return send


def slash_command(web_url: str) -> Request:
    verifier = SignatureVerifier(credentials.SLACK_SIGNING_SECRET)

    def send(session: requests.Session) -> int:
        body = urlencode({
            "command": "/incident", "text": "list", "user_id": PEOPLE[0].slack_id,
            "channel_id": "C0GENERAL", "team_id": SLACK_TEAM_ID, "trigger_id": "1.2.bench",
            "response_url": f"{web_url}/nowhere",
        })  # fmt: skip
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp, body=body),
        }
        return session.post(f"{web_url}/slack/commands", data=body, headers=headers).status_code

    return send


def load(send: Request, rate: float, seconds: float, threads: int = 32) -> tuple[list[float], int]:
    """Open-loop: request i starts at i/rate whatever the others are doing."""
    local = threading.local()
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def one() -> None:
        nonlocal failures
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        status = send(session)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            failures += status >= 400

    total = int(rate * seconds)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for index in range(total):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one)
    return latencies, failures


def summary(name: str, latencies: list[float], failures: int, rate: float) -> str:
    ordered = sorted(latencies)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    return (
        f"{name}: {len(ordered)} requests at {rate:g}/s, {failures} failed; "
        f"p50 {at(0.50):.1f} ms, p99 {at(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms, "
        f"mean {statistics.mean(ordered) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database_url = args.database_url or f"sqlite:///{scratch}/bench.db"
        with multivac_dev(0.0, database_url, Path(scratch) / "dev.log") as running:
            for name, make in (("webhook ack", webhook), ("slash-command ack", slash_command)):
                load(make(running.web_url), args.rate, 1.0)  # warm up connections and caches
                latencies, failures = load(make(running.web_url), args.rate, args.seconds)
                print(summary(name, latencies, failures, args.rate))
            running.runtime.close()


if __name__ == "__main__":
    main()
