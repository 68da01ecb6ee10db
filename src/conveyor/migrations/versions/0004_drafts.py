"""drafts: index for listing a channel's drafts, index for customer lookup by phone

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain CREATE INDEX works on both SQLite and PostgreSQL: no table rebuild (batch) needed.
    op.create_index("ix_draft_orders_channel_status", "draft_orders", ["channel_id", "status", "id"])
    op.create_index("ix_orders_customer_phone", "orders", ["customer_phone"])


def downgrade() -> None:
    op.drop_index("ix_orders_customer_phone", table_name="orders")
    op.drop_index("ix_draft_orders_channel_status", table_name="draft_orders")
