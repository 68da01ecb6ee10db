"""Sales channels as data: where an order came from, how it is treated, how stock is published
back, and what the channel sent us (raw payloads, kept before they are trusted)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class ChannelType(StrEnum):
    NATIVE = "native"
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    BIGCOMMERCE = "bigcommerce"
    AMAZON = "amazon"
    CSV = "csv"
    POS = "pos"
    PHONE = "phone"


# Platforms that push orders to POST /channels/{code}/inbound (Amazon is polled instead).
WEBHOOK_TYPES = frozenset({ChannelType.SHOPIFY, ChannelType.WOOCOMMERCE, ChannelType.BIGCOMMERCE})


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
    # Non-secret settings: base_url, store ids, CSV profile, feed URL, sync target (see docs/channels.md).
    config: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    # Stock published to the channel: {"fixed": units, "percent": 0-100, "locations": [codes]}.
    stock_buffer: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    # Fernet token of a JSON object of secrets (webhook secret, access tokens); never returned.
    secrets_encrypted: Mapped[str | None] = mapped_column(Text, default=None)


class ChannelSku(Base):
    """A channel's SKU or listing id → our SKU. `external_ref` is the platform's id used when
    pushing stock back (Shopify inventory item, WooCommerce product, BigCommerce variant)."""

    __tablename__ = "channel_skus"
    __table_args__ = (UniqueConstraint("channel_id", "channel_sku", name="uq_channel_skus_channel_key"),
                      Index("ix_channel_skus_sku", "sku_id"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"))
    channel_sku: Mapped[str] = mapped_column(String(100))
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    external_ref: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InboundPayload(Base):
    """Every body a channel sent (or we pulled), stored before parsing. Unique on the platform's
    delivery id per channel, so a retried webhook is recognised before any work is done."""

    __tablename__ = "inbound_payloads"
    __table_args__ = (UniqueConstraint("channel_id", "delivery_id", name="uq_inbound_payloads_delivery"),
                      Index("ix_inbound_payloads_channel_status", "channel_id", "status"),
                      # A create arriving after its cancel looks for the cancel by the platform's order id.
                      Index("ix_inbound_payloads_channel_external", "channel_id", "external_id"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(20), default="webhook")  # webhook | pull
    delivery_id: Mapped[str | None] = mapped_column(String(200), default=None)
    headers: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # received → parsed | held | failed
    status: Mapped[str] = mapped_column(String(20), default="received")
    error: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), default=None)
    # The topic as the platform named it and what it was classified as (`channels.events.EventKind`).
    topic: Mapped[str] = mapped_column(String(100), default="")
    event: Mapped[str] = mapped_column(String(20), default="")
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class DraftStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"


class DraftOrder(Base):
    """A phone order being taken: nothing is allocated until staff confirm it. `data` holds the
    order as taken (customer, addresses, priced lines with any override reason; see drafts.py)."""

    __tablename__ = "draft_orders"
    # Staff list a channel's open drafts newest first.
    __table_args__ = (Index("ix_draft_orders_channel_status", "channel_id", "status", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | confirmed | discarded
    data: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
