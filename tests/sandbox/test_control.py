"""The sandbox's own controls: reset, latency and faults at run time, the clock, the request log."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import pytest
import requests
from jira import JIRA, JIRAError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from multivac.sandbox import credentials
from multivac.sandbox.server import RunningSandbox
from multivac.sandbox.traffic import Limit, SlidingWindowLimiter


def test_reset_forgets_what_tests_created(sandbox: RunningSandbox, slack_client: WebClient) -> None:
    slack_client.conversations_create(name="inc-reset-me")
    assert _channel_names(sandbox) >= {"inc-reset-me"}
    assert requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).json() == {"ok": True}
    assert "inc-reset-me" not in _channel_names(sandbox)


def test_an_error_rate_of_one_fails_every_call_of_that_service_only(
    sandbox: RunningSandbox, slack_client: WebClient, jira_client: JIRA
) -> None:
    answer = requests.post(
        f"{sandbox.url}/_sandbox/traffic/jira",
        json={"error_rate": 1.0, "error_status": 502},
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.json()["services"]["jira"]["error_rate"] == 1.0
    with pytest.raises(JIRAError) as failed:
        jira_client.issue("INC-1")
    assert failed.value.status_code == 502
    assert slack_client.auth_test()["ok"] is True


def test_an_outage_window_answers_503_until_it_is_ended(
    sandbox: RunningSandbox, slack_client: WebClient
) -> None:
    requests.post(f"{sandbox.url}/_sandbox/traffic/slack", json={"outage_seconds": 60}, timeout=5)
    with pytest.raises(SlackApiError) as failed:
        slack_client.auth_test()
    assert failed.value.response.status_code == 503
    requests.post(f"{sandbox.url}/_sandbox/traffic/slack", json={"outage_seconds": 0}, timeout=5)
    assert slack_client.auth_test()["ok"] is True


def test_unknown_traffic_settings_are_refused_by_name(sandbox: RunningSandbox) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox/traffic/slack", json={"latency": 5}, timeout=5)
    assert answer.status_code == 400
    assert "latency" in answer.json()["error"]
    assert (
        requests.post(f"{sandbox.url}/_sandbox/traffic/teams", json={}, timeout=5).status_code
        == 404
    )


def test_latency_settings_are_shown_and_reset(sandbox: RunningSandbox) -> None:
    requests.post(
        f"{sandbox.url}/_sandbox/traffic/pagerduty",
        json={"latency_ms": 100, "jitter_ms": 20},
        timeout=5,
    )
    described = requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()["traffic"]
    assert described["services"]["pagerduty"]["latency_ms"] == 100
    sandbox.sandbox.reset()
    described = requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()["traffic"]
    assert described["services"]["pagerduty"]["latency_ms"] == 0


def test_a_call_and_a_refusal_both_take_the_services_latency(
    sandbox: RunningSandbox, slack_client: WebClient
) -> None:
    requests.post(f"{sandbox.url}/_sandbox/traffic/slack", json={"latency_ms": 300}, timeout=5)
    started = time.monotonic()
    assert slack_client.auth_test()["ok"] is True
    assert time.monotonic() - started >= 0.3
    requests.post(f"{sandbox.url}/_sandbox/traffic/slack", json={"outage_seconds": 60}, timeout=5)
    started = time.monotonic()
    with pytest.raises(SlackApiError):
        slack_client.auth_test()
    assert time.monotonic() - started >= 0.3


def test_a_call_takes_the_latency_from_its_arrival_not_from_its_connection(
    sandbox: RunningSandbox,
) -> None:
    requests.post(f"{sandbox.url}/_sandbox/traffic/pagerduty", json={"latency_ms": 300}, timeout=5)
    request = (
        "GET /pagerduty/services HTTP/1.1\r\nHost: sandbox\r\n"
        f"Authorization: Token token={credentials.PAGERDUTY_API_TOKEN}\r\n\r\n"
    )
    with socket.create_connection((sandbox.server.host, sandbox.server.port), timeout=5) as conn:
        time.sleep(0.4)  # connected, but the request comes later than the latency
        started = time.monotonic()
        conn.sendall(request.encode())
        assert conn.recv(64).startswith(b"HTTP/1.1 200")
        assert time.monotonic() - started >= 0.3


def test_the_clock_can_be_frozen_and_released(sandbox: RunningSandbox) -> None:
    frozen = "2026-11-22T03:00:00+00:00"
    answer = requests.post(f"{sandbox.url}/_sandbox/clock", json={"now": frozen}, timeout=5)
    assert answer.json()["now"] == frozen
    assert sandbox.sandbox.now() == datetime(2026, 11, 22, 3, tzinfo=UTC)
    bad = requests.post(f"{sandbox.url}/_sandbox/clock", json={"now": "tuesday"}, timeout=5)
    assert bad.status_code == 400
    requests.post(f"{sandbox.url}/_sandbox/clock", json={"now": None}, timeout=5)
    assert sandbox.sandbox.frozen_now is None


def test_the_request_log_names_each_call(sandbox: RunningSandbox, slack_client: WebClient) -> None:
    slack_client.auth_test()
    logged = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=5).json()["requests"]
    assert [(e["service"], e["operation"], e["status"]) for e in logged] == [
        ("slack", "auth.test", 200)
    ]


def test_the_sliding_window_counts_calls_per_key() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(clock=lambda: now[0])
    limit = Limit(calls=2, per_seconds=60)
    assert limiter.acquire(("a",), limit, time_scale=1) is None
    assert limiter.acquire(("a",), limit, time_scale=1) is None
    assert limiter.acquire(("a",), limit, time_scale=1) == 60
    assert limiter.acquire(("b",), limit, time_scale=1) is None
    now[0] = 60.0
    assert limiter.acquire(("a",), limit, time_scale=1) is None
    now[0] = 60.5
    assert limiter.acquire(("a",), limit, time_scale=60) is None  # a scaled minute is 1 s


def _channel_names(sandbox: RunningSandbox) -> set[str]:
    state = requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()
    return {channel["name"] for channel in state["slack"]["channels"]}
