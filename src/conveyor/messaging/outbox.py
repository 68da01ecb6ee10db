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
    ORDER_OUT_FOR_DELIVERY = "order.out_for_delivery"
    ORDER_DELAYED = "order.delayed"  # not shipped by the promise (the worker's SLA job)
    STOCK_CHANGED = "stock.changed"
    STAFF_ALERT = "staff.alert"  # something people must look at (a disabled webhook, a dead letter, ...)
    # Defined for the flows that will emit them (payments, returns, reorder checks): the worker
    # already consumes them (rules, e-mails, webhooks), see docs/events.md for the payloads.
    ORDER_PAID = "order.paid"
    RETURN_REQUESTED = "return.requested"
    RETURN_RECEIVED = "return.received"
    RETURN_APPROVED = "return.approved"
    REFUND_ISSUED = "refund.issued"
    STOCK_LOW = "stock.low"
    # Written by the worker itself: the fan-out of the above to one delivery each.
    CHANNEL_INVENTORY = "channel.inventory"  # one channel's sync target
    CHANNEL_ORDER = "channel.order"
    WEBHOOK_DELIVERY = "webhook.delivery"  # one event to one webhook subscription
    NOTIFICATION_EMAIL = "notification.email"  # one e-mail to a customer or to staff
    NOTIFICATION_WEBHOOK = "notification.webhook"  # one staff alert POSTed to a chat/incident URL


# Payload schema version per topic (docs/events.md describes each).
VERSIONS: dict[Topic, int] = dict.fromkeys(Topic, 1)
# Deliveries the worker makes for itself: never streamed to the broker, never sent to webhooks.
INTERNAL: frozenset[Topic] = frozenset({Topic.CHANNEL_INVENTORY, Topic.CHANNEL_ORDER, Topic.WEBHOOK_DELIVERY,
                                        Topic.NOTIFICATION_EMAIL, Topic.NOTIFICATION_WEBHOOK})


def message_row(topic: Topic, key: str, payload: dict[str, Any], now: datetime | None = None,
                message_id: str | None = None) -> dict[str, Any]:
    """An outbox row, for callers that insert many at once (bulk placement)."""
    now = now or utcnow()
    return {"id": message_id or ids.new_id("outbox"), "topic": str(topic), "version": VERSIONS[topic],
            "key": key, "payload": payload, "status": "pending", "attempts": 0, "last_error": "",
            "created_at": now, "available_at": now, "request_id": request_id(),
            # The broker publisher streams what has no published_at yet; internal deliveries never.
            "published_at": now if topic in INTERNAL else None}


def enqueue(uow: UnitOfWork, topic: Topic, key: str, payload: dict[str, Any], available_at: datetime | None = None,
            ) -> str:
    """Queue a message in the caller's transaction; returns its id (receivers de-duplicate on it).
    `available_at` delays its delivery (e.g. a webhook ping scheduled for later)."""
    row = message_row(topic, key, payload)
    if available_at is not None:
        row["available_at"] = available_at
    uow.defer_insert(table_of(OutboxMessage), [row])
    return row["id"]


def enqueue_rows(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Queue rows made by `message_row`."""
    uow.defer_insert(table_of(OutboxMessage), rows)
