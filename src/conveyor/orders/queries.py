"""Read-side questions other areas ask about orders: the risk score's counts, what the worker's
scheduled jobs look for (unpaid holds, timed holds that are due, late orders), and past orders
for trying an automation rule out. Each is one bounded query; none changes anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select

from conveyor.orders.lifecycle import Status
from conveyor.orders.model import Order, OrderEvent, OrderLine, Shipment
from conveyor.orders.timeline import EventType
from conveyor.shared.clock import as_utc
from conveyor.shared.errors import NotFound
from conveyor.shared.uow import UnitOfWork

# Holds that mean "the customer has not paid": the unpaid-order job cancels them after a while.
PAYMENT_HOLDS = ("awaiting_payment", "payment_failed")
NOT_SHIPPED = (Status.PENDING, Status.ALLOCATED, Status.BACKORDERED, Status.ON_HOLD)


def customer_order_count(uow: UnitOfWork, email: str, placed_before: datetime | None = None) -> int:
    """Orders this e-mail address placed (before a moment, when given)."""
    if not email:
        return 0
    query = select(func.count()).select_from(Order).where(Order.customer_email == email.strip().lower())
    if placed_before is not None:
        query = query.where(Order.created_at < as_utc(placed_before))
    return int(uow.session.scalar(query) or 0)


def orders_to_address_since(uow: UnitOfWork, ship_to_key: str | None, since: datetime) -> int:
    """Orders shipped to this address (orders.addresses.address_key) since a moment."""
    if not ship_to_key:
        return 0
    return int(uow.session.scalar(select(func.count()).select_from(Order).where(
        Order.ship_to_key == ship_to_key, Order.created_at >= as_utc(since))) or 0)


def _payment_hold():  # noqa: ANN202 - a SQL expression
    return or_(*(or_(Order.hold_reason == reason, Order.hold_reason.like(f"{reason}:%")) for reason in PAYMENT_HOLDS))


def unpaid_hold_ids(uow: UnitOfWork, placed_before: datetime, limit: int = 200) -> list[str]:
    """Orders on hold for payment (hold reason `awaiting_payment` or `payment_failed`, optionally
    followed by `: detail`) placed before a moment, oldest first."""
    return list(uow.session.scalars(select(Order.id).where(
        Order.status == Status.ON_HOLD, _payment_hold(), Order.created_at < as_utc(placed_before))
        .order_by(Order.created_at).limit(limit)))


def due_timed_hold_ids(uow: UnitOfWork, now: datetime, limit: int = 200) -> list[str]:
    return list(uow.session.scalars(select(Order.id).where(
        Order.status == Status.ON_HOLD, Order.hold_until.is_not(None), Order.hold_until <= as_utc(now))
        .order_by(Order.hold_until).limit(limit)))


def late_order_ids(uow: UnitOfWork, placed_before: datetime, limit: int = 200) -> list[str]:
    """Orders placed before a moment and still not (fully) shipped, not yet flagged as delayed.
    Orders held for payment are not late: the customer has not paid yet."""
    flagged = exists().where(OrderEvent.order_id == Order.id, OrderEvent.type == str(EventType.DELAYED))
    held_for_payment = (Order.status == Status.ON_HOLD) & _payment_hold()
    return list(uow.session.scalars(select(Order.id).where(
        Order.status.in_([*NOT_SHIPPED, Status.PARTIALLY_FULFILLED]), Order.created_at < as_utc(placed_before),
        ~held_for_payment, ~flagged).order_by(Order.created_at).limit(limit)))


def recent_orders(uow: UnitOfWork, since: datetime | None = None, limit: int = 500) -> Sequence[Order]:
    """The newest orders (for a rule's dry run), newest first."""
    query = select(Order).order_by(Order.id.desc()).limit(limit)
    if since is not None:
        query = query.where(Order.created_at >= as_utc(since))
    return list(uow.session.scalars(query))


@dataclass(frozen=True, slots=True)
class ShipmentView:
    id: str
    order_id: str
    carrier: str
    tracking_number: str
    status: str
    created_at: datetime
    delivered_at: datetime | None


def shipment_view(uow: UnitOfWork, shipment_id: str) -> ShipmentView:
    s = uow.session.get(Shipment, shipment_id)
    if s is None:
        raise NotFound("shipment", shipment_id)
    return ShipmentView(s.id, s.order_id, s.carrier, s.tracking_number, s.status, s.created_at, s.delivered_at)


def latest_shipment(uow: UnitOfWork, order_id: str) -> ShipmentView | None:
    s = uow.session.scalar(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id.desc()).limit(1))
    return None if s is None else shipment_view(uow, s.id)


