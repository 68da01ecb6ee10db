"""Locations, stock levels, the stock ledger and reservations.

The ledger is the truth: every change of on-hand, allocated, reserved or incoming is one
`StockLedgerEntry` with a reason and a reference. `StockLevel` is the projection of the ledger
that the hot path reads and guards; `conveyor audit` proves the two agree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.inventory.ledger_reasons import LedgerReason  # noqa: F401  (re-exported)
from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class LocationType(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    THREE_PL = "3pl"


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), default=LocationType.WAREHOUSE)
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="US")
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    can_ship: Mapped[bool] = mapped_column(Boolean, default=True)
    can_pickup: Mapped[bool] = mapped_column(Boolean, default=False)
    can_return: Mapped[bool] = mapped_column(Boolean, default=True)
    # Lower number = tried first by the priority strategy.
    priority: Mapped[int] = mapped_column(Integer, default=100)
    daily_capacity: Mapped[int | None] = mapped_column(Integer, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What routing needs to price a shipment from here: package_base_minor, rate_per_kg_minor
    # (per distance band), handling_minor, handling_days, groups, capabilities. Missing keys
    # take the routing defaults (see routing.model.Candidate).
    routing_settings: Mapped[dict] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class StockLevel(Base):
    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("sku_id", "location_id", name="uq_stock_levels_sku_location"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("allocated >= 0", name="allocated_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("incoming >= 0", name="incoming_not_negative"),
        CheckConstraint("safety_stock >= 0", name="safety_not_negative"),
        CheckConstraint("allocated + reserved <= on_hand", name="committed_within_on_hand"),
        CheckConstraint("quarantined >= 0", name="quarantined_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), index=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    incoming: Mapped[int] = mapped_column(Integer, default=0)
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)
    # Damaged or defective units that came back (returns): here on the premises, never sellable.
    # Kept out of on_hand on purpose, so no available-to-promise formula can count them
    # (docs/decisions.md 29); they go back to on_hand only when released from quarantine.
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    @property
    def available(self) -> int:
        """Available-to-promise at this location (never below zero)."""
        return max(0, self.on_hand - self.allocated - self.reserved - self.safety_stock)


class StockLevelBucket(Base):
    """A slice of a hot SKU's stock at a location (hot-SKU mode, inventory/hot.py).

    A flash sale sends every order to one `stock_levels` row, and each waits for the one before it
    to commit. In hot mode part of the free stock sits in several bucket rows instead; an order
    takes its units from whichever bucket nobody else holds (SKIP LOCKED), so orders stop queueing
    on one lock. What a pair holds is its level row plus its buckets — reads, counts and the audit
    add them up; the ledger doesn't know buckets exist (moving stock between a level and its
    buckets is not a stock movement)."""

    __tablename__ = "stock_level_buckets"
    __table_args__ = (
        UniqueConstraint("sku_id", "location_id", "bucket", name="uq_stock_level_buckets_pair_bucket"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("allocated >= 0", name="allocated_not_negative"),
        CheckConstraint("allocated <= on_hand", name="allocated_within_on_hand"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    bucket: Mapped[int] = mapped_column(Integer)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class StockLedgerEntry(Base):
    __tablename__ = "stock_ledger"
    __table_args__ = (
        Index("ix_stock_ledger_sku_location", "sku_id", "location_id"),
        Index("ix_stock_ledger_reference", "reference_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    reason: Mapped[str] = mapped_column(String(30))
    d_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    d_allocated: Mapped[int] = mapped_column(Integer, default=0)
    d_reserved: Mapped[int] = mapped_column(Integer, default=0)
    d_incoming: Mapped[int] = mapped_column(Integer, default=0)
    d_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    reference_type: Mapped[str | None] = mapped_column(String(30), default=None)
    reference_id: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Reservation(Base):
    """Stock held for a cart or a manual hold, released when it expires or is converted."""

    __tablename__ = "reservations"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
