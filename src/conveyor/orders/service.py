"""Order use cases after placement: read, list, hold, release, cancel, ship, deliver, notes, tags.

Each is one transaction: the change, its timeline event and its outbox message commit together.
The order row is locked first (FOR UPDATE on PostgreSQL; SQLite writers are serialised), so two
changes to the same order never interleave."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select

from conveyor.channels.model import Channel
from conveyor.messaging.model import OutboxMessage
from conveyor.orders.lifecycle import (
    CANCELLABLE,
    HOLDABLE,
    Buckets,
    IllegalTransition,
    Status,
    check_transition,
    derive_status,
)
from conveyor.orders.model import Order, OrderEvent, OrderLine
from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.db import UnitOfWork
from conveyor.shared.errors import NotFound
from conveyor.shared.pagination import Page, paginate


def get_order(uow: UnitOfWork, order_id: str, scope_channel_id: str | None = None,
              for_update: bool = False) -> Order:
    """The order, or 404 — also when a channel-scoped caller asks for another channel's order,
    so that ids of other channels' orders don't leak."""
    query = select(Order).where(Order.id == order_id)
    if for_update and uow.dialect == "postgresql":
        query = query.with_for_update()
    order = uow.session.scalar(query)
    if order is None or (scope_channel_id and order.channel_id != scope_channel_id):
        raise NotFound("order", order_id)
    return order


def list_orders(uow: UnitOfWork, *, limit: int = 50, cursor: str | None = None,
                scope_channel_id: str | None = None, status: str | None = None, channel: str | None = None,
                created_from: datetime | None = None, created_to: datetime | None = None,
                sku: str | None = None, email: str | None = None, q: str | None = None) -> Page[Order]:
    query = select(Order)
    if scope_channel_id:
        query = query.where(Order.channel_id == scope_channel_id)
    if status:
        query = query.where(Order.status == status)
    if channel:
        query = query.where(Order.channel_id.in_(
            select(Channel.id).where(or_(Channel.code == channel, Channel.id == channel))))
    # Compare instants in UTC: SQLite stores UTC wall-clock text and would ignore an offset.
    if created_from:
        query = query.where(Order.created_at >= as_utc(created_from))
    if created_to:
        query = query.where(Order.created_at < as_utc(created_to))
    if sku:
        query = query.where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku_code == sku)))
    if email:
        query = query.where(Order.customer_email == email.strip().lower())
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(Order.id == q.strip(), Order.external_id == q.strip(),
                                Order.customer_name.ilike(like), Order.customer_email.ilike(like)))
    return paginate(uow.session, query, Order.id, limit, cursor)


def timeline(uow: UnitOfWork, order_id: str, scope_channel_id: str | None = None) -> list[OrderEvent]:
    get_order(uow, order_id, scope_channel_id)
    return list(uow.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)))


def record(uow: UnitOfWork, order: Order, event_type: str, actor: str, data: dict[str, Any] | None = None,
           topic: str | None = None) -> None:
    """Append a timeline event and (optionally) an outbox message, in the caller's transaction."""
    now = utcnow()
    data = data or {}
    uow.session.execute(insert(OrderEvent.__table__), [{
        "id": ids.new_id("event"), "order_id": order.id, "type": event_type, "actor": actor,
        "data": data, "created_at": now}])
    if topic:
        uow.session.execute(insert(OutboxMessage.__table__), [{
            "id": ids.new_id("outbox"), "topic": topic, "key": order.id, "status": "pending", "attempts": 0,
            "last_error": "", "created_at": now, "available_at": now,
            "payload": {"order_id": order.id, "channel_id": order.channel_id,
                        "external_id": order.external_id, "status": order.status, **data}}])


def buckets(order: Order) -> list[Buckets]:
    return [Buckets(li.quantity, li.allocated, li.backordered, li.shipped, li.delivered, li.cancelled)
            for li in order.lines]


def settle_status(order: Order, action: str) -> str:
    """Move the order to the status its lines now put it in (kept under a hold, if held)."""
    derived = derive_status(buckets(order))
    if order.status == Status.ON_HOLD and derived != Status.CANCELLED:
        order.held_from = derived
        return order.status
    check_transition(order.status, derived, action)
    if derived == Status.CANCELLED:
        order.held_from, order.hold_reason = None, None
    order.status = derived
    order.updated_at = utcnow()
    return derived


def hold_order(uow: UnitOfWork, order_id: str, reason: str, actor: str,
               scope_channel_id: str | None = None) -> Order:
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    if order.status not in HOLDABLE:
        raise IllegalTransition(order.status, Status.ON_HOLD, "hold")
    order.held_from, order.status, order.hold_reason = order.status, Status.ON_HOLD, reason
    record(uow, order, "order.held", actor, {"reason": reason}, topic="order.held")
    uow.commit()
    return order


def release_hold(uow: UnitOfWork, order_id: str, actor: str, scope_channel_id: str | None = None,
                 strategy: str | None = None) -> Order:
    from conveyor.orders.reallocation import allocate_open_lines

    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    if order.status != Status.ON_HOLD:
        raise IllegalTransition(order.status, order.held_from or Status.PENDING, "release")
    reason = order.hold_reason
    order.status, order.held_from, order.hold_reason = order.held_from or Status.PENDING, None, None
    record(uow, order, "order.released", actor, {"reason": reason}, topic="order.released")
    if order.status == Status.PENDING:
        from conveyor.channels.skumap import remap_unmapped_lines

        remap_unmapped_lines(uow, order)  # lines held as unmapped_sku get the SKU mapped since
        allocate_open_lines(uow, order, actor, strategy)
    uow.commit()
    return order


def add_note(uow: UnitOfWork, order_id: str, text: str, actor: str, scope_channel_id: str | None = None) -> Order:
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    record(uow, order, "note.added", actor, {"text": text})
    order.updated_at = utcnow()
    uow.commit()
    return order


def change_tags(uow: UnitOfWork, order_id: str, add: list[str], remove: list[str], actor: str,
                scope_channel_id: str | None = None) -> Order:
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    tags = [t for t in order.tags if t not in set(remove)]
    tags += [t for t in add if t not in tags]
    order.tags = tags
    order.updated_at = utcnow()
    record(uow, order, "tags.changed", actor, {"added": add, "removed": remove, "tags": tags})
    uow.commit()
    return order


def check_cancellable(order: Order) -> None:
    if order.status not in CANCELLABLE:
        raise IllegalTransition(order.status, Status.CANCELLED, "cancel")
