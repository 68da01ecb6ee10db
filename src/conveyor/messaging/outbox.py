"""The one door to the outbox: `enqueue(uow, Topic.…, key, payload)`.

A message is written in the same transaction as the change it announces (deferred, so all the
messages of one transaction leave in one multi-row INSERT) and delivered at least once by
`conveyor worker`. Every topic has a documented payload (docs/events.md) and a version: a change
that removes or renames a field bumps the topic's version, consumers read `version` to tell.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from conveyor.messaging.model import OutboxMessage
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.context import request_id
from conveyor.shared.db import table_of
from conveyor.shared.uow import UnitOfWork


class Topic(StrEnum):
    ORDER_CREATED = "order.created"
    ORDER_ALLOCATED = "order.allocated"
    ORDER_HELD = "order.held"
    ORDER_RELEASED = "order.released"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_REROUTED = "order.rerouted"
    ORDER_SHIPPED = "order.shipped"
    ORDER_DELIVERED = "order.delivered"
    ORDER_COMPLETED = "order.completed"
    STOCK_CHANGED = "stock.changed"
    # fulfilment and shipping (docs/events.md)
    FULFILMENT_RELEASED = "fulfilment.released"
    FULFILMENT_REQUESTED = "fulfilment.requested"
    FULFILMENT_SHIPPED = "fulfilment.shipped"
    FULFILMENT_DELIVERED = "fulfilment.delivered"
    FULFILMENT_EXCEPTION = "fulfilment.exception"
    FULFILMENT_CANCELLED = "fulfilment.cancelled"
    TRACKING_UPDATED = "tracking.updated"
    SHIPMENT_LATE = "shipment.late"
    INVENTORY_DISCREPANCY = "inventory.discrepancy"
    # Fan-out of the above to one channel's sync target (written by the worker).
    CHANNEL_INVENTORY = "channel.inventory"
    CHANNEL_ORDER = "channel.order"
    # A stored inbound delivery to process again (its order could not be fetched from the channel).
    CHANNEL_INBOUND = "channel.inbound"
    # Purchasing: the PO e-mail to the supplier (sent), each delivery counted in, the PO closed.
    PURCHASE_ORDER_SENT = "purchase_order.sent"
    PURCHASE_ORDER_RECEIVED = "purchase_order.received"
    PURCHASE_ORDER_CLOSED = "purchase_order.closed"
    # Replenishment alerts raised by a review (low stock, overstock, out of stock).
    STOCK_ALERT = "stock.alert"


# Payload schema version per topic (docs/events.md describes each).
VERSIONS: dict[Topic, int] = dict.fromkeys(Topic, 1)


def message_row(topic: Topic, key: str, payload: dict[str, Any], now: datetime | None = None,
                message_id: str | None = None) -> dict[str, Any]:
    """An outbox row, for callers that insert many at once (bulk placement)."""
    now = now or utcnow()
    return {"id": message_id or ids.new_id("outbox"), "topic": str(topic), "version": VERSIONS[topic],
            "key": key, "payload": payload, "status": "pending", "attempts": 0, "last_error": "",
            "created_at": now, "available_at": now, "request_id": request_id()}


def enqueue(uow: UnitOfWork, topic: Topic, key: str, payload: dict[str, Any]) -> str:
    """Queue a message in the caller's transaction; returns its id (receivers de-duplicate on it)."""
    row = message_row(topic, key, payload)
    uow.defer_insert(table_of(OutboxMessage), [row])
    return row["id"]


def enqueue_rows(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Queue rows made by `message_row`."""
    uow.defer_insert(table_of(OutboxMessage), rows)
