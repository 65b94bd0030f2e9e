"""Digest subscriptions by account: an index on user_id for the account page.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_digest_subscriptions_user_id", "digest_subscriptions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_digest_subscriptions_user_id", table_name="digest_subscriptions")
