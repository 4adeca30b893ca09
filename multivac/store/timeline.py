"""Incident timelines. Entries from repeated inputs (a retried Slack event, a reaction added twice)
carry a `dedup_key` and are stored once per incident.

None of these functions commit; their guarantees hold once the caller's transaction commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from multivac.store.models import TimelineEntry, utcnow
from multivac.store.statements import dialect_of, insert_or_ignore_template, table_of

_ENTRIES = table_of(TimelineEntry)


def add_timeline(
    session: Session,
    incident_id: int,
    kind: str,
    text: str,
    at: datetime,
    *,
    actor: str | None = None,
    source: str | None = None,
    data: dict[str, Any] | None = None,
    dedup_key: str | None = None,
) -> bool:
    """Append an entry; False when the incident already has one with this `dedup_key`. Entries
    without a key are always added. Safe under concurrency: never raises for a duplicate key.
    `at` must be timezone-aware."""
    values = {
        "incident_id": incident_id,
        "kind": kind,
        "text": text,
        "at": at,
        "actor": actor,
        "source": source,
        "data": data,
        "dedup_key": dedup_key,
        "created_at": utcnow(),
    }
    statement = insert_or_ignore_template(
        dialect_of(session), _ENTRIES, ("incident_id", "dedup_key")
    ).returning(_ENTRIES.c.id)
    return session.execute(statement, values).first() is not None


def timeline(session: Session, incident_id: int) -> list[TimelineEntry]:
    """The incident's entries in time order (insertion order among equal times)."""
    statement = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(TimelineEntry.at, TimelineEntry.id)
    )
    return list(session.scalars(statement))
