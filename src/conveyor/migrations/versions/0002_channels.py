"""channels: settings, secrets, SKU mapping, raw inbound payloads, phone drafts, outbox claims

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("config", JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("stock_buffer", JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("secrets_encrypted", sa.Text(), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=True))
    _channel_skus()
    _inbound_payloads()
    _draft_orders()


def _channel_skus() -> None:
    op.create_table(
        "channel_skus",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("channel_id", sa.String(length=40), nullable=False),
        sa.Column("channel_sku", sa.String(length=100), nullable=False),
        sa.Column("sku_id", sa.String(length=40), nullable=False),
        sa.Column("external_ref", sa.String(length=100), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], name=op.f("fk_channel_skus_channel_id_channels")),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_channel_skus_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_skus")),
        sa.UniqueConstraint("channel_id", "channel_sku", name="uq_channel_skus_channel_key"),
    )
    op.create_index("ix_channel_skus_sku", "channel_skus", ["sku_id"])


def _inbound_payloads() -> None:
    op.create_table(
        "inbound_payloads",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("channel_id", sa.String(length=40), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=True),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("problems", JSON, nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("processed_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"],
                                name=op.f("fk_inbound_payloads_channel_id_channels")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_inbound_payloads_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_payloads")),
        sa.UniqueConstraint("channel_id", "delivery_id", name="uq_inbound_payloads_delivery"),
    )
    op.create_index("ix_inbound_payloads_channel_status", "inbound_payloads", ["channel_id", "status"])


def _draft_orders() -> None:
    op.create_table(
        "draft_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("channel_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], name=op.f("fk_draft_orders_channel_id_channels")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_draft_orders_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_orders")),
    )


def downgrade() -> None:
    op.drop_table("draft_orders")
    op.drop_index("ix_inbound_payloads_channel_status", table_name="inbound_payloads")
    op.drop_table("inbound_payloads")
    op.drop_index("ix_channel_skus_sku", table_name="channel_skus")
    op.drop_table("channel_skus")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("secrets_encrypted")
        batch.drop_column("stock_buffer")
        batch.drop_column("config")
