"""Engines are configured for concurrent workers, transactions are all-or-nothing, the user cache
remembers hits and misses for as long as it is told to, and a person holds a role in an incident
once — on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from multivac.store.cache import cache_get, cache_put
from multivac.store.database import make_engine, transaction
from multivac.store.incidents import create_incident
from multivac.store.models import Incident, IncidentSource, Role
from multivac.store.responders import add_responder, responders
from tests.integration.concurrency import run_concurrently

pytestmark = pytest.mark.integration

Factory = sessionmaker[Session]
SLACK = "slack_by_email"


def test_engine_settings_suit_concurrent_workers(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        if migrated_engine.dialect.name == "sqlite":
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
            assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}
        else:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1


def test_a_connection_the_server_dropped_while_idle_is_replaced_unseen(
    migrated_engine: Engine,
) -> None:
    if migrated_engine.dialect.name == "sqlite":
        pytest.skip("a SQLite file has no server to lose the connection")
    url = migrated_engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, ping_after_idle=0.0)
    try:
        with engine.connect() as connection:
            dropped = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with migrated_engine.begin() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(dropped or 0)})")
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != dropped
    finally:
        engine.dispose()


def test_only_connections_idle_for_a_while_are_pinged(
    migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if migrated_engine.dialect.name == "sqlite":
        pytest.skip("a SQLite file has no server to lose the connection")
    url = migrated_engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, ping_after_idle=0.2, pool_size=1)
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: object) -> bool:  # a spy: the real ping, counted
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)
    try:
        for _ in range(3):  # a new connection, then the same one used a moment ago
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        assert pings == []
        time.sleep(0.3)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_sqlite_file_directory_is_created(tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("engine") / "a" / "b" / "multivac.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    finally:
        engine.dispose()
    assert path.is_file()


def test_a_failed_transaction_leaves_nothing_behind(session_factory: Factory) -> None:
    with pytest.raises(RuntimeError, match="flow broke"), transaction(session_factory) as session:
        create_incident(session, title="declared", source=IncidentSource.SLACK)
        raise RuntimeError("flow broke")
    with transaction(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 0
        # The number was not consumed either.
        assert create_incident(session, title="again", source=IncidentSource.SLACK).number == 1


def test_cache_hits_misses_and_known_absences(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        assert cache_get(session, SLACK, "ada@example.com", timedelta(hours=1)) is None
        cache_put(session, SLACK, "ada@example.com", "U123")
        cache_put(session, SLACK, "ghost@example.com", None)
    with session_factory() as session:
        hit = cache_get(session, SLACK, "ada@example.com", timedelta(hours=1))
        absent = cache_get(session, SLACK, "ghost@example.com", timedelta(hours=1))
        other_kind = cache_get(session, "jira_by_email", "ada@example.com", timedelta(hours=1))
    assert hit is not None
    assert hit.value == "U123"
    assert hit.fetched_at.tzinfo is not None
    assert absent is not None
    assert absent.value is None
    assert other_kind is None


def test_cache_entries_expire_and_are_replaced(session_factory: Factory) -> None:
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    with transaction(session_factory) as session:
        cache_put(session, SLACK, "ada@example.com", "U_OLD", fetched_at=two_hours_ago)
    with transaction(session_factory) as session:
        assert cache_get(session, SLACK, "ada@example.com", timedelta(hours=1)) is None
        stale = cache_get(session, SLACK, "ada@example.com", timedelta(hours=3))
        assert stale is not None
        assert stale.value == "U_OLD"
        cache_put(session, SLACK, "ada@example.com", "U_NEW")
    with session_factory() as session:
        fresh = cache_get(session, SLACK, "ada@example.com", timedelta(hours=1))
    assert fresh is not None
    assert fresh.value == "U_NEW"


def test_concurrent_cache_puts_never_raise(session_factory: Factory) -> None:
    def put(index: int) -> None:
        with transaction(session_factory) as session:
            cache_put(session, SLACK, "ada@example.com", f"U{index}")

    run_concurrently(5, put)
    with session_factory() as session:
        entry = cache_get(session, SLACK, "ada@example.com", timedelta(hours=1))
    assert entry is not None
    assert entry.value in {f"U{index}" for index in range(5)}


def test_a_person_holds_a_role_once_whatever_the_email_case(session_factory: Factory) -> None:
    with transaction(session_factory) as session:
        incident = create_incident(session, title="declared", source=IncidentSource.SLACK)
        incident_id = incident.id

    def add(index: int) -> bool:
        email = "Ada@Example.com" if index % 2 else "ada@example.com "
        with transaction(session_factory) as session:
            added = add_responder(
                session, incident_id, role=Role.RESPONDER, email=email, slack_user_id="U1"
            )
            return added is not None

    assert sorted(run_concurrently(5, add)) == [False, False, False, False, True]
    with transaction(session_factory) as session:
        lead = add_responder(session, incident_id, role=Role.LEAD, email="ada@example.com")
        assert lead is not None
        assert [r.role for r in responders(session, incident_id)] == ["responder", "lead"]
        only_leads = responders(session, incident_id, role=Role.LEAD)
        assert [(r.email, r.slack_user_id) for r in only_leads] == [("ada@example.com", None)]
