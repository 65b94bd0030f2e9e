"""Each paper's pairs of adjacent terms beside its terms, for the "for you" feed's reader
model (format: paperwire/terms.py).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Papers analysed before this revision get their pairs from `paperwire embed`, which is
resumable; until then the feed analyses those papers' text as it reads them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("paper_terms", sa.Column("pairs", sa.LargeBinary()))


def downgrade() -> None:
    with op.batch_alter_table("paper_terms") as batch:
        batch.drop_column("pairs")
