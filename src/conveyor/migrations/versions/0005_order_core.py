"""order core: one allocation row per (line, part, location); outbox payload versions

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Re-routes used to add a second row for the same line, part and location; fold them into the
# oldest row (sums of open and shipped units) before the unique constraint can hold.
MERGE = """
UPDATE allocations SET
  quantity = (SELECT SUM(b.quantity) FROM allocations b WHERE b.line_id = allocations.line_id
              AND b.sku_id = allocations.sku_id AND b.location_id = allocations.location_id),
  shipped = (SELECT SUM(b.shipped) FROM allocations b WHERE b.line_id = allocations.line_id
             AND b.sku_id = allocations.sku_id AND b.location_id = allocations.location_id)
WHERE id IN (SELECT MIN(id) FROM allocations GROUP BY line_id, sku_id, location_id HAVING COUNT(*) > 1)
"""
DROP_REST = """
DELETE FROM allocations WHERE id NOT IN (SELECT MIN(id) FROM allocations GROUP BY line_id, sku_id, location_id)
"""


def upgrade() -> None:
    op.execute(MERGE)
    op.execute(DROP_REST)
    with op.batch_alter_table("allocations") as batch:
        batch.create_unique_constraint("uq_allocations_line_sku_location", ["line_id", "sku_id", "location_id"])
    op.add_column("outbox", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    op.drop_column("outbox", "version")
    with op.batch_alter_table("allocations") as batch:
        batch.drop_constraint("uq_allocations_line_sku_location", type_="unique")
