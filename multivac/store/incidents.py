"""Incidents: one per PagerDuty incident (a unique key, not a check), each with a gapless number.

None of these functions commit; their guarantees hold once the caller's transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypedDict, Unpack

from sqlalchemy import Insert, Update, and_, bindparam, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from multivac.store.models import (
    Counter,
    Incident,
    IncidentSource,
    IncidentStatus,
    Responder,
    utcnow,
)
from multivac.store.statements import (
    dialect_of,
    expire_loaded,
    insert_for,
    insert_or_ignore_template,
    rows_updated,
    table_of,
)

INCIDENT_COUNTER = "incident"
_INCIDENTS = table_of(Incident)
_COUNTERS = table_of(Counter)


class IncidentFields(TypedDict, total=False):
    """The columns a caller may set when creating or updating an incident."""

    severity: str | None
    status: IncidentStatus
    urgency: str | None
    pagerduty_number: int | None
    service_id: str | None
    service_name: str | None
    escalation_policy_id: str | None
    slack_channel_id: str | None
    slack_channel_name: str | None
    slack_summary_ts: str | None
    jira_key: str | None
    lead_email: str | None
    lead_slack_id: str | None
    lead_pagerduty_id: str | None
    cx_liaison_slack_id: str | None
    lead_name: str | None
    pagerduty_url: str | None
    war_room_started_at: datetime | None
    slack_archived_at: datetime | None
    private: bool
    triggered_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    last_event_at: datetime


def _allocate_number(session: Session) -> int:
    """The next incident number. Holds the counter's row lock (PostgreSQL) or the write lock
    (SQLite) until the transaction ends, which serialises incident creation so numbers have no gaps:
    keep transactions that create incidents short."""
    statement = _next_number(dialect_of(session))
    return int(session.execute(statement, {"name": INCIDENT_COUNTER, "value": 1}).scalar_one())


@cache
def _next_number(dialect: str) -> Insert:
    """The counter's upsert that adds one, built once per dialect."""
    return (
        insert_for(dialect, _COUNTERS)
        .on_conflict_do_update(index_elements=["name"], set_={"value": _COUNTERS.c.value + 1})
        .returning(_COUNTERS.c.value)
    )


def _release_number(session: Session, number: int) -> None:
    """Give back a number allocated in this transaction; nobody else can have taken a later one,
    because allocating holds the counter's lock."""
    rows_updated(
        session,
        update(Counter)
        .where(Counter.name == INCIDENT_COUNTER, Counter.value == number)
        .values(value=number - 1),
    )


def _new_incident_values(
    number: int, title: str, source: IncidentSource, fields: IncidentFields
) -> dict[str, object]:
    now = utcnow()
    defaults = {"status": IncidentStatus.TRIGGERED, "private": False, "last_event_at": now}
    return {
        **defaults,
        **fields,
        "number": number,
        "title": title,
        "source": source,
        "created_at": now,
        "updated_at": now,
    }


def create_incident(
    session: Session, *, title: str, source: IncidentSource, **fields: Unpack[IncidentFields]
) -> Incident:
    """A new incident with the next number and no PagerDuty id (e.g. declared in Slack). Not
    idempotent: a caller that may run twice must key its incident itself (see `claim_step`)."""
    incident = Incident(**_new_incident_values(_allocate_number(session), title, source, fields))
    session.add(incident)
    session.flush()
    return incident


def get_or_create_incident_for_pagerduty(
    session: Session, pagerduty_id: str, *, title: str, **fields: Unpack[IncidentFields]
) -> tuple[Incident, bool]:
    """The incident for this PagerDuty id and whether this call created it. An existing incident is
    returned unchanged (`title` and `fields` are only used to create).

    Safe under concurrency: simultaneous callers get the same incident and exactly one gets True;
    none raises. A caller that loses the race waits for the winner's transaction to end.
    """
    existing = incident_by_pagerduty_id(session, pagerduty_id)
    if existing is not None:
        return existing, False
    number = _allocate_number(session)
    values = _new_incident_values(number, title, IncidentSource.PAGERDUTY, fields)
    statement = _insert_for_pagerduty(dialect_of(session))
    created = session.execute(statement, {**values, "pagerduty_id": pagerduty_id}).first()
    if created is not None:
        incident = _loaded(session, created._asdict())
        # Until this transaction commits no other can see the row, let alone lock it.
        _locked_here(session).add(incident.id)
        return incident, True
    _release_number(session, number)
    winner = incident_by_pagerduty_id(session, pagerduty_id)
    if winner is None:  # the conflicting row vanished: deleted by a concurrent transaction
        raise LookupError(f"incident for PagerDuty {pagerduty_id} was deleted concurrently")
    return winner, False


