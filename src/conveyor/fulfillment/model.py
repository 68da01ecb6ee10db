"""Fulfilment tables: fulfilment orders and their lines, bins, pick lists, packages, box sizes,
per-location fulfilment settings, and the 3PL hand-off (requests, confirmations, inventory
snapshots, discrepancies).

A fulfilment order is what one location is asked to send for one order. Its open lines always
add up to the order's open allocation rows at that location (`fulfillment/reconcile.py` keeps
them so; `conveyor audit` proves it), so the order core's line buckets stay the one truth about
quantities and a fulfilment order only adds the warehouse's progress: released, picked, packed,
shipped, delivered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
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


class FulfilmentOrder(Base):
    __tablename__ = "fulfilment_orders"
    __table_args__ = (
        Index("ix_fulfilment_orders_location_status", "location_id", "status", "id"),
        Index("ix_fulfilment_orders_order", "order_id"),
        Index("ix_fulfilment_orders_tracking", "tracking_number"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    # pending → released → picking → packed → shipped → delivered; exception; cancelled (states.py)
    status: Mapped[str] = mapped_column(String(20))
    pick_list_id: Mapped[str | None] = mapped_column(ForeignKey("pick_lists.id"), default=None)
    shipment_id: Mapped[str | None] = mapped_column(ForeignKey("shipments.id"), default=None)
    carrier: Mapped[str] = mapped_column(String(50), default="")
    service: Mapped[str] = mapped_column(String(50), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    # The delivery date promised for this parcel (set by hand, else from the label's estimate).
    promised_date: Mapped[date | None] = mapped_column(Date, default=None)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    exception_reason: Mapped[str] = mapped_column(String(300), default="")
    # Where the status was before an exception (resolving it goes back there).
    status_before_exception: Mapped[str | None] = mapped_column(String(20), default=None)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    packed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[FulfilmentOrderLine]] = relationship(order_by="FulfilmentOrderLine.id", lazy="selectin")


class FulfilmentOrderLine(Base):
    """Units of one part (the SKU itself, or a kit's component) of one order line to send from
    the fulfilment order's location. `quantity` is in part units; `per_unit` parts make one unit
    of the order line."""

    __tablename__ = "fulfilment_order_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 0 AND picked >= 0 AND packed >= 0", name="not_negative"),
        CheckConstraint("packed <= quantity", name="packed_within"),
        Index("ix_fulfilment_order_lines_fo", "fulfilment_order_id"),
        Index("ix_fulfilment_order_lines_line", "order_line_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    fulfilment_order_id: Mapped[str] = mapped_column(ForeignKey("fulfilment_orders.id"))
    order_line_id: Mapped[str] = mapped_column(ForeignKey("order_lines.id"))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    sku_code: Mapped[str] = mapped_column(String(100))
    per_unit: Mapped[int] = mapped_column(Integer, default=1)
    quantity: Mapped[int] = mapped_column(Integer)
    picked: Mapped[int] = mapped_column(Integer, default=0)
    packed: Mapped[int] = mapped_column(Integer, default=0)


class Bin(Base):
    """A storage place at a location, addressed zone-aisle-bay-level-position (picking.py)."""

    __tablename__ = "bins"
    __table_args__ = (UniqueConstraint("location_id", "code", name="uq_bins_location_code"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    code: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SkuBin(Base):
    """Where a SKU is picked from at a location (one bin per SKU and location)."""

    __tablename__ = "sku_bins"
    __table_args__ = (UniqueConstraint("sku_id", "location_id", name="uq_sku_bins_sku_location"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    bin_id: Mapped[str] = mapped_column(ForeignKey("bins.id"))


class PickList(Base):
    """One walk through a location for a wave of fulfilment orders. `document` is the pick list
    as built (stops in walking order with their put-to-order breakdown): the PDF is re-rendered
    from it and short picks are judged against it."""

    __tablename__ = "pick_lists"
    __table_args__ = (Index("ix_pick_lists_location_status", "location_id", "status", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    reference: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | completed
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_by: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class Package(Base):
    """A parcel of a fulfilment order: open while units are scanned into it, closed once weighed
    and measured. `contents` maps fulfilment-order line id → units."""

    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("fulfilment_order_id", "number", name="uq_packages_fo_number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    fulfilment_order_id: Mapped[str] = mapped_column(ForeignKey("fulfilment_orders.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    contents: Mapped[dict[str, int]] = mapped_column(JsonDoc, default=dict)
    box_code: Mapped[str | None] = mapped_column(String(30), default=None)
    weight_grams: Mapped[int | None] = mapped_column(Integer, default=None)
    length_mm: Mapped[int | None] = mapped_column(Integer, default=None)
    width_mm: Mapped[int | None] = mapped_column(Integer, default=None)
    height_mm: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class BoxSize(Base):
    __tablename__ = "box_sizes"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    length_mm: Mapped[int] = mapped_column(Integer)
    width_mm: Mapped[int] = mapped_column(Integer)
    height_mm: Mapped[int] = mapped_column(Integer)
    max_weight_grams: Mapped[int | None] = mapped_column(Integer, default=None)
    tare_grams: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FulfilmentSettings(Base):
    """How one location releases work and, for a 3PL, where its fulfilment requests go."""

    __tablename__ = "fulfilment_settings"

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    release_mode: Mapped[str] = mapped_column(String(20), default="manual")  # manual | immediate | cutoff
    release_cutoff: Mapped[str | None] = mapped_column(String(5), default=None)  # "HH:MM", local time
    min_age_minutes: Mapped[int] = mapped_column(Integer, default=0)
    hold_tags: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    handling_days: Mapped[int] = mapped_column(Integer, default=0)
    webhook_url: Mapped[str] = mapped_column(String(500), default="")
    # Sealed with the service's secret key (never returned by the API).
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class TplRequest(Base):
    """A released fulfilment order handed to a 3PL: what was sent (webhook and CSV export)."""

    __tablename__ = "tpl_requests"
    __table_args__ = (
        UniqueConstraint("fulfilment_order_id", name="uq_tpl_requests_fulfilment_order_id"),
        Index("ix_tpl_requests_location_status", "location_id", "status", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    fulfilment_order_id: Mapped[str] = mapped_column(ForeignKey("fulfilment_orders.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(String(20), default="sent")  # sent | confirmed | cancelled
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    message_id: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class TplConfirmation(Base):
    """A 3PL's shipment confirmation, kept as received."""

    __tablename__ = "tpl_confirmations"
    __table_args__ = (UniqueConstraint("request_id", "external_ref", name="uq_tpl_confirmations_request_ref"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("tpl_requests.id"))
    external_ref: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    shipment_id: Mapped[str | None] = mapped_column(ForeignKey("shipments.id"), default=None)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TplSnapshot(Base):
    """A 3PL's stock report, kept as received; compared with the ledger, never applied."""

    __tablename__ = "tpl_snapshots"
    __table_args__ = (Index("ix_tpl_snapshots_location", "location_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    discrepancies: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TplDiscrepancy(Base):
    """One SKU where a 3PL's count differs from the ledger. Open until a person resolves it:
    `adjusted` writes a ledger adjustment of `difference`, `dismissed` leaves the ledger as is."""

    __tablename__ = "tpl_discrepancies"
    __table_args__ = (Index("ix_tpl_discrepancies_location_status", "location_id", "status", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    snapshot_id: Mapped[str] = mapped_column(ForeignKey("tpl_snapshots.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    sku_code: Mapped[str] = mapped_column(String(100))
    ledger_on_hand: Mapped[int] = mapped_column(Integer)
    reported_on_hand: Mapped[int] = mapped_column(Integer)
    difference: Mapped[int] = mapped_column(Integer)  # reported − ledger
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | adjusted | dismissed
    note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str | None] = mapped_column(String(100), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
