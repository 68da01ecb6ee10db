"""routing: per-location routing settings, the routing configuration document, capacity index

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("routing_settings", JSON_DOC, nullable=False, server_default="{}"))
    with op.batch_alter_table("allocations") as batch:
        batch.create_index("ix_allocations_location_created", ["location_id", "created_at"])
    op.create_table(
        "routing_configs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_configs")),
    )


def downgrade() -> None:
    op.drop_table("routing_configs")
    with op.batch_alter_table("allocations") as batch:
        batch.drop_index("ix_allocations_location_created")
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("routing_settings")
