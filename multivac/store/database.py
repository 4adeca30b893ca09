"""Engines, sessions and transactions, built from a database URL (never from module globals).

SQLite notes, which shape the repositories' concurrency contracts: connections use WAL (readers
never block the writer), wait up to `SQLITE_BUSY_TIMEOUT_MS` for the write lock instead of failing,
and enforce foreign keys. The driver opens a transaction only at the first INSERT/UPDATE/DELETE,
and that statement waits for the single write lock, so writers are serialised and the reads before
it behave like PostgreSQL's READ COMMITTED.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from multivac.store import sqlite_writers

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A pooled connection used this recently is taken as alive; one idle for longer is pinged first.
PING_AFTER_IDLE_SECONDS = 1.0


def _sqlite_file(url: URL) -> Path | None:
    """The file a SQLite URL names, or None for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(
    url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **engine_options: Any
) -> Engine:
    """An engine for `url`, configured for concurrent use by threads and processes.

    SQLite: the database file's directory is created if missing; connections may cross threads
    (each is still used by one thread at a time through the pool). PostgreSQL and others: a pooled
    connection idle for `ping_after_idle` seconds is checked before use, so a restarted server
    costs no failed request (SQLAlchemy's pre-ping would check every use: a round trip per
    transaction). `engine_options` go to `sqlalchemy.create_engine` unchanged. The caller
    disposes the engine.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(parsed, **engine_options)
        _ping_idle_connections(engine, ping_after_idle)
        return engine
    path = _sqlite_file(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    busy_timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    gate = sqlite_writers.WriterGate(timeout=busy_timeout)
    connect_args = {
        "check_same_thread": False,
        "timeout": busy_timeout,
        "factory": sqlite_writers.gated_connection_class(gate),
    }
    engine = create_engine(parsed, connect_args=connect_args, **engine_options)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "before_cursor_execute", sqlite_writers.before_cursor_execute)
    return engine


def _ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling for connections idle longer than `idle_seconds` (the
    checkout recipe of SQLAlchemy's documentation): a dead one is replaced before it is used."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def fresh(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (up to three times).
            raise exc.DisconnectionError(str(error)) from error


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit (no expiry on commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(session_factory: Callable[[], Session]) -> Iterator[Session]:
    """A new session inside one transaction: committed when the block ends normally, rolled back
    (and the exception re-raised) otherwise; the session is closed either way."""
    with session_factory() as session, session.begin():
        yield session
