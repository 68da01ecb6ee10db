"""Sync back out: from outbox messages to per-channel updates (stock and order status).

Two steps, both driven by `conveyor worker` through the outbox so a crash loses nothing:
1. Fan-out (database only, in the transaction that marks the source message done):
   `stock.changed` → exactly one `channel.inventory` message per affected channel, carrying the
   available-to-sell of each changed SKU the channel lists; `order.*` → one `channel.order`
   message for the order's channel.
2. Delivery (HTTP only, no transaction held): `channel.*` messages go to the channel's sync
   target — a JSON webhook (`config.sync = "webhook"`, `config.feed_url`) or the platform's own
   API through an adapter (`config.sync = "platform"`, `config.base_url`).

Available-to-sell for a channel = Σ over the channel's locations (all active ones unless the
buffer names a subset) of max(0, on hand − allocated − reserved − safety stock), less the
buffer's percent (rounded up, in the merchant's favour) and fixed units, never below zero.
A channel lists the SKUs mapped to it; a channel without any mapping lists every SKU by code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import insert, literal, select

from conveyor.catalog.model import Sku
from conveyor.channels.model import Channel, ChannelSku
from conveyor.inventory.model import Location, StockLevel
from conveyor.messaging.model import OutboxMessage
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import UnitOfWork

SYNC_TARGETS = ("webhook", "platform")
ORDER_TOPICS = ("order.shipped", "order.cancelled", "order.delivered", "order.completed")


@dataclass(frozen=True, slots=True)
class Listing:
    sku_id: str
    sku: str
    channel_sku: str
    external_ref: str


def syncing_channels(uow: UnitOfWork) -> list[Channel]:
    channels = uow.session.scalars(select(Channel).where(Channel.active.is_(True)).order_by(Channel.id))
    return [ch for ch in channels if (ch.config or {}).get("sync") in SYNC_TARGETS]


def channel_location_ids(uow: UnitOfWork, channel: Channel) -> list[str]:
    query = select(Location.id).where(Location.active.is_(True))
    codes = (channel.stock_buffer or {}).get("locations") or []
    if codes:
        query = query.where(Location.code.in_(codes))
    return list(uow.session.scalars(query))


def listings(uow: UnitOfWork, channel: Channel, sku_ids: list[str] | None) -> list[Listing]:
    """What the channel sells among `sku_ids` (None = everything it sells)."""
    query = (select(ChannelSku.sku_id, Sku.code, ChannelSku.channel_sku, ChannelSku.external_ref)
             .join(Sku, Sku.id == ChannelSku.sku_id).where(ChannelSku.channel_id == channel.id))
    has_map = uow.session.scalar(select(ChannelSku.id).where(ChannelSku.channel_id == channel.id).limit(1))
    if not has_map:
        query = select(Sku.id, Sku.code, Sku.code, literal("")).where(Sku.is_kit.is_(False))
        if sku_ids is not None:
            query = query.where(Sku.id.in_(sku_ids))
    elif sku_ids is not None:
        query = query.where(ChannelSku.sku_id.in_(sku_ids))
    return [Listing(*row) for row in uow.session.execute(query.order_by(Sku.code))]


def available_to_sell(uow: UnitOfWork, channel: Channel, sku_ids: list[str],
                      location_ids: list[str]) -> dict[str, int]:
    atp = StockLevel.on_hand - StockLevel.allocated - StockLevel.reserved - StockLevel.safety_stock
    totals = dict.fromkeys(sku_ids, 0)
    if sku_ids and location_ids:
        for sku_id, value in uow.session.execute(select(StockLevel.sku_id, atp).where(
                StockLevel.sku_id.in_(sku_ids), StockLevel.location_id.in_(location_ids))):
            totals[sku_id] += max(0, value)
    return {sku_id: apply_buffer(total, channel.stock_buffer or {}) for sku_id, total in totals.items()}


def apply_buffer(available: int, buffer: dict) -> int:
    held_back = math.ceil(available * (buffer.get("percent") or 0) / 100) + (buffer.get("fixed") or 0)
    return max(0, available - held_back)


def inventory_items(uow: UnitOfWork, channel: Channel, sku_ids: list[str] | None) -> list[dict]:
    listed = listings(uow, channel, sku_ids)
    numbers = available_to_sell(uow, channel, sorted({x.sku_id for x in listed}),
                                channel_location_ids(uow, channel))
    return [{"sku": x.sku, "channel_sku": x.channel_sku, "external_ref": x.external_ref,
             "available": numbers[x.sku_id]} for x in listed]


def fan_out_stock(uow: UnitOfWork, message_id: str, payload: dict) -> int:
    """One `channel.inventory` message per channel affected by this stock change."""
    rows = []
    changed_locations = set(payload.get("location_ids") or [])
    for channel in syncing_channels(uow):
        if not changed_locations & set(channel_location_ids(uow, channel)):
            continue  # the change happened outside the stock this channel sells from
        items = inventory_items(uow, channel, list(payload.get("sku_ids") or []))
        if items:
            rows.append(_message("channel.inventory", channel, {"items": items, "cause": message_id}))
    if rows:
        uow.session.execute(insert(OutboxMessage.__table__), rows)
    return len(rows)


def fan_out_order(uow: UnitOfWork, message_id: str, topic: str, payload: dict) -> int:
    channel = uow.session.get(Channel, payload.get("channel_id"))
    if channel is None or not channel.active or (channel.config or {}).get("sync") not in SYNC_TARGETS:
        return 0
    update = {k: payload.get(k) for k in ("order_id", "external_id", "status", "carrier", "tracking_number",
                                          "reason")}
    row = _message("channel.order", channel, {"event": topic, "cause": message_id, **update})
    uow.session.execute(insert(OutboxMessage.__table__), [row])
    return 1


def _message(topic: str, channel: Channel, body: dict) -> dict:
    now = utcnow()
    return {"id": ids.new_id("outbox"), "topic": topic, "key": channel.id, "status": "pending", "attempts": 0,
            "last_error": "", "created_at": now, "available_at": now,
            "payload": {"channel_id": channel.id, "channel": channel.code, **body}}
