"""Suppliers, what they sell, purchase orders, advance shipping notices, receipts, per SKU×location
replenishment settings, planned transfers and drop-ship flags.

Money is integer minor units in the supplier's currency (BigInteger). Stock itself never lives
here: receiving, transfers and the `incoming` bucket move through the stock ledger
(`inventory.ledger.apply_changes`); these rows say why.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Days from sending a PO to the goods being sellable, on average and its standard deviation.
    lead_time_days: Mapped[float] = mapped_column(Float, default=7.0)
    lead_time_sigma_days: Mapped[float] = mapped_column(Float, default=0.0)
    payment_terms: Mapped[str] = mapped_column(String(100), default="")
    # Where drop-shipped units pass through the ledger (created when the supplier first drop-ships).
    drop_ship_location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SupplierItem(Base):
    """A supplier's terms for one SKU."""

    __tablename__ = "supplier_items"
    __table_args__ = (
        UniqueConstraint("supplier_id", "sku_id", name="uq_supplier_items_supplier_sku"),
        CheckConstraint("pack_size >= 1", name="pack_size_positive"),
        CheckConstraint("min_order_qty >= 0", name="moq_not_negative"),
        CheckConstraint("unit_cost_minor >= 0", name="cost_not_negative"),
        Index("ix_supplier_items_sku", "sku_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    supplier_sku: Mapped[str] = mapped_column(String(100), default="")
    unit_cost_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    pack_size: Mapped[int] = mapped_column(Integer, default=1)
    min_order_qty: Mapped[int] = mapped_column(Integer, default=0)
    # None: the supplier's lead time.
    lead_time_days: Mapped[float | None] = mapped_column(Float, default=None)
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        Index("ix_purchase_orders_status", "status", "id"),
        Index("ix_purchase_orders_supplier", "supplier_id"),
        Index("ix_purchase_orders_order", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"))
    # Where the goods are received (a drop-ship PO: the supplier's drop-ship location).
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    kind: Mapped[str] = mapped_column(String(20), default="stock")  # stock | drop_ship
    status: Mapped[str] = mapped_column(String(30), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_on: Mapped[date | None] = mapped_column(Date, default=None)
    # Drop-ship: the customer's order and address the supplier ships to.
    order_id: Mapped[str | None] = mapped_column(String(40), default=None)
    ship_to: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    carrier: Mapped[str] = mapped_column(String(50), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[PurchaseOrderLine]] = relationship(order_by="PurchaseOrderLine.line_no", lazy="selectin")


class PurchaseOrderLine(Base):
    """Ordered, received (good units, into stock) and damaged (arrived unusable, written off)."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received >= 0 AND damaged >= 0", name="received_not_negative"),
        Index("ix_purchase_order_lines_sku", "sku_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    po_id: Mapped[str] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    supplier_sku: Mapped[str] = mapped_column(String(100), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    damaged: Mapped[int] = mapped_column(Integer, default=0)
    # Drop-ship: the customer's order line these units are for.
    order_line_id: Mapped[str | None] = mapped_column(String(40), default=None)

    @property
    def open_quantity(self) -> int:
        """Still expected from the supplier (never negative after an over-receipt)."""
        return max(0, self.quantity - self.received)


class AdvanceShippingNotice(Base):
    """The supplier's word that goods are on their way: what, when, and how to track them."""

    __tablename__ = "advance_shipping_notices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    po_id: Mapped[str] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    reference: Mapped[str] = mapped_column(String(100), default="")
    expected_on: Mapped[date | None] = mapped_column(Date, default=None)
    carrier: Mapped[str] = mapped_column(String(50), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    # [{po_line_id, sku_id, quantity}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | received
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Receipt(Base):
    """One delivery counted in at a location: [{po_line_id, sku_id, quantity, damaged, accepted,
    over}] — quantity arrived, damaged of it, accepted into stock, over = accepted beyond the order."""

    __tablename__ = "receipts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    po_id: Mapped[str] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    asn_id: Mapped[str | None] = mapped_column(String(40), default=None)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100), default="system")
    # Backordered customer orders that got stock from this receipt: [{order_id, units}].
    allocated_orders: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReplenishmentSetting(Base):
    """How one SKU is replenished at one location (purchasing.policies builds the policy from it).

    method: min_max (minimum, maximum) | reorder_point (reorder_point, order_up_to) | periodic
    (order_up_to every review_days, next on next_review_on) | forecast (reorder point and order-up-to
    computed from the stored forecast, the supplier's lead time, service_level, review_days and
    cover_days)."""

    __tablename__ = "replenishment_settings"
    __table_args__ = (UniqueConstraint("sku_id", "location_id", name="uq_replenishment_settings_sku_location"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), index=True)
    method: Mapped[str] = mapped_column(String(20), default="min_max")
    minimum: Mapped[int] = mapped_column(Integer, default=0)
    maximum: Mapped[int] = mapped_column(Integer, default=0)
    reorder_point: Mapped[int] = mapped_column(Integer, default=0)
    order_up_to: Mapped[int] = mapped_column(Integer, default=0)
    service_level: Mapped[float] = mapped_column(Float, default=0.95)
    review_days: Mapped[int] = mapped_column(Integer, default=0)
    next_review_on: Mapped[date | None] = mapped_column(Date, default=None)
    cover_days: Mapped[int] = mapped_column(Integer, default=14)
    # Count stock on open purchase orders in what channels may sell (pre-orders): off by default.
    promise_incoming: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class PlannedTransfer(Base):
    """Stock moving between two of our locations: planned → in_transit → received (or cancelled)."""

    __tablename__ = "planned_transfers"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_planned_transfers_status", "status", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    from_location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    expected_on: Mapped[date | None] = mapped_column(Date, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class DropShipFlag(Base):
    """A SKU (scope `sku`) or a channel (scope `channel`) whose waiting units a supplier ships."""

    __tablename__ = "drop_ship_flags"
    __table_args__ = (UniqueConstraint("scope", "target_id", name="uq_drop_ship_flags_scope_target"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(40))
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LowStockMark(Base):
    """A SKU at a location whose available-to-sell crossed below its threshold and was announced
    (one `stock.low`). Deleted when it is back above, which re-arms the alert
    (purchasing/low_stock.py); inserting it is the guarded step that lets exactly one transaction
    announce a crossing."""

    __tablename__ = "low_stock_marks"

    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    available: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