_BY_PAGERDUTY_ID = select(*_INCIDENTS.c).where(
    _INCIDENTS.c.pagerduty_id == bindparam("p_pagerduty_id")
)


def _loaded(session: Session, columns: dict[str, Any]) -> Incident:
    """The session's `Incident` for a row read with Core, as if the ORM had loaded it (an object
    the session holds already is returned as it is), without another query."""
    held = session.identity_map.get(session.identity_key(Incident, columns["id"]))
    if isinstance(held, Incident):
        return held
    incident = Incident(**columns)
    make_transient_to_detached(incident)
    session.add(incident)
    return incident


@cache
def _insert_for_pagerduty(dialect: str) -> Insert:
    """The insert of an incident unless one has its PagerDuty id, returning it; once per dialect."""
    statement = insert_or_ignore_template(dialect, _INCIDENTS, ("pagerduty_id",))
    return statement.returning(*_INCIDENTS.c)


@cache
def _update_columns(names: frozenset[str]) -> Update:
    """UPDATE of these columns (and `updated_at`) of one incident, built once per set of names."""
    values: dict[str, Any] = {
        name: bindparam(f"v_{name}") for name in (*sorted(names), "updated_at")
    }
    return (
        update(_INCIDENTS)
        .where(_INCIDENTS.c.id == bindparam("p_incident"))
        .values(values)
        .returning(_INCIDENTS.c.id)
    )


def update_incident(session: Session, incident_id: int, **fields: Unpack[IncidentFields]) -> bool:
    """Set only the given columns (and `updated_at`), leaving columns that other workers may be
    writing at the same time untouched. False when the incident does not exist. An `Incident`
    this session has loaded shows the new values when next read."""
    values: dict[str, Any] = {f"v_{name}": value for name, value in fields.items()}
    parameters = {**values, "v_updated_at": utcnow(), "p_incident": incident_id}
    updated = session.execute(_update_columns(frozenset(fields)), parameters).first()
    expire_loaded(session, Incident, incident_id)
    if updated is not None:
        _locked_here(session).add(incident_id)  # an UPDATE locks the row as `lock_incident` does
    return updated is not None


# FOR NO KEY UPDATE: it serialises these transactions as FOR UPDATE would, but lets others insert
# rows that refer to the incident (timeline entries, responders) meanwhile.
_LOCK = (
    select(_INCIDENTS.c.id)
    .where(_INCIDENTS.c.id == bindparam("p_incident"))
    .with_for_update(key_share=True)
)


_CLAIM_WAR_ROOM = (
    update(_INCIDENTS)
    .where(_INCIDENTS.c.id == bindparam("p_incident"), _INCIDENTS.c.war_room_started_at.is_(None))
    .values(war_room_started_at=bindparam("p_now"))
    .returning(_INCIDENTS.c.id)
)


def claim_war_room(session: Session, incident_id: int, now: datetime) -> bool:
    """True for exactly one caller per incident: the one that starts its war room."""
    claimed = session.execute(_CLAIM_WAR_ROOM, {"p_incident": incident_id, "p_now": now})
    if claimed.first() is None:
        return False
    _locked_here(session).add(incident_id)
    return True


def lock_incident(session: Session, incident_id: int) -> None:
    """Make transactions that lock the same incident run one after another from here to their
    commit: each then sees what the one before it wrote. PostgreSQL: a row lock, taken once per
    transaction (updating the incident takes it too). SQLite: nothing to do, its writers are
    serialised already (by the first write of each transaction)."""
    if dialect_of(session) == "sqlite":
        return
    locked = _locked_here(session)
    if incident_id not in locked:
        session.execute(_LOCK, {"p_incident": incident_id})
        locked.add(incident_id)


def _locked_here(session: Session) -> set[int]:
    """The incidents whose row the session's current transaction holds locked."""
    transaction = session.get_transaction()
    held = session.info.get(_LOCKED)
    if held is None or held[0] is not transaction:
        held = session.info[_LOCKED] = (transaction, set())
    locked: set[int] = held[1]
    return locked


