"""A small persistent cache of look-ups (Slack or Jira user ids by email), shared by all workers,
and what one process remembers of it (`Remembered`). A cached None means "looked up, not found"
(negative caching), distinct from a miss.

None of these functions commit; their guarantees hold once the caller's transaction commits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cachetools import LRUCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from multivac.store.models import UserCache, utcnow
from multivac.store.statements import upsert


@dataclass(frozen=True)
class Cached:
    """A cache hit; `value` None records that the looked-up thing does not exist."""

    value: str | None
    fetched_at: datetime


def cache_get(session: Session, kind: str, key: str, max_age: timedelta) -> Cached | None:
    """The entry for (`kind`, `key`) if fetched less than `max_age` ago, else None (a miss)."""
    statement = select(UserCache.value, UserCache.fetched_at).where(
        UserCache.kind == kind,
        UserCache.key == key,
        UserCache.fetched_at > utcnow() - max_age,
    )
    row = session.execute(statement).first()
    return None if row is None else Cached(value=row.value, fetched_at=row.fetched_at)


def cache_get_many(
    session: Session, kind: str, keys: Sequence[str], max_age: timedelta
) -> dict[str, Cached]:
    """`cache_get` for several keys in one query: the hits, by key (misses are absent)."""
    if not keys:
        return {}
    statement = select(UserCache.key, UserCache.value, UserCache.fetched_at).where(
        UserCache.kind == kind,
        UserCache.key.in_(keys),
        UserCache.fetched_at > utcnow() - max_age,
    )
    return {
        row.key: Cached(value=row.value, fetched_at=row.fetched_at)
        for row in session.execute(statement)
    }


def cache_put(
    session: Session, kind: str, key: str, value: str | None, *, fetched_at: datetime | None = None
) -> None:
    """Store or replace the entry (last writer wins; concurrent puts never raise). `fetched_at`
    defaults to now."""
    values = {"kind": kind, "key": key, "value": value, "fetched_at": fetched_at or utcnow()}
    session.execute(
        upsert(
            session, UserCache, values, conflict_on=["kind", "key"], update=["value", "fetched_at"]
        )
    )


class Remembered:
    """The shared cache's entries this process has read or written lately, so that a look-up
    another war room has just made costs no database round trip. An entry keeps the time it was
    fetched, and is served only while the shared cache would serve it. Thread-safe."""

    def __init__(self, size: int = 10_000) -> None:
        self._entries: LRUCache[tuple[str, str], Cached] = LRUCache(size)
        self._lock = threading.Lock()

    def get_many(self, kind: str, keys: Iterable[str], ttl: timedelta) -> dict[str, Cached]:
        fresh_after = datetime.now(UTC) - ttl
        with self._lock:
            found = {key: self._entries.get((kind, key)) for key in keys}
        return {key: hit for key, hit in found.items() if hit and hit.fetched_at > fresh_after}

    def put(self, kind: str, key: str, entry: Cached) -> None:
        with self._lock:
            self._entries[(kind, key)] = entry
