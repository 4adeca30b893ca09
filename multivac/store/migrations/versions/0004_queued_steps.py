"""War-room steps can be queued: dispatched to a worker once, before anyone has claimed them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("claimed", "done", "failed")
AFTER = ("queued", *BEFORE)


def _status(*values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name="step_status",
        native_enum=False,
        create_constraint=True,
        length=max(len(value) for value in values),
    )


def _replace_status(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """The column's CHECK constraint belongs to its enum type: changing the type replaces it
    (SQLite by rebuilding the table)."""
    with op.batch_alter_table("step_results") as table:
        table.alter_column("status", existing_type=_status(*old), type_=_status(*new))


def upgrade() -> None:
    _replace_status(BEFORE, AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM step_results WHERE status = 'queued'")
    _replace_status(AFTER, BEFORE)
