"""War room: the lead's name, the PagerDuty link, and when the war room was started.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as table:
        table.add_column(sa.Column("lead_name", sa.String(255), nullable=True))
        table.add_column(sa.Column("pagerduty_url", sa.Text(), nullable=True))
        table.add_column(
            sa.Column("war_room_started_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents") as table:
        table.drop_column("war_room_started_at")
        table.drop_column("pagerduty_url")
        table.drop_column("lead_name")
