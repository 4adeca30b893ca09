"""How long to wait before trying an external call again."""

from __future__ import annotations

import random


def backoff_seconds(
    attempt: int, retry_after: float | None, *, cap: float, base: float = 1.0
) -> float:
    """`Retry-After` when the vendor gave one (plus a little jitter so retries do not march in
    step), else exponential backoff with jitter: base·2^attempt, capped, times 0.5 to 1.0."""
    if retry_after is not None:
        return min(cap, retry_after + random.uniform(0.0, 0.5))
    return min(cap, base * 2.0**attempt) * random.uniform(0.5, 1.0)
