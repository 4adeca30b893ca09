"""Alembic migrations of the store; run them with `multivac.store.migrate`."""
