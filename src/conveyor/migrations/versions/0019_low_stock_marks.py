"""low-stock alerts: the SKU×location pairs announced as below their threshold

Revision ID: 0019
Revises: 0015
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "low_stock_marks",
        sa.Column("sku_id", sa.String(40), nullable=False),
        sa.Column("location_id", sa.String(40), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_low_stock_marks_sku_id_skus")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_low_stock_marks_location_id_locations")),
        sa.PrimaryKeyConstraint("sku_id", "location_id", name=op.f("pk_low_stock_marks")),
    )


def downgrade() -> None:
    op.drop_table("low_stock_marks")
