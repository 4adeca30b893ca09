"""Alembic environment, driven by `multivac.store.migrate` (there is no alembic.ini).

The caller passes the database URL in `config.attributes["database_url"]`. Migrations run on an
engine built by `make_engine`, so SQLite gets the same pragmas as the application.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, event

from multivac.store.database import make_engine
from multivac.store.models import Base


def run_offline(url: str) -> None:
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_transactional_ddl(engine: Engine) -> None:
    """Make SQLite run the whole upgrade in one transaction: the driver would otherwise commit
    each CREATE/ALTER on its own, and a failed migration would leave a half-built schema."""

    def autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "connect", autocommit_driver)
    event.listen(engine, "begin", begin)


def run_online(url: str) -> None:
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        _sqlite_transactional_ddl(engine)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                # SQLite cannot ALTER most things; batch mode copies the table instead.
                render_as_batch=sqlite,
                transactional_ddl=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def main() -> None:
    url = context.config.attributes.get("database_url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database URL: run migrations through multivac.store.migrate")
    if context.is_offline_mode():
        run_offline(str(url))
    else:
        run_online(str(url))


main()
