"""Hidden papers: stored, merged into by harvests, shown to no reader.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy: SQLite's FTS5 index follows papers by rowid.
    op.add_column("papers", sa.Column("hidden_at", sa.DateTime(timezone=True)))
    op.add_column("papers", sa.Column("hidden_reason", sa.Text()))
    op.create_index("ix_papers_hidden_at", "papers", ["hidden_at"])


def downgrade() -> None:
    op.drop_index("ix_papers_hidden_at", table_name="papers")
    # SQLite 3.35+ drops a column in place; a batch copy would lose the FTS5 trigger.
    op.drop_column("papers", "hidden_reason")
    op.drop_column("papers", "hidden_at")