# --- the dashboard's overview and order page (conveyor/web) ------------------------------------------

def count_by_status(uow: UnitOfWork) -> dict[str, int]:
    """How many orders are in each status (one grouped count over the status index)."""
    rows = uow.session.execute(select(Order.status, func.count()).group_by(Order.status))
    return {status: int(n) for status, n in rows}


@dataclass(frozen=True, slots=True)
class OrderBrief:
    id: str
    channel_id: str
    external_id: str | None
    status: str
    customer_name: str
    created_at: datetime


def late_orders(uow: UnitOfWork, placed_before: datetime, limit: int = 20) -> tuple[int, list[OrderBrief]]:
    """Orders placed before a moment and not (fully) shipped, except those held for payment: how
    many, and the oldest `limit` of them."""
    held_for_payment = (Order.status == Status.ON_HOLD) & _payment_hold()
    where = (Order.status.in_([*NOT_SHIPPED, Status.PARTIALLY_FULFILLED]),
             Order.created_at < as_utc(placed_before), ~held_for_payment)
    count = int(uow.session.scalar(select(func.count()).select_from(Order).where(*where)) or 0)
    rows = uow.session.execute(select(Order.id, Order.channel_id, Order.external_id, Order.status,
                                      Order.customer_name, Order.created_at)
                               .where(*where).order_by(Order.created_at).limit(limit))
    return count, [OrderBrief(*row) for row in rows]


def shipments_of(uow: UnitOfWork, order_id: str) -> list[ShipmentView]:
    rows = uow.session.scalars(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id))
    return [ShipmentView(s.id, s.order_id, s.carrier, s.tracking_number, s.status, s.created_at, s.delivered_at)
            for s in rows]


@dataclass(frozen=True, slots=True)
class UnmappedSku:
    channel_sku: str
    name: str
    orders: int


def held_unmapped_skus(uow: UnitOfWork, channel_id: str, limit: int = 50) -> list[UnmappedSku]:
    """The channel's SKUs that no SKU of ours is mapped to, with how many held orders wait for each."""
    rows = uow.session.execute(
        select(OrderLine.sku_code, func.max(OrderLine.name), func.count(func.distinct(Order.id)))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.channel_id == channel_id, Order.status == Status.ON_HOLD, OrderLine.sku_id.is_(None))
        .group_by(OrderLine.sku_code).order_by(func.count(func.distinct(Order.id)).desc()).limit(limit))
    return [UnmappedSku(code, name or "", int(n)) for code, name, n in rows]


def count_by_channel_status(uow: UnitOfWork, status: str) -> dict[str, int]:
    """{channel id: orders in `status`} (one grouped count)."""
    rows = uow.session.execute(select(Order.channel_id, func.count()).where(Order.status == status)
                               .group_by(Order.channel_id))
    return {channel_id: int(n) for channel_id, n in rows}


@dataclass(frozen=True, slots=True)
class LineShipping:
    """When a line's units last left and last arrived (returns: the return window runs from them)."""
    shipped_at: datetime | None
    delivered_at: datetime | None


def line_shipping(uow: UnitOfWork, order_id: str) -> dict[str, LineShipping]:
    """Per line id: the latest shipment that carried it, and the latest delivery of those shipments."""
    found: dict[str, LineShipping] = {}
    for s in uow.session.scalars(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)):
        for item in s.items:
            before = found.get(item["line_id"], LineShipping(None, None))
            arrived = as_utc(s.delivered_at) if s.delivered_at else None
            delivered = max((d for d in (before.delivered_at, arrived) if d is not None), default=None)
            found[item["line_id"]] = LineShipping(as_utc(s.created_at), delivered)
    return found
