"""fulfilment and shipping: fulfilment orders and lines, bins, pick lists, packages, box sizes,
per-location fulfilment settings, 3PL requests/confirmations/snapshots/discrepancies; carriers
(seeded with the demo carriers), labels, tracking events

Revision ID: 0006
Revises: 0013
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0013"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# Standard shipping boxes (inner millimetres, grams): a starting point, edit them at /box-sizes.
DEFAULT_BOXES = [
    {"code": "S", "name": "Small box", "length_mm": 220, "width_mm": 160, "height_mm": 100,
     "max_weight_grams": 5000, "tare_grams": 120, "active": True},
    {"code": "M", "name": "Medium box", "length_mm": 310, "width_mm": 230, "height_mm": 150,
     "max_weight_grams": 10000, "tare_grams": 220, "active": True},
    {"code": "L", "name": "Large box", "length_mm": 450, "width_mm": 350, "height_mm": 250,
     "max_weight_grams": 20000, "tare_grams": 450, "active": True},
]


def _seed() -> None:
    """The demo carriers (illustrative prices, real calendars) and the standard boxes."""
    text = resources.files("conveyor.shipping").joinpath("data/demo_carriers.json").read_text("utf-8")
    carriers = sa.table("carriers", sa.column("code"), sa.column("name"), sa.column("document", JSON),
                        sa.column("active"), sa.column("updated_at", sa.DateTime(timezone=True)))
    now = datetime.now(UTC)
    op.bulk_insert(carriers, [{"code": c["code"], "name": c["name"], "document": c, "active": True,
                               "updated_at": now} for c in json.loads(text)])
    boxes = sa.table("box_sizes", *(sa.column(name) for name in DEFAULT_BOXES[0]))
    op.bulk_insert(boxes, DEFAULT_BOXES)


def upgrade() -> None:
    op.create_table('box_sizes',
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('length_mm', sa.Integer(), nullable=False),
    sa.Column('width_mm', sa.Integer(), nullable=False),
    sa.Column('height_mm', sa.Integer(), nullable=False),
    sa.Column('max_weight_grams', sa.Integer(), nullable=True),
    sa.Column('tare_grams', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_box_sizes'))
    )
    op.create_table('carriers',
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('document', JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_carriers'))
    )
    op.create_table('tracking_events',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('carrier', sa.String(length=50), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('raw_status', sa.String(length=60), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_events')),
    sa.UniqueConstraint('tracking_number', 'status', 'occurred_at', name='uq_tracking_events_number_status_at')
    )
    op.create_table('bins',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_bins_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bins')),
    sa.UniqueConstraint('location_id', 'code', name='uq_bins_location_code')
    )
    op.create_table('fulfilment_settings',
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('timezone', sa.String(length=60), nullable=False),
    sa.Column('release_mode', sa.String(length=20), nullable=False),
    sa.Column('release_cutoff', sa.String(length=5), nullable=True),
    sa.Column('min_age_minutes', sa.Integer(), nullable=False),
    sa.Column('hold_tags', JSON, nullable=False),
    sa.Column('handling_days', sa.Integer(), nullable=False),
    sa.Column('webhook_url', sa.String(length=500), nullable=False),
    sa.Column('webhook_secret_encrypted', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_fulfilment_settings_location_id_locations')),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_fulfilment_settings'))
    )
    op.create_table('pick_lists',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('document', JSON, nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_pick_lists_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pick_lists'))
    )
    with op.batch_alter_table('pick_lists', schema=None) as batch_op:
        batch_op.create_index('ix_pick_lists_location_status', ['location_id', 'status', 'id'], unique=False)

    op.create_table('shipping_labels',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('fulfilment_order_id', sa.String(length=40), nullable=False),
    sa.Column('package_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('provider', sa.String(length=30), nullable=False),
    sa.Column('provider_ref', sa.String(length=100), nullable=False),
    sa.Column('carrier', sa.String(length=50), nullable=False),
    sa.Column('service', sa.String(length=50), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('cost_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('weight_grams', sa.Integer(), nullable=False),
    sa.Column('delivery_date', sa.Date(), nullable=True),
    sa.Column('label_pdf', sa.LargeBinary(), nullable=False),
    sa.Column('label_zpl', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('void_status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_shipping_labels_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_labels'))
    )
    with op.batch_alter_table('shipping_labels', schema=None) as batch_op:
        batch_op.create_index('ix_shipping_labels_fo', ['fulfilment_order_id'], unique=False)
        batch_op.create_index('ix_shipping_labels_location_created', ['location_id', 'created_at'], unique=False)
        batch_op.create_index('ix_shipping_labels_tracking', ['tracking_number'], unique=False)

    op.create_table('tpl_snapshots',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('items', JSON, nullable=False),
    sa.Column('discrepancies', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_tpl_snapshots_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tpl_snapshots'))
    )
    with op.batch_alter_table('tpl_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_tpl_snapshots_location', ['location_id', 'id'], unique=False)

    op.create_table('sku_bins',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('sku_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('bin_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['bin_id'], ['bins.id'], name=op.f('fk_sku_bins_bin_id_bins')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_sku_bins_location_id_locations')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_sku_bins_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sku_bins')),
    sa.UniqueConstraint('sku_id', 'location_id', name='uq_sku_bins_sku_location')
    )
    op.create_table('tpl_discrepancies',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('snapshot_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('sku_id', sa.String(length=40), nullable=False),
    sa.Column('sku_code', sa.String(length=100), nullable=False),
    sa.Column('ledger_on_hand', sa.Integer(), nullable=False),
    sa.Column('reported_on_hand', sa.Integer(), nullable=False),
    sa.Column('difference', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('resolved_by', sa.String(length=100), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_tpl_discrepancies_location_id_locations')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_tpl_discrepancies_sku_id_skus')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['tpl_snapshots.id'], name=op.f('fk_tpl_discrepancies_snapshot_id_tpl_snapshots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tpl_discrepancies'))
    )
    with op.batch_alter_table('tpl_discrepancies', schema=None) as batch_op:
        batch_op.create_index('ix_tpl_discrepancies_location_status', ['location_id', 'status', 'id'], unique=False)

    op.create_table('fulfilment_orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('pick_list_id', sa.String(length=40), nullable=True),
    sa.Column('shipment_id', sa.String(length=40), nullable=True),
    sa.Column('carrier', sa.String(length=50), nullable=False),
    sa.Column('service', sa.String(length=50), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('promised_date', sa.Date(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('exception_reason', sa.String(length=300), nullable=False),
    sa.Column('status_before_exception', sa.String(length=20), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('packed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_fulfilment_orders_location_id_locations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_fulfilment_orders_order_id_orders')),
    sa.ForeignKeyConstraint(['pick_list_id'], ['pick_lists.id'], name=op.f('fk_fulfilment_orders_pick_list_id_pick_lists')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_fulfilment_orders_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfilment_orders'))
    )
    with op.batch_alter_table('fulfilment_orders', schema=None) as batch_op:
        batch_op.create_index('ix_fulfilment_orders_location_status', ['location_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_fulfilment_orders_order', ['order_id'], unique=False)
        batch_op.create_index('ix_fulfilment_orders_tracking', ['tracking_number'], unique=False)

    op.create_table('fulfilment_order_lines',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('fulfilment_order_id', sa.String(length=40), nullable=False),
    sa.Column('order_line_id', sa.String(length=40), nullable=False),
    sa.Column('sku_id', sa.String(length=40), nullable=False),
    sa.Column('sku_code', sa.String(length=100), nullable=False),
    sa.Column('per_unit', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('picked', sa.Integer(), nullable=False),
    sa.Column('packed', sa.Integer(), nullable=False),
    sa.CheckConstraint('packed <= quantity', name=op.f('ck_fulfilment_order_lines_packed_within')),
    sa.CheckConstraint('quantity >= 0 AND picked >= 0 AND packed >= 0', name=op.f('ck_fulfilment_order_lines_not_negative')),
    sa.ForeignKeyConstraint(['fulfilment_order_id'], ['fulfilment_orders.id'], name=op.f('fk_fulfilment_order_lines_fulfilment_order_id_fulfilment_orders')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_fulfilment_order_lines_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_fulfilment_order_lines_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfilment_order_lines'))
    )
    with op.batch_alter_table('fulfilment_order_lines', schema=None) as batch_op:
        batch_op.create_index('ix_fulfilment_order_lines_fo', ['fulfilment_order_id'], unique=False)
        batch_op.create_index('ix_fulfilment_order_lines_line', ['order_line_id'], unique=False)

    op.create_table('packages',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('fulfilment_order_id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('contents', JSON, nullable=False),
    sa.Column('box_code', sa.String(length=30), nullable=True),
    sa.Column('weight_grams', sa.Integer(), nullable=True),
    sa.Column('length_mm', sa.Integer(), nullable=True),
    sa.Column('width_mm', sa.Integer(), nullable=True),
    sa.Column('height_mm', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['fulfilment_order_id'], ['fulfilment_orders.id'], name=op.f('fk_packages_fulfilment_order_id_fulfilment_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packages')),
    sa.UniqueConstraint('fulfilment_order_id', 'number', name='uq_packages_fo_number')
    )
    op.create_table('tpl_requests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('fulfilment_order_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('message_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['fulfilment_order_id'], ['fulfilment_orders.id'], name=op.f('fk_tpl_requests_fulfilment_order_id_fulfilment_orders')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_tpl_requests_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tpl_requests')),
    sa.UniqueConstraint('fulfilment_order_id', name='uq_tpl_requests_fulfilment_order_id')
    )
    with op.batch_alter_table('tpl_requests', schema=None) as batch_op:
        batch_op.create_index('ix_tpl_requests_location_status', ['location_id', 'status', 'id'], unique=False)

    op.create_table('tpl_confirmations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('external_ref', sa.String(length=100), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('shipment_id', sa.String(length=40), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['tpl_requests.id'], name=op.f('fk_tpl_confirmations_request_id_tpl_requests')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_tpl_confirmations_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tpl_confirmations')),
    sa.UniqueConstraint('request_id', 'external_ref', name='uq_tpl_confirmations_request_ref')
    )

    _seed()


def downgrade() -> None:
    op.drop_table('tpl_confirmations')
    with op.batch_alter_table('tpl_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_tpl_requests_location_status')

    op.drop_table('tpl_requests')
    op.drop_table('packages')
    with op.batch_alter_table('fulfilment_order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_fulfilment_order_lines_line')
        batch_op.drop_index('ix_fulfilment_order_lines_fo')

    op.drop_table('fulfilment_order_lines')
    with op.batch_alter_table('fulfilment_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_fulfilment_orders_tracking')
        batch_op.drop_index('ix_fulfilment_orders_order')
        batch_op.drop_index('ix_fulfilment_orders_location_status')

    op.drop_table('fulfilment_orders')
    with op.batch_alter_table('tpl_discrepancies', schema=None) as batch_op:
        batch_op.drop_index('ix_tpl_discrepancies_location_status')

    op.drop_table('tpl_discrepancies')
    op.drop_table('sku_bins')
    with op.batch_alter_table('tpl_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_tpl_snapshots_location')

    op.drop_table('tpl_snapshots')
    with op.batch_alter_table('shipping_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_shipping_labels_tracking')
        batch_op.drop_index('ix_shipping_labels_location_created')
        batch_op.drop_index('ix_shipping_labels_fo')

    op.drop_table('shipping_labels')
    with op.batch_alter_table('pick_lists', schema=None) as batch_op:
        batch_op.drop_index('ix_pick_lists_location_status')

    op.drop_table('pick_lists')
    op.drop_table('fulfilment_settings')
    op.drop_table('bins')
    op.drop_table('tracking_events')
    op.drop_table('carriers')
    op.drop_table('box_sizes')
