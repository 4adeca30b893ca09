"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from multivac.store.database import make_engine
from multivac.store.migrate import alembic_config, current, upgrade
from multivac.store.models import Base

pytestmark = pytest.mark.integration


def schema_differences(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def test_head_is_the_latest_numbered_revision(empty_database_url: str) -> None:
    assert head_revision(empty_database_url) == "0004"


def test_upgrade_from_empty_builds_exactly_the_models(empty_database_url: str) -> None:
    assert current(empty_database_url) is None
    assert schema_differences(empty_database_url), "the comparison must see a missing schema"

    upgrade(empty_database_url)

    assert current(empty_database_url) == head_revision(empty_database_url)
    assert schema_differences(empty_database_url) == []


def test_upgrade_is_idempotent_and_downgrade_removes_everything(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)
    assert current(empty_database_url) == head_revision(empty_database_url)

    command.downgrade(alembic_config(empty_database_url), "base")

    engine = make_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    assert current(empty_database_url) is None


def test_enum_columns_refuse_unknown_values(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    insert = text(
        "INSERT INTO deliveries (source, dedup_key, event_type, received_at, payload, status, "
        "attempts) VALUES ('pagerduty', :key, 'incident.triggered', CURRENT_TIMESTAMP, '{}', "
        ":status, 0)"
    )
    try:
        with engine.begin() as connection:
            connection.execute(insert, {"key": "accepted", "status": "received"})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert, {"key": "refused", "status": "bogus"})
    finally:
        engine.dispose()


def test_step_status_queued_arrives_in_0004_and_leaves_with_its_rows(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url, "0003")
    engine = make_engine(empty_database_url)
    incident = text(
        "INSERT INTO incidents (number, source, title, status, private, last_event_at, "
        "created_at, updated_at) VALUES (1, 'pagerduty', 't', 'triggered', false, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    step = text(
        "INSERT INTO step_results (incident_id, step, status, attempts) "
        "VALUES ((SELECT id FROM incidents), :step, :status, 0)"
    )
    try:
        with engine.begin() as connection:
            connection.execute(incident)
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(step, {"step": "channel", "status": "queued"})

        upgrade(empty_database_url)
        with engine.begin() as connection:
            connection.execute(step, {"step": "channel", "status": "queued"})
            connection.execute(step, {"step": "jira", "status": "done"})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(step, {"step": "topic", "status": "bogus"})

        command.downgrade(alembic_config(empty_database_url), "0003")
        with engine.begin() as connection:
            left = connection.execute(text("SELECT step, status FROM step_results")).all()
        assert [tuple(row) for row in left] == [("jira", "done")]
    finally:
        engine.dispose()
