"""Persistence: models, engine and sessions, migrations, and the operations the domain needs.

`database` builds engines and sessions from a URL; `migrate` upgrades a database; `deliveries`,
`incidents`, `responders`, `timeline`, `steps` and `cache` hold the operations. Those operations
never commit: they run in the caller's transaction (see `database.transaction`), and each documents
what it guarantees when several workers call it at once, identically on SQLite and PostgreSQL.
"""
