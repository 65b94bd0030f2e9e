"""pgvector on PostgreSQL where the extension can be created: an `embedding vector` column.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

Where the extension is missing (or may not be created) nothing changes, a warning is
logged, and search keeps its in-memory index; `paperwire embed` runs the same idempotent
step again later (docs/search.md, "PostgreSQL"). SQLite: nothing to do.
"""

from __future__ import annotations

from alembic import op

from paperwire.storage.pgvector import enable_database_vectors

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    enable_database_vectors(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The extension stays: other databases in the cluster may use it.
        op.execute("ALTER TABLE paper_embeddings DROP COLUMN IF EXISTS embedding")
