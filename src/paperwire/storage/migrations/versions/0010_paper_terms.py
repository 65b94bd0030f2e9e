"""Each paper's terms, for the in-memory keyword index (format: paperwire/terms.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

Papers stored before this revision get their terms from `paperwire embed`, which is
resumable; until then hybrid search ranks keywords in SQL as before (docs/search.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_terms",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("analyzer", sa.String(16), nullable=False),
        sa.Column("terms", sa.LargeBinary(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name="fk_paper_terms_paper_id_papers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paper_id", name="pk_paper_terms"),
    )
    op.create_index("ix_paper_terms_seq", "paper_terms", ["seq"])
    counters = sa.table("change_counters", sa.column("name"), sa.column("value"))
    op.bulk_insert(counters, [{"name": "terms", "value": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM change_counters WHERE name = 'terms'")
    op.drop_index("ix_paper_terms_seq", table_name="paper_terms")
    op.drop_table("paper_terms")
