"""The one set of helpers end-to-end tests tell their stories with: wait for something to be
seen, read a message as a person does, act in PagerDuty as a person would."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from multivac.sandbox import seed
from multivac.testing.system import System

T = TypeVar("T")
WAIT_SECONDS = 20.0
LUCAS = next(p for p in seed.PEOPLE if p.name == "Lucas Kim")  # on call for Bank Feeds (e2e clock)


def eventually(check: Callable[[], T | None], what: str, timeout: float = WAIT_SECONDS) -> T:
    """The first truthy answer of `check`, polled until `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def texts(message: dict[str, Any]) -> str:
    """Everything a person can read in a message: its text and its blocks' texts."""
    parts = [message.get("text") or ""]
    parts += [str((b.get("text") or {}).get("text", "")) for b in message.get("blocks") or []]
    return "\n".join(parts)


def in_pagerduty(
    system: System, incident_id: str, action: str, who: seed.Person = LUCAS, **body: Any
) -> None:
    """`who` does `action` on the incident in PagerDuty; returns once Multivac has processed
    the webhooks that follow."""
    answer = requests.post(
        f"{system.sandbox.url}/_sandbox/pagerduty/incidents/{incident_id}/{action}",
        json={"as": who.email, **body},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    system.settle()
