"""The order aggregate: order, lines with quantity buckets, allocations, timeline, shipments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id", name="uq_orders_channel_external"),
        Index("ix_orders_status_id", "status", "id"),
        Index("ix_orders_created_at", "created_at"),
        Index("ix_orders_customer_email", "customer_email"),
        # Phone-order customer lookup (orders/customers.py) matches the number as stored.
        Index("ix_orders_customer_phone", "customer_phone"),
        # `GET /orders?q=#1001`: people search by the number the platform shows.
        Index("ix_orders_order_number", "order_number"),
        # The order list at size (benchmarks/order_lists.py): a channel's orders newest first, search by
        # the channel's order id, and a piece of a name or an e-mail address (trigram indexes, which
        # PostgreSQL's pg_trgm provides).
        Index("ix_orders_channel_id_id", "channel_id", "id"),
        Index("ix_orders_external_id", "external_id"),
        # PostgreSQL only (`ddl_if`): on SQLite these were B-trees no query uses (a search for a piece of
        # a name scans either way; the tag filter reads json_each; the e-mail one copied
        # ix_orders_customer_email) that every order paid for on insert (~2 % of its CPU; migration 0020).
        Index("ix_orders_customer_name_trgm", "customer_name", postgresql_using="gin",
              postgresql_ops={"customer_name": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        Index("ix_orders_customer_email_trgm", "customer_email", postgresql_using="gin",
              postgresql_ops={"customer_email": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        # The dashboard's tag filter (`tags @> '["vip"]'`, orders.service._has_tag).
        Index("ix_orders_tags", "tags", postgresql_using="gin",
              postgresql_ops={"tags": "jsonb_path_ops"}).ddl_if(dialect="postgresql"),
        # Risk signal "many orders to one address in a short time" (automation.risk).
        Index("ix_orders_ship_to_created", "ship_to_key", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"))
    # The channel's own order id, kept as given (marketplace ids exceed 2^53).
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # What the platform and the buyer call the order (Shopify "#1001", WooCommerce number).
    order_number: Mapped[str | None] = mapped_column(String(100), default=None)
    # The channel's own money figures exactly as sent, next to ours (minor units; see
    # channels/intake.py `totals_document`). Kept, never used to "correct" the order's totals.
    channel_totals: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    # Payment as the channel last reported it (paid, pending, authorized, refunded, …).
    channel_payment: Mapped[str | None] = mapped_column(String(30), default=None)
    status: Mapped[str] = mapped_column(String(30))
    # While on hold: the status to return to on release.
    held_from: Mapped[str | None] = mapped_column(String(30), default=None)
    hold_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    customer_email: Mapped[str] = mapped_column(String(254), default="")
    customer_phone: Mapped[str] = mapped_column(String(40), default="")
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    subtotal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    # The customer's language (BCP 47 tag, e.g. "de-AT") for notifications; "" = English.
    locale: Mapped[str] = mapped_column(String(35), default="")
    # Set by people or automation rules, read by fulfilment: low | normal | high | urgent.
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    preferred_carrier: Mapped[str] = mapped_column(String(50), default="")
    preferred_service: Mapped[str] = mapped_column(String(50), default="")
    # A timed hold: the worker releases it at this time.
    hold_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # A normalised digest of the shipping address (orders.addresses.address_key), for counting
    # recent orders to one address without reading JSON.
    ship_to_key: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.line_no", lazy="selectin")
    allocations: Mapped[list[Allocation]] = relationship(order_by="Allocation.id", lazy="selectin")


class OrderLine(Base):
    """A line and its quantity buckets. Ordered = allocated + backordered + shipped + cancelled
    (+ unassigned while the order is pending). Delivered and returned are parts of shipped."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "allocated >= 0 AND backordered >= 0 AND shipped >= 0 AND cancelled >= 0"
            " AND delivered >= 0 AND returned >= 0",
            name="buckets_not_negative",
        ),
        CheckConstraint("allocated + backordered + shipped + cancelled <= quantity", name="buckets_within"),
        Index("ix_order_lines_sku", "sku_id"),
        Index("ix_order_lines_sku_code", "sku_code"),  # the order list's SKU filter
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    # None when the channel's SKU could not be mapped (the order is then on hold).
    sku_id: Mapped[str | None] = mapped_column(ForeignKey("skus.id"), default=None)
    sku_code: Mapped[str] = mapped_column(String(100))
    # The platform's own id of this line (Shopify line item id, Amazon OrderItemId …), as a string
    # so leading zeros survive: every confirmation sent back to the platform names it.
    platform_line_id: Mapped[str | None] = mapped_column(String(100), default=None)
    name: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    backordered: Mapped[int] = mapped_column(Integer, default=0)
    shipped: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def unassigned(self) -> int:
        return self.quantity - self.allocated - self.backordered - self.shipped - self.cancelled

    @property
    def open_quantity(self) -> int:
        """Not yet shipped nor cancelled."""
        return self.quantity - self.shipped - self.cancelled


class Allocation(Base):
    """Stock of one SKU committed at one location to one order line (kits: per component).

    `quantity` is what is still allocated (not yet shipped or released); summed per SKU and
    location it equals `stock_levels.allocated`. `shipped` is what left from here. How rows make a
    line's buckets: `orders/allocations.py`."""

    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        # One row per line, part and location: more units there are added to it.
        UniqueConstraint("line_id", "sku_id", "location_id", name="uq_allocations_line_sku_location"),
        Index("ix_allocations_sku_location", "sku_id", "location_id"),
        Index("ix_allocations_location_created", "location_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    # How many component units make one unit of the line (1 unless the line is a kit).
    per_unit: Mapped[int] = mapped_column(Integer, default=1)
    quantity: Mapped[int] = mapped_column(Integer)
    shipped: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OrderEvent(Base):
    """One entry of an order's timeline: what happened, who did it, when."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    type: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str] = mapped_column(String(100), default="system")
    data: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The API request that caused it (the X-Request-Id in the logs), when there was one.
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    carrier: Mapped[str] = mapped_column(String(50), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    items: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    status: Mapped[str] = mapped_column(String(20), default="shipped")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
