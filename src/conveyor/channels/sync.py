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
from typing import Any

from sqlalchemy import select

from conveyor.catalog.service import sku_codes, stock_sku_ids
from conveyor.channels.model import Channel, ChannelSku
from conveyor.inventory.locations import active_location_ids
from conveyor.inventory.service import available_by_sku
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.orders.channel_updates import platform_line_ids
from conveyor.shared.uow import UnitOfWork

SYNC_TARGETS = ("webhook", "platform")
ORDER_TOPICS = (Topic.ORDER_SHIPPED, Topic.ORDER_CANCELLED, Topic.ORDER_DELIVERED, Topic.ORDER_COMPLETED)


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
    codes = (channel.stock_buffer or {}).get("locations") or None
    return active_location_ids(uow, codes)


def listings(uow: UnitOfWork, channel: Channel, sku_ids: list[str] | None) -> list[Listing]:
    """What the channel sells among `sku_ids` (None = everything it sells)."""
    query = select(ChannelSku.sku_id, ChannelSku.channel_sku, ChannelSku.external_ref).where(
        ChannelSku.channel_id == channel.id)
    has_map = uow.session.scalar(select(ChannelSku.id).where(ChannelSku.channel_id == channel.id).limit(1))
    if not has_map:
        own = stock_sku_ids(uow)  # no mapping: the channel lists every SKU by our own code
        return sorted((Listing(sku_id, code, code, "") for code, sku_id in own.items()
                       if sku_ids is None or sku_id in sku_ids), key=lambda x: x.sku)
    if sku_ids is not None:
        query = query.where(ChannelSku.sku_id.in_(sku_ids))
    rows = uow.session.execute(query).all()
    codes = sku_codes(uow, [r.sku_id for r in rows])
    return sorted((Listing(r.sku_id, codes[r.sku_id], r.channel_sku, r.external_ref) for r in rows
                   if r.sku_id in codes), key=lambda x: (x.sku, x.channel_sku))


def available_to_sell(uow: UnitOfWork, channel: Channel, sku_ids: list[str],
                      location_ids: list[str]) -> dict[str, int]:
    totals = available_by_sku(uow, sku_ids, location_ids)
    return {sku_id: apply_buffer(totals.get(sku_id, 0), channel.stock_buffer or {}) for sku_id in sku_ids}


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
            rows.append(_message(Topic.CHANNEL_INVENTORY, channel, {"items": items, "cause": message_id}))
    outbox.enqueue_rows(uow, rows)
    return len(rows)


def fan_out_order(uow: UnitOfWork, message_id: str, topic: str, payload: dict) -> int:
    channel = uow.session.get(Channel, payload.get("channel_id"))
    if channel is None or not channel.active or (channel.config or {}).get("sync") not in SYNC_TARGETS:
        return 0
    if topic == Topic.ORDER_CANCELLED and payload.get("source") == "channel":
        return 0  # the channel cancelled it: telling it back would fail or loop
    update = {k: payload.get(k) for k in ("order_id", "external_id", "status", "carrier", "tracking_number",
                                          "reason")}
    update["items"] = _platform_items(uow, payload)
    outbox.enqueue_rows(uow, [_message(Topic.CHANNEL_ORDER, channel, {"event": topic, "cause": message_id,
                                                                     **update})])
    return 1


def _platform_items(uow: UnitOfWork, payload: dict) -> list[dict[str, Any]]:
    """The shipped or cancelled lines as the platform knows them: `platform_line_id` (Shopify line
    item id, Amazon OrderItemId, …) and units. Lines without a platform id are left out."""
    lines = payload.get("lines") or {}
    if not lines or not payload.get("order_id"):
        return []
    known = platform_line_ids(uow, payload["order_id"])
    return [{"platform_line_id": known[line_id], "quantity": units}
            for line_id, units in lines.items() if line_id in known and units]


def _message(topic: Topic, channel: Channel, body: dict) -> dict:
    return outbox.message_row(topic, channel.id, {"channel_id": channel.id, "channel": channel.code, **body})
