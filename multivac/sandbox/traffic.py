"""What stands between a client and an emulated API: latency, faults, rate limits, the request log.

One `Traffic` per sandbox holds a `ServiceControls` per emulated service. Everything here is
thread-safe: the sandbox serves each request on its own thread.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

SERVICES = ("slack", "pagerduty", "jira")


@dataclass(frozen=True)
class Limit:
    """At most `calls` in any window of `per_seconds` (sandbox seconds, before time scaling)."""

    calls: int
    per_seconds: float


@dataclass
class Latency:
    fixed_ms: float = 0.0
    jitter_ms: float = 0.0

    def sample_seconds(self) -> float:
        return (self.fixed_ms + random.uniform(0.0, self.jitter_ms)) / 1000.0


@dataclass
class Faults:
    """Random server errors, and outage windows during which every call fails."""

    error_rate: float = 0.0
    error_status: int = 500
    outage_until: float = 0.0  # time.monotonic() deadline; 0 means no outage
    outage_status: int = 503

    def status_now(self, now: float) -> int | None:
        if now < self.outage_until:
            return self.outage_status
        if self.error_rate and random.random() < self.error_rate:
            return self.error_status
        return None


class SlidingWindowLimiter:
    """Counts calls per key in a sliding window; answers how long to wait when over the limit."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._calls: dict[tuple[str, ...], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def acquire(self, key: tuple[str, ...], limit: Limit, time_scale: float) -> float | None:
        """Record a call and return None, or return the real seconds to wait (call not recorded)."""
        window = limit.per_seconds / time_scale
        now = self._clock()
        with self._lock:
            calls = self._calls[key]
            while calls and calls[0] <= now - window:
                calls.popleft()
            if len(calls) >= limit.calls:
                return calls[0] + window - now
            calls.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()


@dataclass
class LoggedRequest:
    at: float  # wall-clock epoch seconds
    service: str
    method: str
    path: str
    operation: str
    status: int
    detail: str = ""


class RequestLog:
    """The last `capacity` requests the emulated APIs answered, oldest first."""

    def __init__(self, capacity: int = 2000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, service: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [e for e in self._entries if service is None or e.service == service]

    def count(self, service: str, operation: str | None = None) -> int:
        return sum(1 for e in self.entries(service) if operation in (None, e.operation))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries()]


@dataclass
class ServiceControls:
    latency: Latency = field(default_factory=Latency)
    faults: Faults = field(default_factory=Faults)
    rate_limits_enabled: bool = True


class Traffic:
    """Latency, faults and rate limits for all emulated services, changeable at run time."""

    def __init__(
        self,
        time_scale: float = 1.0,
        latency: Latency | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self.time_scale = self._baseline_time_scale = time_scale
        self._baseline = latency or Latency()
        self.controls: dict[str, ServiceControls] = self._baseline_controls()
        self.limiter = SlidingWindowLimiter(clock)
        self.log = RequestLog()

    def latency_seconds(self, service: str) -> float:
        """How long the service's next call takes, from arrival to answer."""
        return self.controls[service].latency.sample_seconds()

    def fault(self, service: str) -> int | None:
        return self.controls[service].faults.status_now(self._clock())

    def retry_after(self, service: str, key: tuple[str, ...], limit: Limit) -> int | None:
        """None when the call may proceed, else whole seconds for a `Retry-After` header (≥ 1)."""
        if not self.controls[service].rate_limits_enabled:
            return None
        wait = self.limiter.acquire((service, *key), limit, self.time_scale)
        return None if wait is None else max(1, math.ceil(wait))

    def start_outage(self, service: str, seconds: float, status: int = 503) -> None:
        faults = self.controls[service].faults
        faults.outage_until = self._clock() + seconds
        faults.outage_status = status

    def end_outage(self, service: str) -> None:
        self.controls[service].faults.outage_until = 0.0

    def configure(self, service: str, changes: dict[str, Any]) -> None:
        """Apply `{"latency_ms", "jitter_ms", "error_rate", "error_status", "outage_seconds",
        "rate_limits"}`; unknown keys raise `KeyError` naming them."""
        controls = self.controls[service]
        unknown = set(changes) - {
            "latency_ms",
            "jitter_ms",
            "error_rate",
            "error_status",
            "outage_seconds",
            "outage_status",
            "rate_limits",
        }
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        if "latency_ms" in changes:
            controls.latency.fixed_ms = float(changes["latency_ms"])
        if "jitter_ms" in changes:
            controls.latency.jitter_ms = float(changes["jitter_ms"])
        if "error_rate" in changes:
            controls.faults.error_rate = float(changes["error_rate"])
        if "error_status" in changes:
            controls.faults.error_status = int(changes["error_status"])
        if "rate_limits" in changes:
            controls.rate_limits_enabled = bool(changes["rate_limits"])
        if "outage_seconds" in changes:
            seconds = float(changes["outage_seconds"])
            if seconds > 0:
                self.start_outage(service, seconds, int(changes.get("outage_status", 503)))
            else:
                self.end_outage(service)

    def describe(self) -> dict[str, Any]:
        now = self._clock()
        return {
            "time_scale": self.time_scale,
            "services": {
                name: {
                    "latency_ms": c.latency.fixed_ms,
                    "jitter_ms": c.latency.jitter_ms,
                    "error_rate": c.faults.error_rate,
                    "outage_seconds_left": max(0.0, c.faults.outage_until - now),
                    "rate_limits": c.rate_limits_enabled,
                }
                for name, c in self.controls.items()
            },
        }

    def _baseline_controls(self) -> dict[str, ServiceControls]:
        return {name: ServiceControls(latency=replace(self._baseline)) for name in SERVICES}

    def reset(self) -> None:
        """Back to the start-up latency, no faults, empty rate-limit windows and log."""
        self.controls = self._baseline_controls()
        self.time_scale = self._baseline_time_scale
        self.limiter.reset()
        self.log.clear()
