"""Shipping tables: carriers and their services as stored documents, bought labels, tracking
events. Labels and events name the fulfilment order, package and order they belong to by id
only (shipping sits below those areas; they look labels up here, not the other way round)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class CarrierRecord(Base):
    """A carrier with its services, rate tables and calendar: the JSON document of
    `shipping.carriers.carrier_from_dict` (validated on the way in)."""

    __tablename__ = "carriers"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ShippingLabel(Base):
    """A label bought for one package: the tracking number, what it cost, and the label itself
    (PDF and, where the provider gives one, ZPL) so it can be reprinted without buying again."""

    __tablename__ = "shipping_labels"
    __table_args__ = (
        Index("ix_shipping_labels_tracking", "tracking_number"),
        Index("ix_shipping_labels_fo", "fulfilment_order_id"),
        Index("ix_shipping_labels_location_created", "location_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    fulfilment_order_id: Mapped[str] = mapped_column(String(40))
    package_id: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[str] = mapped_column(String(40))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    provider: Mapped[str] = mapped_column(String(30))
    provider_ref: Mapped[str] = mapped_column(String(100), default="")
    carrier: Mapped[str] = mapped_column(String(50))
    service: Mapped[str] = mapped_column(String(50))
    tracking_number: Mapped[str] = mapped_column(String(100))
    cost_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    delivery_date: Mapped[date | None] = mapped_column(Date, default=None)  # the estimate when bought
    label_pdf: Mapped[bytes] = mapped_column(LargeBinary)
    label_zpl: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(20), default="purchased")  # purchased | voided
    void_status: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class TrackingEventRecord(Base):
    """One tracking event as received (API, webhook or CSV); the same event twice is kept once."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("tracking_number", "status", "occurred_at", name="uq_tracking_events_number_status_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(50), default=None)
    status: Mapped[str] = mapped_column(String(30))
    raw_status: Mapped[str] = mapped_column(String(60), default="")
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    description: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    source: Mapped[str] = mapped_column(String(20), default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
