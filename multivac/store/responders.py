"""The people in an incident's war room, one row per (incident, role, email).

None of these functions commit; their guarantees hold once the caller's transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from multivac.store.models import Responder, utcnow
from multivac.store.statements import (
    dialect_of,
    insert_or_ignore,
    insert_or_ignore_template,
    table_of,
)

_RESPONDERS = table_of(Responder)


def add_responder(
    session: Session,
    incident_id: int,
    *,
    role: str,
    email: str,
    slack_user_id: str | None = None,
    pagerduty_user_id: str | None = None,
    invited_at: datetime | None = None,
) -> Responder | None:
    """Add a person to the incident in `role`; None when they already hold that role (emails compare
    case-insensitively: they are stored lower-cased). Safe under concurrency: never raises for a
    duplicate."""
    values = {
        "incident_id": incident_id,
        "role": role,
        "email": email.strip().lower(),
        "slack_user_id": slack_user_id,
        "pagerduty_user_id": pagerduty_user_id,
        "invited_at": invited_at,
        "created_at": utcnow(),
    }
    statement = insert_or_ignore(
        session, Responder, values, conflict_on=["incident_id", "role", "email"]
    )
    return session.scalars(statement.returning(Responder)).one_or_none()


@dataclass(frozen=True)
class Person:
    """Someone to add to an incident, identified by email."""

    email: str
    slack_user_id: str | None = None
    pagerduty_user_id: str | None = None


def add_responders(session: Session, incident_id: int, role: str, people: Sequence[Person]) -> int:
    """Add everyone in `people` to the incident in `role` in one statement, skipping those who
    already hold it; how many were added. Safe under concurrency, like `add_responder`."""
    now = utcnow()
    rows = {
        person.email.strip().lower(): {
            "incident_id": incident_id,
            "role": role,
            "email": person.email.strip().lower(),
            "slack_user_id": person.slack_user_id,
            "pagerduty_user_id": person.pagerduty_user_id,
            "invited_at": None,
            "created_at": now,
        }
        for person in people
    }
    if not rows:
        return 0
    # Sorted, so that concurrent writers take the unique index's locks in the same order.
    statement = insert_or_ignore_template(
        dialect_of(session), _RESPONDERS, ("incident_id", "role", "email")
    ).returning(_RESPONDERS.c.id)
    return len(session.scalars(statement, [rows[email] for email in sorted(rows)]).all())


def responders(session: Session, incident_id: int, *, role: str | None = None) -> list[Responder]:
    """The incident's responders (only those in `role` when given), in the order they were added."""
    statement = select(Responder).where(Responder.incident_id == incident_id)
    if role is not None:
        statement = statement.where(Responder.role == role)
    return list(session.scalars(statement.order_by(Responder.id)))


def set_role_holder(
    session: Session,
    incident_id: int,
    *,
    role: str,
    email: str,
    slack_user_id: str | None = None,
    pagerduty_user_id: str | None = None,
) -> None:
    """Make this person the one holder of `role` (a lead, a CX liaison): whoever held it before
    no longer does. Idempotent; concurrent callers end with one of them holding it."""
    normalised = email.strip().lower()
    session.execute(
        delete(Responder).where(
            Responder.incident_id == incident_id,
            Responder.role == role,
            Responder.email != normalised,
        )
    )
    add_responder(
        session,
        incident_id,
        role=role,
        email=normalised,
        slack_user_id=slack_user_id,
        pagerduty_user_id=pagerduty_user_id,
    )
