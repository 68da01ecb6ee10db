"""order lists at size: indexes for the channel filter, external ids, SKU codes, and trigram
indexes for searching a piece of a name or an e-mail address (PostgreSQL's pg_trgm)

Revision ID: 0012
Revises: 0010
"""
from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # In PostgreSQL's contrib package, and a trusted extension since version 13: the database
        # owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_orders_channel_id_id", "orders", ["channel_id", "id"])
    op.create_index("ix_orders_external_id", "orders", ["external_id"])
    for column in ("customer_name", "customer_email"):
        op.create_index(f"ix_orders_{column}_trgm", "orders", [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})
    op.create_index("ix_order_lines_sku_code", "order_lines", ["sku_code"])


def downgrade() -> None:
    op.drop_index("ix_order_lines_sku_code", table_name="order_lines")
    for column in ("customer_name", "customer_email"):
        op.drop_index(f"ix_orders_{column}_trgm", table_name="orders")
    op.drop_index("ix_orders_external_id", table_name="orders")
    op.drop_index("ix_orders_channel_id_id", table_name="orders")
