"""Papers with code: repositories, their daily stars, papers' links and readers' edits.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Papers stored before this revision get their links from `paperwire code links`, which is
resumable; stars come from `paperwire code refresh` (docs/code.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_repositories()
    _create_repository_stars()
    _create_paper_links()
    _create_paper_link_edits()
    op.create_index("ix_paper_stats_decayed_at", "paper_stats", ["decayed_at"])
    counters = sa.table("change_counters", sa.column("name"), sa.column("value"))
    op.bulk_insert(counters, [{"name": "code", "value": 0}])


def _create_repositories() -> None:
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("host", sa.String(64), nullable=False),
        sa.Column("path", sa.String(256), nullable=False),
        sa.Column("path_key", sa.String(256), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("remote_id", sa.BigInteger()),
        sa.Column("status", sa.String(16), server_default="new", nullable=False),
        sa.Column("stars", sa.Integer()),
        sa.Column("stars_gained_week", sa.Integer(), server_default="0", nullable=False),
        sa.Column("trend_score", sa.Double(), server_default="0", nullable=False),
        sa.Column("scored_at", _MOMENT),
        sa.Column("trend_rank", sa.Double()),
        sa.Column("etag", sa.Text()),
        sa.Column("checked_at", _MOMENT),
        sa.Column("next_check_at", _MOMENT),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_repositories"),
        sa.UniqueConstraint("host", "path_key", name="uq_repositories_host_path_key"),
    )
    op.create_index("ix_repositories_next_check_at", "repositories", ["next_check_at"])
    op.create_index("ix_repositories_trend_rank", "repositories", ["trend_rank"])


def _create_repository_stars() -> None:
    op.create_table(
        "repository_stars",
        sa.Column("repository_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name="fk_repository_stars_repository_id_repositories",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("repository_id", "day", name="pk_repository_stars"),
    )


def _create_paper_links() -> None:
    op.create_table(
        "paper_links",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("code_url", sa.Text()),
        sa.Column("code_source", sa.String(16)),
        sa.Column("project_url", sa.Text()),
        sa.Column("project_source", sa.String(16)),
        sa.Column("repository_id", sa.Integer()),
        sa.Column("updated_at", _MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_paper_links_paper_id_papers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["repository_id"],
            ["repositories.id"],
            name="fk_paper_links_repository_id_repositories",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("paper_id", name="pk_paper_links"),
    )
    op.create_index("ix_paper_links_repository_id", "paper_links", ["repository_id"])


def _create_paper_link_edits() -> None:
    op.create_table(
        "paper_link_edits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(8), nullable=False),
        sa.Column("old_url", sa.Text()),
        sa.Column("new_url", sa.Text()),
        sa.Column("user_id", sa.Integer()),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("reverted_at", _MOMENT),
        sa.Column("reverted_by", sa.Integer()),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name="fk_paper_link_edits_paper_id_papers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_paper_link_edits_user_id_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reverted_by"],
            ["users.id"],
            name="fk_paper_link_edits_reverted_by_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_paper_link_edits"),
    )
    op.create_index("ix_paper_link_edits_paper_id", "paper_link_edits", ["paper_id", "created_at"])
    op.create_index("ix_paper_link_edits_created_at", "paper_link_edits", ["created_at"])


def downgrade() -> None:
    op.execute("DELETE FROM change_counters WHERE name = 'code'")
    op.drop_index("ix_paper_stats_decayed_at", table_name="paper_stats")
    op.drop_table("paper_link_edits")
    op.drop_table("paper_links")
    op.drop_table("repository_stars")
    op.drop_table("repositories")
