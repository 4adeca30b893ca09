"""The checks every emulated call passes before its handler runs: latency, faults, rate limits.

Each emulator turns a `Refusal` into its vendor's own error shape.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import g

from multivac.sandbox.traffic import Limit

if TYPE_CHECKING:
    from multivac.sandbox.server import Sandbox


@dataclass(frozen=True)
class Refusal:
    status: int
    retry_after: int | None = None  # seconds, for 429


def admit(
    sandbox: Sandbox,
    service: str,
    operation: str,
    limit: Limit | None = None,
    limit_key: tuple[str, ...] = (),
) -> Refusal | None:
    """Wait out the configured latency, counted from the call's arrival (so the sandbox's own
    work on the call is part of it, as a real service's is), then refuse on an injected fault or
    an exceeded rate limit.

    `operation` names the call in the request log (`conversations.create`, `POST /incidents`).
    The rate-limit key is the service, the operation and `limit_key` (token, channel, ...).
    """
    g.operation = operation
    due = g.get("arrived", time.monotonic()) + sandbox.traffic.latency_seconds(service)
    if (wait := due - time.monotonic()) > 0:
        time.sleep(wait)
    status = sandbox.traffic.fault(service)
    if status is not None:
        return Refusal(status)
    if limit is not None:
        wait = sandbox.traffic.retry_after(service, (operation, *limit_key), limit)
        if wait is not None:
            return Refusal(429, wait)
    return None
