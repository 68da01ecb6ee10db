"""The one door to an order's timeline: `append(uow, order_id, EventType.…, data, actor)`.

Every state change of an order appends an event in the same transaction as the change (deferred,
so the events of one transaction leave in one multi-row INSERT). The timeline is what support
reads to tell a customer what happened, so `data` says it in the event's own terms."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from conveyor.orders.model import OrderEvent
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.context import request_id
from conveyor.shared.db import table_of
from conveyor.shared.uow import UnitOfWork


class EventType(StrEnum):
    PLACED = "order.placed"
    ALLOCATED = "order.allocated"
    HELD = "order.held"
    RELEASED = "order.released"
    CANCELLED = "order.cancelled"
    LINES_CANCELLED = "lines.cancelled"
    REROUTED = "order.rerouted"
    SHIPPED = "order.shipped"
    DELIVERED = "order.delivered"
    COMPLETED = "order.completed"
    NOTE_ADDED = "note.added"
    TAGS_CHANGED = "tags.changed"
    ADDRESS_CHANGED = "address.changed"
    DRAFT_CONFIRMED = "draft.confirmed"
    # What a sales channel reported about an order it sent (channels/order_events.py).
    HOLD_CHANGED = "hold.changed"  # some of a hold's reasons lifted, others remain
    CHANNEL_UPDATED = "channel.updated"
    CHANNEL_PAYMENT = "channel.payment"
    CHANNEL_REFUNDED = "channel.refunded"
    CHANNEL_FULFILLED = "channel.fulfilled"
    CHANNEL_CANCELLED = "channel.cancelled"
    CHANNEL_CANCEL_REQUESTED = "channel.cancel_requested"
    CHANNEL_DELETED = "channel.deleted"
    CHANNEL_ARCHIVED = "channel.archived"
    CHANNEL_RESTORED = "channel.restored"
    CHANNEL_TOTAL_MISMATCH = "channel.total_mismatch"
    DROP_SHIP_ORDERED = "drop_ship.ordered"
    # returns (returns/): the life of an RMA on its order's timeline
    RETURN_REQUESTED = "return.requested"
    RETURN_APPROVED = "return.approved"
    RETURN_REJECTED = "return.rejected"
    RETURN_LABEL_CREATED = "return.label_created"
    RETURN_RECEIVED = "return.received"
    RETURN_GRADED = "return.graded"
    RETURN_RESOLVED = "return.resolved"
    RETURN_CANCELLED = "return.cancelled"
    EXCHANGE_PLACED = "exchange.placed"  # on the replacement order: which return it replaces
    # fulfilment and shipping (fulfillment/, shipping/)
    FULFILMENT_CREATED = "fulfilment.created"
    FULFILMENT_CHANGED = "fulfilment.changed"
    FULFILMENT_RELEASED = "fulfilment.released"
    FULFILMENT_REQUESTED = "fulfilment.requested"
    FULFILMENT_PICKING = "fulfilment.picking"
    FULFILMENT_SHORT_PICKED = "fulfilment.short_picked"
    FULFILMENT_PACKED = "fulfilment.packed"
    LABEL_PURCHASED = "label.purchased"
    LABEL_VOIDED = "label.voided"
    FULFILMENT_SHIPPED = "fulfilment.shipped"
    TRACKING_UPDATED = "tracking.updated"
    FULFILMENT_DELIVERED = "fulfilment.delivered"
    FULFILMENT_EXCEPTION = "fulfilment.exception"
    FULFILMENT_CANCELLED = "fulfilment.cancelled"
    SHIPMENT_LATE = "shipment.late"
    OUT_FOR_DELIVERY = "order.out_for_delivery"
    DELAYED = "order.delayed"
    PREFERENCES_CHANGED = "preferences.changed"
    # The customer's personal data was erased (privacy/handlers.py); the financial record stays.
    CUSTOMER_ERASED = "customer.erased"
    RULE_MATCHED = "rule.matched"
    NOTIFICATION_SENT = "notification.sent"
    # money (payments/, billing/): each gateway attempt's outcome, documents issued
    PAYMENT_AUTHORIZED = "payment.authorized"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_VOIDED = "payment.voided"
    PAYMENT_REFUNDED = "payment.refunded"
    PAYMENT_FAILED = "payment.failed"  # declined or refused: the message says why
    PAYMENT_PENDING = "payment.pending"  # accepted for later, or the outcome is unknown (a timeout)
    PAYMENT_ATTENTION = "payment.attention"  # staff must act (an authorization expiring, a shortfall)
    INVOICE_ISSUED = "invoice.issued"
    CREDIT_NOTE_ISSUED = "credit_note.issued"


def event_row(order_id: str, event_type: EventType, data: dict[str, Any], actor: str,
              now: datetime | None = None, event_id: str | None = None) -> dict[str, Any]:
    """A timeline row, for callers that insert many at once (bulk placement)."""
    return {"id": event_id or ids.new_id("event"), "order_id": order_id, "type": str(event_type), "actor": actor,
            "data": data, "created_at": now or utcnow(), "request_id": request_id()}


def append(uow: UnitOfWork, order_id: str, event_type: EventType, data: dict[str, Any] | None = None,
           actor: str = "system") -> None:
    uow.defer_insert(table_of(OrderEvent), [event_row(order_id, event_type, data or {}, actor)])


def append_rows(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    uow.defer_insert(table_of(OrderEvent), rows)


def events(uow: UnitOfWork, order_id: str) -> list[OrderEvent]:
    return list(uow.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)))
