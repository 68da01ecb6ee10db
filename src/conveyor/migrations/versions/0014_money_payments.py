"""money (payments side): payments and their gateway attempts, the in-process providers' state,
invoices and credit notes with their lines, document number series. Every minor-unit column is BIGINT.

Revision ID: 0014
Revises: 0011
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    _payments()
    op.create_table(
        "document_series",
        sa.Column("key", sa.String(120), nullable=False),
        _money("last_seq"),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_document_series"),
    )
    _documents()


def _payments() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", name="fk_payments_order_id_orders"),
                  nullable=False),
        sa.Column("provider", sa.String(30), nullable=False),
        sa.Column("method", sa.String(30), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _money("amount_minor"),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("provider_reference", sa.String(100), nullable=True),
        sa.Column("source", JSON_DOC, nullable=False),
        _money("authorized_minor"),
        _money("captured_minor"),
        _money("refunded_minor"),
        _money("released_minor"),
        sa.Column("authorization_expires_at", UTC_DATETIME, nullable=True),
        sa.Column("replaced_by", sa.String(40), nullable=True),
        sa.Column("attention", sa.String(300), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
    )
    op.create_index("ix_payments_order", "payments", ["order_id", "id"])
    op.create_index("ix_payments_status_expiry", "payments", ["status", "authorization_expires_at"])
    op.create_index("ix_payments_provider_reference", "payments", ["provider", "provider_reference"])
    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("payment_id", sa.String(40),
                  sa.ForeignKey("payments.id", name="fk_payment_attempts_payment_id_payments"), nullable=False),
        sa.Column("order_id", sa.String(40),
                  sa.ForeignKey("orders.id", name="fk_payment_attempts_order_id_orders"), nullable=False),
        sa.Column("operation", sa.String(20), nullable=False),
        _money("amount_minor"),
        _money("moved_minor"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("provider_reference", sa.String(100), nullable=True),
        sa.Column("transaction_reference", sa.String(100), nullable=True),
        sa.Column("error_code", sa.String(100), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("authorization_expires_at", UTC_DATETIME, nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("raw", JSON_DOC, nullable=False),
        sa.Column("history", JSON_DOC, nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cause", sa.String(30), nullable=False),
        sa.Column("cause_id", sa.String(40), nullable=True),
        sa.Column("detail", JSON_DOC, nullable=False),
        sa.Column("attempted_at", UTC_DATETIME, nullable=False),
        sa.Column("completed_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payment_attempts"),
        sa.UniqueConstraint("idempotency_key", name="uq_payment_attempts_idempotency_key"),
    )
    op.create_index("ix_payment_attempts_payment", "payment_attempts", ["payment_id", "id"])
    op.create_index("ix_payment_attempts_order", "payment_attempts", ["order_id", "id"])
    op.create_index("ix_payment_attempts_outcome", "payment_attempts", ["outcome", "attempted_at"])
    op.create_index("ix_payment_attempts_completed", "payment_attempts", ["completed_at"])
    op.create_table(
        "gateway_state",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_gateway_state"),
    )


def _document_columns(table: str) -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("series_key", sa.String(120), nullable=False),
        _money("seq"),
        sa.Column("legal_entity", sa.String(50), nullable=False),
        sa.Column("issued_at", UTC_DATETIME, nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _money("net_minor"),
        _money("tax_minor"),
        _money("total_minor"),
        sa.Column("provider", sa.String(30), nullable=False),
        sa.Column("seller", JSON_DOC, nullable=False),
        sa.Column("buyer", JSON_DOC, nullable=False),
        sa.Column("order_reference", sa.String(100), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id", name=f"fk_{table}_order_id_orders"),
                  nullable=False),
        _money("shipping_minor"),
        _money("shipping_tax_minor"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint("number", name=f"uq_{table}_number"),
        sa.UniqueConstraint("series_key", "seq", name=f"uq_{table}_series_seq"),
    ]


def _line_columns(table: str, parent: str) -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column(f"{parent}_id", sa.String(40),
                  sa.ForeignKey(f"{parent}s.id", name=f"fk_{table}_{parent}_id_{parent}s"), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.String(40), nullable=True),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("unit_price_minor"),
        _money("discount_minor"),
        sa.Column("tax_rate", sa.String(12), nullable=False),
        _money("tax_minor"),
        _money("total_minor"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _documents() -> None:
    op.create_table(
        "invoices",
        *_document_columns("invoices"),
        sa.Column("cause", sa.String(20), nullable=False),
        sa.Column("cause_id", sa.String(60), nullable=True),
        sa.UniqueConstraint("cause_id", name="uq_invoices_cause_id"),
    )
    op.create_index("ix_invoices_order", "invoices", ["order_id", "id"])
    op.create_index("ix_invoices_issued_at", "invoices", ["issued_at"])
    op.create_table(
        "invoice_lines",
        *_line_columns("invoice_lines", "invoice"),
        sa.Column("first_unit", sa.Integer(), nullable=False),
        _money("cost_minor"),
    )
    op.create_index("ix_invoice_lines_invoice_id", "invoice_lines", ["invoice_id"])
    op.create_table(
        "credit_notes",
        *_document_columns("credit_notes"),
        sa.Column("invoice_id", sa.String(40), sa.ForeignKey("invoices.id", name="fk_credit_notes_invoice_id_invoices"),
                  nullable=True),
        sa.Column("refers_to", sa.String(60), nullable=True),
        sa.Column("refund_key", sa.String(255), nullable=False),
        _money("restocking_fee_minor"),
        sa.Column("restocked", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cause", sa.String(20), nullable=False),
        sa.Column("cause_id", sa.String(60), nullable=True),
        sa.UniqueConstraint("refund_key", name="uq_credit_notes_refund_key"),
    )
    op.create_index("ix_credit_notes_order", "credit_notes", ["order_id", "id"])
    op.create_index("ix_credit_notes_issued_at", "credit_notes", ["issued_at"])
    op.create_table(
        "credit_note_lines",
        *_line_columns("credit_note_lines", "credit_note"),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_credit_note_lines_credit_note_id", "credit_note_lines", ["credit_note_id"])


def downgrade() -> None:
    for index, table in (("ix_credit_note_lines_credit_note_id", "credit_note_lines"),
                         ("ix_credit_notes_issued_at", "credit_notes"), ("ix_credit_notes_order", "credit_notes"),
                         ("ix_invoice_lines_invoice_id", "invoice_lines"), ("ix_invoices_issued_at", "invoices"),
                         ("ix_invoices_order", "invoices")):
        op.drop_index(index, table_name=table)
    for table in ("credit_note_lines", "credit_notes", "invoice_lines", "invoices", "document_series",
                  "gateway_state"):
        op.drop_table(table)
    for index in ("ix_payment_attempts_completed", "ix_payment_attempts_outcome", "ix_payment_attempts_order",
                  "ix_payment_attempts_payment"):
        op.drop_index(index, table_name="payment_attempts")
    op.drop_table("payment_attempts")
    for index in ("ix_payments_provider_reference", "ix_payments_status_expiry", "ix_payments_order"):
        op.drop_index(index, table_name="payments")
    op.drop_table("payments")
