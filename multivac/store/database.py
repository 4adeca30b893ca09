"""Engines, sessions and transactions, built from a database URL (never from module globals).

SQLite notes, which shape the repositories' concurrency contracts: connections use WAL (readers
never block the writer), wait up to `SQLITE_BUSY_TIMEOUT_MS` for the write lock instead of failing,
and enforce foreign keys. The driver opens a transaction only at the first INSERT/UPDATE/DELETE,
and that statement waits for the single write lock, so writers are serialised and the reads before
it behave like PostgreSQL's READ COMMITTED.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


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


def make_engine(url: str, **engine_options: Any) -> Engine:
    """An engine for `url`, configured for concurrent use by threads and processes.

    SQLite: the database file's directory is created if missing; connections may cross threads
    (each is still used by one thread at a time through the pool). PostgreSQL and others: pooled
    connections are checked before use, so a restarted server costs no failed request.
    `engine_options` go to `sqlalchemy.create_engine` unchanged. The caller disposes the engine.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **engine_options)
    path = _sqlite_file(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = create_engine(parsed, connect_args=connect_args, **engine_options)
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit (no expiry on commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(session_factory: Callable[[], Session]) -> Iterator[Session]:
    """A new session inside one transaction: committed when the block ends normally, rolled back
    (and the exception re-raised) otherwise; the session is closed either way."""
    with session_factory() as session, session.begin():
        yield session
