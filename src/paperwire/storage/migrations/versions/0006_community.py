"""Community: accounts, votes with per-paper aggregates and hourly buckets, comments, submissions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _fk(column: str, table: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=f"fk_{table}_{column}_{referred}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("username_key", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username_key", name="uq_users_username_key"),
        sa.UniqueConstraint("email_key", name="uq_users_email_key"),
    )
    op.create_table(
        "votes",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "paper_id", name="pk_votes"),
        _fk("user_id", "votes", "users"),
        _fk("paper_id", "votes", "papers"),
    )
    op.create_index("ix_votes_paper_id", "votes", ["paper_id"])
    op.create_table(
        "paper_stats",
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("votes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("comments", sa.Integer, nullable=False, server_default="0"),
        sa.Column("decayed", sa.Double, nullable=False, server_default="0"),
        sa.Column("decayed_at", _TZ),
        sa.PrimaryKeyConstraint("paper_id", name="pk_paper_stats"),
        _fk("paper_id", "paper_stats", "papers"),
    )
    op.create_table(
        "vote_buckets",
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("hour", _TZ, nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "hour", name="pk_vote_buckets"),
        _fk("paper_id", "vote_buckets", "papers"),
    )
    _create_comments_and_submissions()
    counters = sa.table("change_counters", sa.column("name"), sa.column("value"))
    op.bulk_insert(counters, [{"name": "community", "value": 0}])


def _create_comments_and_submissions() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("edited_at", _TZ),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
        _fk("paper_id", "comments", "papers"),
        _fk("user_id", "comments", "users"),
    )
    op.create_index("ix_comments_paper_id", "comments", ["paper_id", "created_at"])
    op.create_table(
        "submissions",
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("listing_day", sa.Date, nullable=False),
        sa.Column("submitted_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", name="pk_submissions"),
        _fk("paper_id", "submissions", "papers"),
        _fk("user_id", "submissions", "users"),
    )
    op.create_index("ix_submissions_listing_day", "submissions", ["listing_day"])
    op.create_index("ix_submissions_user_id", "submissions", ["user_id", "submitted_at"])


def downgrade() -> None:
    for table in ("submissions", "comments", "vote_buckets", "paper_stats", "votes", "users"):
        op.drop_table(table)
    op.execute("DELETE FROM change_counters WHERE name = 'community'")
