"""A process's threads take turns to write to a SQLite file through the engine's writer gate:
held from the statement that opens a write transaction until it commits, rolls back or the
connection closes; never by reads; never in the way of a thread that already holds it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from multivac.store.database import make_engine
from multivac.store.sqlite_writers import WriterGate, opens_write
from tests.integration.concurrency import run_concurrently

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counts (n INTEGER)"))
    yield engine
    engine.dispose()


def gate_of(engine: Engine) -> WriterGate:
    with engine.connect() as connection:
        gate: WriterGate = connection.connection.dbapi_connection.writers  # type: ignore[union-attr]
        return gate


def test_a_write_transaction_holds_the_gate_until_it_commits(engine: Engine) -> None:
    gate = gate_of(engine)
    with engine.begin() as connection:
        connection.execute(text("SELECT count(*) FROM counts"))
        assert not gate.held
        connection.execute(text("INSERT INTO counts VALUES (1)"))
        assert gate.held
        connection.execute(text("UPDATE counts SET n = 2"))
        assert gate.held
    assert not gate.held


def test_a_rollback_or_a_closed_connection_gives_the_gate_back(engine: Engine) -> None:
    gate = gate_of(engine)
    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.execute(text("INSERT INTO counts VALUES (1)"))
        raise RuntimeError("rolled back")
    assert not gate.held
    connection = engine.connect()
    connection.execute(text("INSERT INTO counts VALUES (1)"))
    assert gate.held
    connection.invalidate()  # the pool closes the driver's connection
    assert not gate.held
    with engine.connect() as check:
        assert check.execute(text("SELECT count(*) FROM counts")).scalar() == 0


def test_threads_writing_at_once_all_commit(engine: Engine) -> None:
    def add_one(_: int) -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO counts VALUES (1)"))
            connection.execute(text("SELECT count(*) FROM counts"))
            connection.execute(text("UPDATE counts SET n = n + 1"))

    run_concurrently(12, add_one)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM counts")).scalar() == 12
    assert not gate_of(engine).held


def test_a_thread_holding_the_gate_passes_it_again() -> None:
    gate = WriterGate(timeout=5.0)
    assert gate.enter()
    assert not gate.enter()  # its other connection goes on; SQLite decides between them
    gate.leave()
    assert not gate.held


def test_a_writer_kept_waiting_too_long_goes_on_without_the_gate() -> None:
    gate = WriterGate(timeout=0.05)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        gate.enter()
        holding.set()
        done.wait(5)
        gate.leave()

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    try:
        assert not gate.enter()  # SQLite's own busy timeout takes over from here
    finally:
        done.set()
        holder.join(5)
    assert not gate.held


@pytest.mark.parametrize(
    ("statement", "writes"),
    [
        ("INSERT INTO t VALUES (1)", True),
        ("  update t set x = 1", True),
        ("DELETE FROM t", True),
        ("REPLACE INTO t VALUES (1)", True),
        ("SELECT * FROM t", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ("PRAGMA journal_mode", False),
    ],
)
def test_which_statements_open_a_write(statement: str, writes: bool) -> None:
    assert opens_write(statement) is writes
