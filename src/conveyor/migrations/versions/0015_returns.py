"""returns: RMAs and their lines, store credit per customer, the quarantine bucket on stock levels

Revision ID: 0015
Revises: 0016
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0016"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _quarantine() -> None:
    with op.batch_alter_table("stock_levels") as batch:
        batch.add_column(sa.Column("quarantined", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(op.f("ck_stock_levels_quarantined_not_negative"), "quarantined >= 0")
    with op.batch_alter_table("stock_ledger") as batch:
        batch.add_column(sa.Column("d_quarantined", sa.Integer(), nullable=False, server_default="0"))


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _returns() -> None:
    op.create_table(
        "returns",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("number", sa.String(120), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("in_store", sa.Boolean(), nullable=False),
        sa.Column("location_id", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("customer_key", sa.String(254), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("waived", JSON_DOC, nullable=False),
        sa.Column("return_by", sa.Date(), nullable=True),
        sa.Column("label_carrier", sa.String(50), nullable=False),
        sa.Column("label_service", sa.String(50), nullable=False),
        sa.Column("tracking_number", sa.String(100), nullable=False),
        sa.Column("label_provider", sa.String(30), nullable=False),
        sa.Column("label_provider_ref", sa.String(100), nullable=False),
        _money("label_cost_minor"),
        sa.Column("label_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("exchange_order_id", sa.String(40), nullable=True),
        _money("goods_minor"),
        _money("restocking_fee_minor"),
        _money("shipping_refund_minor"),
        _money("store_credit_minor"),
        _money("exchange_credit_minor"),
        _money("exchange_charge_minor"),
        _money("refund_due_minor"),
        _money("refunded_minor"),
        sa.Column("refund_status", sa.String(20), nullable=False),
        sa.Column("refund_reference", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("approved_at", UTC_DATETIME, nullable=True),
        sa.Column("received_at", UTC_DATETIME, nullable=True),
        sa.Column("resolved_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_returns_order_id_orders"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name="fk_returns_location_id_locations"),
        sa.PrimaryKeyConstraint("id", name="pk_returns"),
        sa.UniqueConstraint("number", name="uq_returns_number"),
    )
    with op.batch_alter_table("returns") as batch:
        batch.create_index("ix_returns_order", ["order_id", "id"])
        batch.create_index("ix_returns_status_id", ["status", "id"])
        batch.create_index("ix_returns_exchange_order", ["exchange_order_id"])


def _return_lines() -> None:
    count = sa.Integer()
    op.create_table(
        "return_lines",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("return_id", sa.String(40), nullable=False),
        sa.Column("order_line_id", sa.String(40), nullable=False),
        sa.Column("line_no", count, nullable=False),
        sa.Column("sku_id", sa.String(40), nullable=False),
        sa.Column("sku_code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kit_part", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        *(sa.Column(name, count, nullable=False) for name in (
            "requested", "approved", "received", "resellable", "damaged", "defective", "wrong_item", "missing")),
        sa.Column("graded", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("exchange_sku", sa.String(100), nullable=True),
        sa.Column("exchange_quantity", count, nullable=False),
        sa.Column("refundable_units", count, nullable=False),
        _money("amount_minor"),
        _money("fee_minor"),
        _money("tax_minor"),
        _money("unit_price_minor"),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"], name="fk_return_lines_return_id_returns"),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_lines.id"],
                                name="fk_return_lines_order_line_id_order_lines"),
        sa.PrimaryKeyConstraint("id", name="pk_return_lines"),
        sa.CheckConstraint("requested > 0 AND approved >= 0 AND received >= 0",
                           name="ck_return_lines_quantities_valid"),
        sa.CheckConstraint("resellable >= 0 AND damaged >= 0 AND defective >= 0 AND wrong_item >= 0 AND missing >= 0",
                           name="ck_return_lines_grades_not_negative"),
        sa.CheckConstraint("resellable + damaged + defective + wrong_item + missing <= approved",
                           name="ck_return_lines_graded_within"),
    )
    with op.batch_alter_table("return_lines") as batch:
        batch.create_index("ix_return_lines_return", ["return_id"])
        batch.create_index("ix_return_lines_order_line", ["order_line_id"])


def _store_credit() -> None:
    op.create_table(
        "store_credit_entries",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("customer_key", sa.String(254), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _money("amount_minor"),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("return_id", sa.String(40), nullable=True),
        sa.Column("order_id", sa.String(40), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"], name="fk_store_credit_entries_return_id_returns"),
        sa.PrimaryKeyConstraint("id", name="pk_store_credit_entries"),
    )
    with op.batch_alter_table("store_credit_entries") as batch:
        batch.create_index("ix_store_credit_customer", ["customer_key", "currency", "id"])


def upgrade() -> None:
    _quarantine()
    _returns()
    _return_lines()
    _store_credit()


def downgrade() -> None:
    op.drop_table("store_credit_entries")
    op.drop_table("return_lines")
    op.drop_table("returns")
    with op.batch_alter_table("stock_ledger") as batch:
        batch.drop_column("d_quarantined")
    with op.batch_alter_table("stock_levels") as batch:
        batch.drop_constraint(op.f("ck_stock_levels_quarantined_not_negative"), type_="check")
        batch.drop_column("quarantined")
