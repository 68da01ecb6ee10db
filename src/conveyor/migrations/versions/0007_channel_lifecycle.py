"""channel lifecycle: platform order number, channel totals and payment state on orders; platform
line ids on order lines; topic and event on inbound payloads

Revision ID: 0007
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("order_number", sa.String(100), nullable=True))
        batch.add_column(sa.Column("channel_totals", JSON, nullable=True))
        batch.add_column(sa.Column("channel_payment", sa.String(30), nullable=True))
        batch.create_index("ix_orders_order_number", ["order_number"])
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("platform_line_id", sa.String(100), nullable=True))
    with op.batch_alter_table("inbound_payloads") as batch:
        batch.add_column(sa.Column("topic", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("event", sa.String(20), nullable=False, server_default=""))
        batch.create_index("ix_inbound_payloads_channel_external", ["channel_id", "external_id"])


def downgrade() -> None:
    with op.batch_alter_table("inbound_payloads") as batch:
        batch.drop_index("ix_inbound_payloads_channel_external")
        batch.drop_column("event")
        batch.drop_column("topic")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("platform_line_id")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_order_number")
        batch.drop_column("channel_payment")
        batch.drop_column("channel_totals")
        batch.drop_column("order_number")
