"""Order operations after placement: read, list, hold, release, notes, tags — and the shared steps
every state change ends with (`settle`, `announce`).

Operations never commit (`orders/handlers.py` does). The order row is locked first (FOR UPDATE on
PostgreSQL; SQLite writers are serialised), so two changes to the same order never interleave; the
change, its timeline event and its outbox message commit together."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import lazyload

from conveyor.catalog.service import sku_facts
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.orders import allocations as alloc
from conveyor.orders import timeline
from conveyor.orders.addresses import address_key
from conveyor.orders.lifecycle import HOLDABLE, Buckets, IllegalTransition, Status, check_transition, derive_status
from conveyor.orders.model import Allocation, Order, OrderLine
from conveyor.orders.timeline import EventType
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.errors import ErrorCode, NotFound, ValidationFailed
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork


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


def find_by_external_id(uow: UnitOfWork, channel_id: str, external_id: str, for_update: bool = False) -> Order | None:
    query = select(Order).where(Order.channel_id == channel_id, Order.external_id == external_id)
    if for_update and uow.dialect == "postgresql":
        query = query.with_for_update()
    return uow.session.scalar(query)


def list_orders(uow: UnitOfWork, *, limit: int = 50, cursor: str | None = None,
                scope_channel_id: str | None = None, status: str | None = None, channel_id: str | None = None,
                created_from: datetime | None = None, created_to: datetime | None = None,
                sku: str | None = None, email: str | None = None, q: str | None = None,
                tag: str | None = None, with_lines: bool = True) -> Page[Order]:
    """A page of orders, newest first. `with_lines=False` leaves the lines and allocations to load
    when touched (two queries fewer, for a list that shows only the orders' own columns)."""
    query = select(Order)
    if not with_lines:
        query = query.options(lazyload(Order.lines), lazyload(Order.allocations))
    if scope_channel_id:
        query = query.where(Order.channel_id == scope_channel_id)
    if status:
        query = query.where(Order.status == status)
    if channel_id:
        query = query.where(Order.channel_id == channel_id)
    # Compare instants in UTC: SQLite stores UTC wall-clock text and would ignore an offset.
    if created_from:
        query = query.where(Order.created_at >= as_utc(created_from))
    if created_to:
        query = query.where(Order.created_at < as_utc(created_to))
    if sku:
        query = query.where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku_code == sku)))
    if email:
        query = query.where(Order.customer_email == email.strip().lower())
    if tag:
        query = query.where(_has_tag(uow, tag.strip()))
    if q:
        like, exact = f"%{q.strip()}%", q.strip()
        # A platform's order number as people say it: "#1001" or "1001".
        numbers = [exact, exact.removeprefix("#"), f"#{exact.removeprefix('#')}"]
        query = query.where(or_(Order.id == exact, Order.external_id == exact, Order.order_number.in_(numbers),
                                Order.customer_name.ilike(like), Order.customer_email.ilike(like)))
    return paginate(uow.session, query, Order.id, limit, cursor)


def _has_tag(uow: UnitOfWork, tag: str) -> Any:
    """Orders whose tag list holds `tag` (JSONB containment on PostgreSQL, json_each on SQLite)."""
    if uow.dialect == "postgresql":
        return Order.tags.op("@>")(func.jsonb_build_array(tag))
    each = func.json_each(Order.tags).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == tag))


def order_ids_of_channel(channel_id: str) -> Select[str]:
    """A selectable of the ids of one channel's orders (to scope other areas' lists to them)."""
    return select(Order.id).where(Order.channel_id == channel_id)


def order_timeline(uow: UnitOfWork, order_id: str, scope_channel_id: str | None = None) -> list[Any]:
    get_order(uow, order_id, scope_channel_id)
    return timeline.events(uow, order_id)


# --- the steps every change ends with ----------------------------------------------------------------

