"""Paper embeddings for semantic search and similar papers (format: docs/search.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_embeddings",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("text_hash", sa.String(32), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name="fk_paper_embeddings_paper_id_papers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paper_id", name="pk_paper_embeddings"),
    )
    op.create_index("ix_paper_embeddings_seq", "paper_embeddings", ["seq"])
    counters = sa.table("change_counters", sa.column("name"), sa.column("value"))
    op.bulk_insert(counters, [{"name": "embeddings", "value": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM change_counters WHERE name = 'embeddings'")
    op.drop_index("ix_paper_embeddings_seq", table_name="paper_embeddings")
    op.drop_table("paper_embeddings")
