"""Readers' libraries: saved papers and their tags, "not interested", followed authors
and categories, and personal access tokens for the API.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_library_items()
    _create_reader_paper_table(
        "library_tags", [sa.Column("tag", sa.String(40), nullable=False)], ["tag"]
    )
    op.create_index("ix_library_tags_user_id_tag", "library_tags", ["user_id", "tag"])
    _create_reader_paper_table(
        "not_interested", [sa.Column("created_at", _MOMENT, nullable=False)], []
    )
    op.create_index("ix_not_interested_paper_id", "not_interested", ["paper_id"])
    _create_follows()
    _create_access_tokens()
    counters = sa.table("change_counters", sa.column("name"), sa.column("value"))
    op.bulk_insert(counters, [{"name": "library", "value": 0}])


def _create_library_items() -> None:
    _create_reader_paper_table(
        "library_items",
        [
            sa.Column("source", sa.String(16), nullable=False),
            sa.Column("added_at", _MOMENT, nullable=False),
        ],
        [],
    )
    op.create_index("ix_library_items_paper_id", "library_items", ["paper_id"])
    op.create_index("ix_library_items_user_id_added_at", "library_items", ["user_id", "added_at"])


def _create_reader_paper_table(name: str, columns: list[sa.Column[Any]], key: list[str]) -> None:
    """A table keyed by (user_id, paper_id, *key), whose rows go with the user or paper."""
    op.create_table(
        name,
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=f"fk_{name}_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name=f"fk_{name}_paper_id_papers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "paper_id", *key, name=f"pk_{name}"),
    )


def _create_follows() -> None:
    op.create_table(
        "follows",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value_key", sa.String(200), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_follows_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", "value_key", name="pk_follows"),
    )


def _create_access_tokens() -> None:
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("last_used_at", _MOMENT),
        sa.Column("revoked_at", _MOMENT),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_access_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_access_tokens_token_hash"),
    )
    op.create_index("ix_access_tokens_user_id", "access_tokens", ["user_id"])


def downgrade() -> None:
    op.execute("DELETE FROM change_counters WHERE name = 'library'")
    op.drop_table("access_tokens")
    op.drop_table("follows")
    op.drop_table("not_interested")
    op.drop_table("library_tags")
    op.drop_table("library_items")
