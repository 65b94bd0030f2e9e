"""Harvest checkpoints, and whether a paper's listing day was reported or computed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(
            sa.Column("listing_day_exact", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "harvest_checkpoints",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(512), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cursor", sa.Text),
        sa.Column("window_from", sa.Date),
        sa.Column("window_until", sa.Date),
        sa.Column("pages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("papers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("source", "scope", name="pk_harvest_checkpoints"),
    )


def downgrade() -> None:
    op.drop_table("harvest_checkpoints")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("listing_day_exact")