# A change to an order's allocation rows, which fulfilment orders follow before the commit
# (shared/uow.py "Reactions"; the detail carries `actor` and, for a shipment, `shipment_id`).
ALLOCATIONS_CHANGED = "order.allocations"
_MOVES_ALLOCATIONS = frozenset({EventType.ALLOCATED, EventType.CANCELLED, EventType.LINES_CANCELLED,
                                EventType.REROUTED, EventType.SHIPPED})
# A change to what an order costs or has shipped, which its payments and invoices follow (payments/flows.py:
# capture per shipment, release or refund what was cancelled, invoice at shipment).
MONEY_CHANGED = "order.money"
_MOVES_MONEY = frozenset({EventType.CANCELLED, EventType.LINES_CANCELLED, EventType.SHIPPED})
# A new order with a payment to take at placement (the detail names provider, method, token, customer).
PAYMENT_DUE = "order.payment_due"


def announce(uow: UnitOfWork, order: Order, event: EventType, actor: str, data: dict[str, Any] | None = None,
             topic: Topic | None = None) -> None:
    """Append the timeline event and (optionally) the outbox message of a change, in its transaction."""
    data = data or {}
    timeline.append(uow, order.id, event, data, actor)
    if event in _MOVES_ALLOCATIONS:
        uow.changed(ALLOCATIONS_CHANGED, order.id, actor=actor, shipment_id=data.get("shipment_id"))
    if event in _MOVES_MONEY:
        uow.changed(MONEY_CHANGED, order.id, actor=actor, shipment_id=data.get("shipment_id"))
    if topic is not None:
        outbox.enqueue(uow, topic, order.id, {"order_id": order.id, "channel_id": order.channel_id,
                                              "external_id": order.external_id, "status": order.status, **data})


def line_parts(uow: UnitOfWork, order: Order) -> dict[str, alloc.LineParts]:
    """What each mapped line is made of (components per unit, may it split)."""
    facts = sku_facts(uow, [li.sku_code for li in order.lines if li.sku_id])
    return {li.id: alloc.LineParts(dict(facts[li.sku_code].components), facts[li.sku_code].allow_split)
            for li in order.lines if li.sku_id and li.sku_code in facts}


def rows_by_line(order: Order) -> dict[str, list[Allocation]]:
    rows: dict[str, list[Allocation]] = {li.id: [] for li in order.lines}
    for a in order.allocations:
        rows.setdefault(a.line_id, []).append(a)
    return rows


def settle(order: Order, parts: Mapping[str, alloc.LineParts], action: str, routed: bool | None = None) -> str:
    """Recompute every line's buckets from its allocation rows, then move the order to the status
    its lines now put it in (kept under a hold, if held). Lines of an order that was never routed
    keep their open units unassigned; otherwise open units without stock are backordered."""
    if routed is None:
        routed = (order.held_from if order.status == Status.ON_HOLD else order.status) != Status.PENDING
    rows = rows_by_line(order)
    for line in order.lines:
        if line.id in parts:
            line.shipped = alloc.shipped_units(rows[line.id], parts[line.id])
            line.allocated = alloc.allocated_units(rows[line.id], parts[line.id])
        unallocated = line.quantity - line.cancelled - line.shipped - line.allocated
        line.backordered = unallocated if routed else 0
    return settle_status(order, action)


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


# --- holds, notes, tags -------------------------------------------------------------------------------

def hold_order(uow: UnitOfWork, order_id: str, reason: str, actor: str,
               scope_channel_id: str | None = None, until: datetime | None = None) -> Order:
    """Put the order on hold; with `until`, the worker lifts the hold at that time."""
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    if order.status not in HOLDABLE:
        raise IllegalTransition(order.status, Status.ON_HOLD, "hold")
    order.held_from, order.status, order.hold_reason = order.status, Status.ON_HOLD, reason
    order.hold_until = as_utc(until) if until else None
    order.updated_at = utcnow()
    data: dict[str, Any] = {"reason": reason}
    if until:
        data["until"] = as_utc(until).isoformat()
    announce(uow, order, EventType.HELD, actor, data, Topic.ORDER_HELD)
    return order


