"""Statements the repositories share: INSERT ... ON CONFLICT for SQLite and PostgreSQL (which spell
it the same but need their own dialect's construct; conflicts are resolved by the database, so
concurrent writers never raise) and conditional UPDATEs whose row count says who won."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, Insert, Table, Update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from multivac.store.models import Base


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def table_of(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


@cache
def insert_or_ignore_template(dialect: str, table: Table, conflict_on: tuple[str, ...]) -> Insert:
    """`insert_or_ignore` built once (per dialect) for the hot paths: execute it with the row's
    values as parameters. Building a statement costs more than running a cached one."""
    statement = insert_for(dialect, table)
    return statement.on_conflict_do_nothing(index_elements=list(conflict_on))


@cache
def upsert_template(
    dialect: str, table: Table, conflict_on: tuple[str, ...], update: tuple[str, ...]
) -> Insert:
    """`upsert` built once (per dialect), for the hot paths; execute it with the row's values."""
    statement = insert_for(dialect, table)
    assignments = {name: statement.excluded[name] for name in update}
    return statement.on_conflict_do_update(index_elements=list(conflict_on), set_=assignments)


def insert_for(dialect: str, model: type[Base] | Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's own INSERT construct, which can say what to do ON CONFLICT."""
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"no ON CONFLICT support for the {dialect} dialect")


def insert_or_ignore(
    session: Session,
    model: type[Base] | Table,
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    conflict_on: Sequence[str] | None = None,
) -> Insert:
    """An INSERT of one row (or several, in one statement) that silently skips a row that would
    violate the unique constraint on `conflict_on` (any unique constraint when None). Add
    `.returning(...)` to learn which rows were inserted. Given a model, the statement is ORM-enabled
    (it can return model objects); given its table, it is a plain Core statement (cheaper)."""
    rows = dict(values) if isinstance(values, Mapping) else [dict(row) for row in values]
    statement = insert_for(dialect_of(session), model).values(rows)
    return statement.on_conflict_do_nothing(index_elements=conflict_on)


def upsert(
    session: Session,
    model: type[Base],
    values: Mapping[str, Any],
    *,
    conflict_on: Sequence[str],
    update: Sequence[str] = (),
    update_with: Mapping[str, Any] | None = None,
) -> Insert:
    """An INSERT that, when a row with the same `conflict_on` columns exists, updates that row
    instead: its `update` columns get the new values, and `update_with` sets columns to expressions
    (which may read the existing row, e.g. `value + 1`)."""
    statement = insert_for(dialect_of(session), model).values(dict(values))
    assignments: dict[str, Any] = {name: statement.excluded[name] for name in update}
    assignments.update(update_with or {})
    return statement.on_conflict_do_update(index_elements=conflict_on, set_=assignments)


def expire_loaded(session: Session, model: type[Base], key: Any) -> None:
    """After a Core statement changed a row behind the ORM's back: if this session has loaded
    it as a `model` object, that object re-reads its columns when next used, so it never shows
    what the statement replaced."""
    loaded = session.identity_map.get(session.identity_key(model, key))
    if loaded is not None:
        session.expire(loaded)


def rows_updated(session: Session, statement: Update) -> int:
    """Run an UPDATE in the session's transaction; the number of rows it changed. A conditional
    UPDATE is atomic on both backends, so when it matches one row exactly one caller gets 1."""
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount
