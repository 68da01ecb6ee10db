"""buy and plan: suppliers, supplier items, purchase orders and lines, advance shipping notices,
receipts, replenishment settings, planned transfers, drop-ship flags, stored demand forecasts

Revision ID: 0010
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

# Dropped in this order (children first).
TABLES = ['receipts', 'purchase_order_lines', 'advance_shipping_notices', 'supplier_items', 'replenishment_settings', 'purchase_orders', 'planned_transfers', 'drop_ship_flags', 'demand_forecasts', 'suppliers']


def upgrade() -> None:
    op.create_table('suppliers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('address', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lead_time_days', sa.Float(), nullable=False),
    sa.Column('lead_time_sigma_days', sa.Float(), nullable=False),
    sa.Column('payment_terms', sa.String(length=100), nullable=False),
    sa.Column('drop_ship_location_id', sa.String(length=40), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['drop_ship_location_id'], ['locations.id'], name=op.f('fk_suppliers_drop_ship_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppliers')),
    sa.UniqueConstraint('code', name=op.f('uq_suppliers_code'))
    )
    op.create_table('demand_forecasts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('sku_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('daily', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('sigma', sa.Float(), nullable=False),
    sa.Column('wape', sa.Float(), nullable=True),
    sa.Column('mase', sa.Float(), nullable=True),
    sa.Column('demand_class', sa.String(length=20), nullable=False),
    sa.Column('history_days', sa.Integer(), nullable=False),
    sa.Column('backtest_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_demand_forecasts_location_id_locations')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_demand_forecasts_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demand_forecasts')),
    sa.UniqueConstraint('sku_id', 'location_id', name='uq_demand_forecasts_sku_location')
    )
    op.create_table('drop_ship_flags',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_drop_ship_flags_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drop_ship_flags')),
    sa.UniqueConstraint('scope', 'target_id', name='uq_drop_ship_flags_scope_target')
    )
    op.create_table('planned_transfers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('sku_id', sa.String(length=40), nullable=False),
    sa.Column('from_location_id', sa.String(length=40), nullable=False),
    sa.Column('to_location_id', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expected_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_planned_transfers_quantity_positive')),
    sa.ForeignKeyConstraint(['from_location_id'], ['locations.id'], name=op.f('fk_planned_transfers_from_location_id_locations')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_planned_transfers_sku_id_skus')),
    sa.ForeignKeyConstraint(['to_location_id'], ['locations.id'], name=op.f('fk_planned_transfers_to_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_transfers'))
    )
    op.create_index('ix_planned_transfers_status', 'planned_transfers', ['status', 'id'], unique=False)
    op.create_table('purchase_orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('expected_on', sa.Date(), nullable=True),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('ship_to', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('carrier', sa.String(length=50), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_purchase_orders_location_id_locations')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_purchase_orders_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_purchase_orders_number'))
    )
    op.create_index('ix_purchase_orders_order', 'purchase_orders', ['order_id'], unique=False)
    op.create_index('ix_purchase_orders_status', 'purchase_orders', ['status', 'id'], unique=False)
    op.create_index('ix_purchase_orders_supplier', 'purchase_orders', ['supplier_id'], unique=False)
    op.create_table('replenishment_settings',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('sku_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('minimum', sa.Integer(), nullable=False),
    sa.Column('maximum', sa.Integer(), nullable=False),
    sa.Column('reorder_point', sa.Integer(), nullable=False),
    sa.Column('order_up_to', sa.Integer(), nullable=False),
    sa.Column('service_level', sa.Float(), nullable=False),
    sa.Column('review_days', sa.Integer(), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=True),
    sa.Column('cover_days', sa.Integer(), nullable=False),
    sa.Column('promise_incoming', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_replenishment_settings_location_id_locations')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_replenishment_settings_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replenishment_settings')),
    sa.UniqueConstraint('sku_id', 'location_id', name='uq_replenishment_settings_sku_location')
    )
    op.create_index(op.f('ix_replenishment_settings_location_id'), 'replenishment_settings', ['location_id'], unique=False)
    op.create_table('supplier_items',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('sku_id', sa.String(length=40), nullable=False),
    sa.Column('supplier_sku', sa.String(length=100), nullable=False),
    sa.Column('unit_cost_minor', sa.BigInteger(), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('min_order_qty', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Float(), nullable=True),
    sa.Column('preferred', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('min_order_qty >= 0', name=op.f('ck_supplier_items_moq_not_negative')),
    sa.CheckConstraint('pack_size >= 1', name=op.f('ck_supplier_items_pack_size_positive')),
    sa.CheckConstraint('unit_cost_minor >= 0', name=op.f('ck_supplier_items_cost_not_negative')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_supplier_items_sku_id_skus')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_items_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_items')),
    sa.UniqueConstraint('supplier_id', 'sku_id', name='uq_supplier_items_supplier_sku')
    )
    op.create_index('ix_supplier_items_sku', 'supplier_items', ['sku_id'], unique=False)
    op.create_table('advance_shipping_notices',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('po_id', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('expected_on', sa.Date(), nullable=True),
    sa.Column('carrier', sa.String(length=50), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_advance_shipping_notices_po_id_purchase_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advance_shipping_notices'))
    )
    op.create_index(op.f('ix_advance_shipping_notices_po_id'), 'advance_shipping_notices', ['po_id'], unique=False)
    op.create_table('purchase_order_lines',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('po_id', sa.String(length=40), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.String(length=40), nullable=False),
    sa.Column('supplier_sku', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_cost_minor', sa.BigInteger(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('damaged', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.String(length=40), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_purchase_order_lines_quantity_positive')),
    sa.CheckConstraint('received >= 0 AND damaged >= 0', name=op.f('ck_purchase_order_lines_received_not_negative')),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_purchase_order_lines_po_id_purchase_orders')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_purchase_order_lines_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_lines'))
    )
    op.create_index(op.f('ix_purchase_order_lines_po_id'), 'purchase_order_lines', ['po_id'], unique=False)
    op.create_index('ix_purchase_order_lines_sku', 'purchase_order_lines', ['sku_id'], unique=False)
    op.create_table('receipts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('po_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('asn_id', sa.String(length=40), nullable=True),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('allocated_orders', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_receipts_location_id_locations')),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_receipts_po_id_purchase_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts'))
    )
    op.create_index(op.f('ix_receipts_po_id'), 'receipts', ['po_id'], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
