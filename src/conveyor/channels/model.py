"""Sales channels as data: where an order came from and how it is treated."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, UtcDateTime


class ChannelType(StrEnum):
    NATIVE = "native"
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    BIGCOMMERCE = "bigcommerce"
    AMAZON = "amazon"
    CSV = "csv"
    POS = "pos"
    PHONE = "phone"


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), default=ChannelType.NATIVE)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # None = use the service-wide default from settings.
    backorder_policy: Mapped[str | None] = mapped_column(String(20), default=None)
    routing_strategy: Mapped[str | None] = mapped_column(String(30), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
