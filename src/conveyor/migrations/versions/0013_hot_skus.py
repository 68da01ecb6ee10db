"""hot-SKU mode: bucket rows that hold slices of a hot SKU's stock at a location

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_level_buckets",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("sku_id", sa.String(40), sa.ForeignKey("skus.id", name="fk_stock_level_buckets_sku_id_skus"),
                  nullable=False),
        sa.Column("location_id", sa.String(40),
                  sa.ForeignKey("locations.id", name="fk_stock_level_buckets_location_id_locations"), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stock_level_buckets"),
        sa.UniqueConstraint("sku_id", "location_id", "bucket", name="uq_stock_level_buckets_pair_bucket"),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_level_buckets_on_hand_not_negative"),
        sa.CheckConstraint("allocated >= 0", name="ck_stock_level_buckets_allocated_not_negative"),
        sa.CheckConstraint("allocated <= on_hand", name="ck_stock_level_buckets_allocated_within_on_hand"),
    )


def downgrade() -> None:
    op.drop_table("stock_level_buckets")
