"""E-mail digests: subscriptions, deliveries claimed before sending, papers sent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("frequency", sa.String(8), nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False, server_default="0"),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.String(16), nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_subscriptions"),
        sa.UniqueConstraint("email", name="uq_digest_subscriptions_email"),
    )
    op.create_index(
        "ix_digest_subscriptions_status_frequency",
        "digest_subscriptions",
        ["status", "frequency"],
    )
    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("claim_token", sa.String(64)),
        sa.Column("last_error", sa.Text),
        sa.Column("paper_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_digest_deliveries"),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name="fk_digest_deliveries_subscription_id_digest_subscriptions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "subscription_id", "period", name="uq_digest_deliveries_subscription_id_period"
        ),
    )
    op.create_index(
        "ix_digest_deliveries_state_next_attempt_at",
        "digest_deliveries",
        ["state", "next_attempt_at"],
    )
    op.create_table(
        "digest_sent_papers",
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", "paper_id", name="pk_digest_sent_papers"),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name="fk_digest_sent_papers_subscription_id_digest_subscriptions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name="fk_digest_sent_papers_paper_id_papers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["digest_deliveries.id"],
            name="fk_digest_sent_papers_delivery_id_digest_deliveries",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_digest_sent_papers_delivery_id", "digest_sent_papers", ["delivery_id"])


def downgrade() -> None:
    op.drop_table("digest_sent_papers")
    op.drop_table("digest_deliveries")
    op.drop_table("digest_subscriptions")
