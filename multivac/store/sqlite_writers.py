"""One SQLite writer at a time per process, handed over at once.

SQLite lets one connection write at a time. A connection that finds the write lock taken polls
for it, sleeping 1, 2, 5, 10 ms and longer between tries, so when a process's threads write
together (steps of one war room finishing at the same moment) the lock is often free for
milliseconds before the next writer notices. Here the threads of a process queue for a write on
a lock of their own instead, and the next one goes as soon as the previous one has committed.
Other processes still meet the write lock and its busy timeout, as before.

A connection takes the gate at the statement that opens its write transaction (the driver opens
it at the first INSERT, UPDATE, DELETE or REPLACE) and gives it back once that transaction has
committed or rolled back, or the connection is closed. Reads never take it.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriterGate:
    """The queue of one process's writers to one database.

    A thread that already holds the gate through another connection is let through (SQLite
    decides between its connections), and a writer that waits longer than `timeout` seconds
    goes on without the gate, to meet SQLite's own busy timeout, so the gate never turns a
    stuck writer into a hang.
    """

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout
        self._holder: int | None = None

    def enter(self) -> bool:
        """Wait for the gate; True when this call holds it (and must `leave` it)."""
        if self._holder == threading.get_ident():
            return False
        if not self._lock.acquire(timeout=self._timeout):
            return False
        self._holder = threading.get_ident()
        return True

    def leave(self) -> None:
        self._holder = None
        self._lock.release()

    @property
    def held(self) -> bool:
        return self._lock.locked()


def opens_write(statement: str) -> bool:
    """True when the driver opens a write transaction for `statement`."""
    return statement.lstrip()[:7].upper().startswith(WRITES)


def gated_connection_class(gate: WriterGate) -> type[sqlite3.Connection]:
    """A `sqlite3.Connection` class (the driver's `factory`) whose writes pass `gate`."""

    class GatedConnection(sqlite3.Connection):
        writers = gate
        _holds_gate = False

        def before_execute(self, statement: str) -> None:
            """Called before each statement: wait for the gate when it opens a write."""
            if not self._holds_gate and not self.in_transaction and opens_write(statement):
                self._holds_gate = gate.enter()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self._leave()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self._leave()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self._leave()

        def _leave(self) -> None:
            if self._holds_gate:
                self._holds_gate = False
                gate.leave()

    return GatedConnection


def before_cursor_execute(
    _connection: Any,
    cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    """SQLAlchemy's `before_cursor_execute` hook for engines whose connections are gated."""
    connection = cursor.connection
    if hasattr(connection, "before_execute"):
        connection.before_execute(statement)