_LOCKED = "multivac.locked_incidents"


_RESPONDERS = table_of(Responder)
_SNAPSHOT = (
    select(
        _INCIDENTS,
        _RESPONDERS.c.role.label("holder_role"),
        _RESPONDERS.c.slack_user_id.label("holder_slack_id"),
    )
    .select_from(
        _INCIDENTS.outerjoin(
            _RESPONDERS,
            and_(
                _RESPONDERS.c.incident_id == _INCIDENTS.c.id,
                _RESPONDERS.c.role.in_(bindparam("p_roles", expanding=True)),
                _RESPONDERS.c.slack_user_id.is_not(None),
            ),
        )
    )
    .where(_INCIDENTS.c.id == bindparam("p_incident"))
    .order_by(_RESPONDERS.c.id)
)


@dataclass(frozen=True)
class Snapshot:
    """An incident as it is now, and who holds the asked-for roles."""

    incident: Incident  # not tracked by any session: changing it changes nothing stored
    role_holders: list[tuple[str, str]]  # (role, Slack user id), in the order they were added


def incident_snapshot(
    session: Session, incident_id: int, roles: Sequence[str] = ()
) -> Snapshot | None:
    """The incident and the holders of `roles` who have a Slack account, in one light query, for
    readers such as war-room steps; None when there is no such incident."""
    rows = session.execute(_SNAPSHOT, {"p_incident": incident_id, "p_roles": list(roles)}).all()
    if not rows:
        return None
    columns = {column.key: rows[0]._mapping[column] for column in _INCIDENTS.c}
    holders = [(row.holder_role, row.holder_slack_id) for row in rows if row.holder_role]
    return Snapshot(Incident(**columns), holders)


def get_incident(session: Session, incident_id: int) -> Incident | None:
    return session.get(Incident, incident_id)


def incident_by_pagerduty_id(session: Session, pagerduty_id: str) -> Incident | None:
    row = session.execute(_BY_PAGERDUTY_ID, {"p_pagerduty_id": pagerduty_id}).first()
    return None if row is None else _loaded(session, row._asdict())


def incident_by_number(session: Session, number: int) -> Incident | None:
    return session.scalars(select(Incident).where(Incident.number == number)).one_or_none()


def incident_by_channel(session: Session, slack_channel_id: str) -> Incident | None:
    statement = select(Incident).where(Incident.slack_channel_id == slack_channel_id)
    return session.scalars(statement).one_or_none()


def open_incidents(session: Session, *, limit: int | None = None) -> list[Incident]:
    """Incidents not resolved, most recent activity (`last_event_at`) first."""
    statement = (
        select(Incident)
        .where(Incident.status != IncidentStatus.RESOLVED)
        .order_by(Incident.last_event_at.desc(), Incident.id.desc())
        .limit(limit)
    )
    return list(session.scalars(statement))


def war_rooms_since(session: Session, since: datetime) -> list[int]:
    """Ids of incidents whose war room was started at or after `since`, oldest first."""
    statement = (
        select(Incident.id)
        .where(Incident.war_room_started_at >= since)
        .order_by(Incident.war_room_started_at)
    )
    return list(session.scalars(statement))


def link_pagerduty(
    session: Session, incident_id: int, pagerduty_id: str, **fields: Unpack[IncidentFields]
) -> bool:
    """Attach a PagerDuty incident to an incident that has none yet (declared in Slack, then
    paged); False when it already has one."""
    statement = (
        update(Incident)
        .where(Incident.id == incident_id, Incident.pagerduty_id.is_(None))
        .values(pagerduty_id=pagerduty_id, **fields)
        .execution_options(synchronize_session="fetch")
    )
    return rows_updated(session, statement) == 1


def resolved_unarchived(session: Session, resolved_before: datetime) -> list[Incident]:
    """Resolved incidents whose channel is still open and that were resolved before the time."""
    statement = select(Incident).where(
        Incident.status == IncidentStatus.RESOLVED,
        Incident.resolved_at <= resolved_before,
        Incident.slack_channel_id.is_not(None),
        Incident.slack_archived_at.is_(None),
    )
    return list(session.scalars(statement))