def release_hold(uow: UnitOfWork, order_id: str, actor: str, scope_channel_id: str | None = None) -> Order:
    """Lift the hold; the order returns to the status it was held from. An order held before it
    was ever routed comes back `pending`: the handler then allocates it."""
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    if order.status != Status.ON_HOLD:
        raise IllegalTransition(order.status, order.held_from or Status.PENDING, "release")
    reason = order.hold_reason
    order.status, order.held_from, order.hold_reason = order.held_from or Status.PENDING, None, None
    order.hold_until = None
    order.updated_at = utcnow()
    announce(uow, order, EventType.RELEASED, actor, {"reason": reason}, Topic.ORDER_RELEASED)
    return order


def add_note(uow: UnitOfWork, order_id: str, text: str, actor: str, scope_channel_id: str | None = None) -> Order:
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    announce(uow, order, EventType.NOTE_ADDED, actor, {"text": text})
    order.updated_at = utcnow()
    return order


def change_tags(uow: UnitOfWork, order_id: str, add: list[str], remove: list[str], actor: str,
                scope_channel_id: str | None = None) -> Order:
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    tags = [t for t in order.tags if t not in set(remove)]
    tags += [t for t in add if t not in tags]
    order.tags = tags
    order.updated_at = utcnow()
    announce(uow, order, EventType.TAGS_CHANGED, actor, {"added": add, "removed": remove, "tags": tags})
    return order


# Before anything has shipped the parcel can still go elsewhere.
ADDRESS_EDITABLE = frozenset({Status.PENDING, Status.ALLOCATED, Status.BACKORDERED, Status.ON_HOLD})
ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")


def change_shipping_address(uow: UnitOfWork, order_id: str, address: Mapping[str, Any], actor: str,
                            reason: str = "") -> Order:
    """Correct where the order goes, before any of it has shipped (the allocation stays: re-route
    it if another location is now better). The timeline keeps the old and the new address."""
    order = get_order(uow, order_id, for_update=True)
    if order.status not in ADDRESS_EDITABLE or any(li.shipped for li in order.lines):
        raise ValidationFailed(f"the order is {order.status}: its address can no longer change",
                               ErrorCode.ILLEGAL_TRANSITION)
    new = {name: str(address.get(name) or "").strip() for name in ADDRESS_FIELDS}
    new["country"] = new["country"].upper() or "US"
    if not new["line1"] or not new["city"] or len(new["country"]) != 2:
        raise ValidationFailed("an address needs a street, a city and a 2-letter country code")
    before = dict(order.shipping_address or {})
    order.shipping_address = {**before, **new}
    order.ship_to_key = address_key(order.shipping_address)
    order.updated_at = utcnow()
    announce(uow, order, EventType.ADDRESS_CHANGED, actor,
             {"before": before, "after": order.shipping_address, "reason": reason})
    return order


PRIORITIES = ("low", "normal", "high", "urgent")


def set_preferences(uow: UnitOfWork, order_id: str, actor: str, *, priority: str | None = None,
                    carrier: str | None = None, service: str | None = None) -> Order:
    """Fulfilment hints on the order (priority, preferred carrier service), for the fulfilment
    flow to read; recorded on the timeline. None leaves a value as it is."""
    order = get_order(uow, order_id, for_update=True)
    if priority is not None and priority not in PRIORITIES:
        raise ValidationFailed(f"priority must be one of {', '.join(PRIORITIES)}", priority=priority)
    changed: dict[str, str] = {}
    for name, value in (("priority", priority), ("preferred_carrier", carrier), ("preferred_service", service)):
        if value is not None and getattr(order, name) != value:
            setattr(order, name, value)
            changed[name] = value
    if changed:
        order.updated_at = utcnow()
        announce(uow, order, EventType.PREFERENCES_CHANGED, actor, changed)
    return order
