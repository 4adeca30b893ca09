"""Databases for the storage tests: every test that asks for `session_factory` runs twice, on a
SQLite file and on a fresh PostgreSQL database, both built by the real migrations."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.threads import Threads
from multivac.integrations.fakes.chat import FakeChat
from multivac.integrations.fakes.pager import FakePager
from multivac.integrations.fakes.tracker import FakeTracker
from multivac.store.cache import Remembered
from multivac.store.database import make_engine, make_session_factory
from multivac.store.migrate import upgrade
from multivac.store.models import Base
from tests.support import sandbox_settings

POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
BACKENDS = ["sqlite", "postgresql"]


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(POSTGRES_ADMIN, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(
            "PostgreSQL is required for the storage tests and is not reachable at "
            f"127.0.0.1:5432 (user postgres, database test): {error}. Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`.",
            pytrace=False,
        )


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped (with its connections) afterwards."""
    name = f"multivac_test_{secrets.token_hex(6)}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield POSTGRES_URL.format(name=name)
    finally:
        with _admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database on `backend`."""
    if backend == "postgresql":
        with fresh_postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{directory / 'nested' / 'multivac.db'}"


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated database per backend for the whole test session."""
    with empty_database(request.param, tmp_path_factory.mktemp("store")) as url:
        upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def session_factory(migrated_engine: Engine) -> sessionmaker[Session]:
    """Sessions on a migrated database whose tables were emptied before this test."""
    with migrated_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    return make_session_factory(migrated_engine)


@pytest.fixture
def fake_deps(session_factory: sessionmaker[Session]) -> Iterator[Deps]:
    """What war-room steps work with, on the test database and with the vendors faked: for the
    bookkeeping around steps and deliveries, not their external calls."""
    settings = sandbox_settings(None, str(session_factory.kw["bind"].url))
    threads = Threads.start()
    yield Deps(
        FakeChat(), FakePager(), FakeTracker(), settings, session_factory, threads, Remembered()
    )
    threads.close()
