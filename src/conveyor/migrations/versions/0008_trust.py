"""trust: 64-bit money columns; the request id on timeline events and outbox messages

Revision ID: 0008
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None

MONEY = {
    "orders": ["subtotal_minor", "discount_minor", "tax_minor", "shipping_minor", "total_minor"],
    "order_lines": ["unit_price_minor", "discount_minor", "tax_minor", "total_minor"],
    "skus": ["price_minor"],
}


def upgrade() -> None:
    # SQLite's INTEGER already holds 64 bits; PostgreSQL's integer is 32 (USD 21,474,836.47 at most).
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in MONEY.items():
            for column in columns:
                op.alter_column(table, column, type_=sa.BigInteger(), existing_nullable=False)
    op.add_column("order_events", sa.Column("request_id", sa.String(64), nullable=True))
    op.add_column("outbox", sa.Column("request_id", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "request_id")
    op.drop_column("order_events", "request_id")
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in MONEY.items():
            for column in columns:
                op.alter_column(table, column, type_=sa.Integer(), existing_nullable=False)
