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
    """Refuse on an injected fault or an exceeded rate limit, and set when the answer is due: the
    configured latency after the call arrived (the sandbox holds the answer until then).

    `operation` names the call in the request log (`conversations.create`, `POST /incidents`).
    The rate-limit key is the service, the operation and `limit_key` (token, channel, ...).
    """
    g.operation = operation
    g.answer_at = g.get("arrived", time.monotonic()) + sandbox.traffic.latency_seconds(service)
    status = sandbox.traffic.fault(service)
    if status is not None:
        return Refusal(status)
    if limit is not None:
        wait = sandbox.traffic.retry_after(service, (operation, *limit_key), limit)
        if wait is not None:
            return Refusal(429, wait)
    return None
