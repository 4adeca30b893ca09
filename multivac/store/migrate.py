"""Schema migrations, run from code (`multivac db upgrade`, tests): Alembic with the scripts in
`multivac/store/migrations`, configured here rather than by an alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from multivac.store.database import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for this database, for Alembic commands not wrapped here
    (`command.revision(config, autogenerate=True)` when the models change)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (creating the SQLite file and its directory if needed), all
    in one transaction on both SQLite and PostgreSQL. Idempotent: at `revision` already, it does
    nothing. Run it from one process at a time."""
    command.upgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
