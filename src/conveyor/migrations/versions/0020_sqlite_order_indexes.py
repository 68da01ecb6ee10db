"""SQLite: drop three order indexes that only serve PostgreSQL

Two trigram (GIN) indexes and a jsonb GIN index exist for PostgreSQL's searches; on SQLite they were
plain B-trees that no query uses (one copied ix_orders_customer_email) and that every order paid
for on insert. The model marks them PostgreSQL-only (`ddl_if`).

Revision ID: 0020
Revises: 0017
"""
from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None

POSTGRESQL_ONLY = {"ix_orders_customer_name_trgm": "customer_name", "ix_orders_customer_email_trgm": "customer_email",
                   "ix_orders_tags": "tags"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for index in POSTGRESQL_ONLY:
            op.drop_index(index, table_name="orders")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for index, column in POSTGRESQL_ONLY.items():
            op.create_index(index, "orders", [column])
