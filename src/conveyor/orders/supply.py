"""What purchasing and planning need from orders: demand history, waiting units, and allocating a
drop-shipped order at its supplier's location. Reads and writes go through the order's own rules
(`settle`, `announce`); nothing here commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from conveyor.catalog.service import sku_facts
from conveyor.inventory.ledger import StockChange, apply_changes
from conveyor.inventory.ledger_reasons import LedgerReason
from conveyor.messaging.outbox import Topic
from conveyor.orders import allocations as alloc
from conveyor.orders.lifecycle import Status
from conveyor.orders.model import Allocation, Order, OrderLine
from conveyor.orders.service import announce, get_order, line_parts, rows_by_line, settle
from conveyor.orders.timeline import EventType
from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.errors import Conflict, ValidationFailed
from conveyor.shared.uow import UnitOfWork

WAITING = (Status.BACKORDERED, Status.PENDING)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def daily_demand(uow: UnitOfWork, first_day: date, last_day: date) -> list[tuple[str, str, date, int]]:
    """(sku id, location id, UTC day, units) for orders created from `first_day` to `last_day`.

    Demand is what was allocated or shipped from a location (kits as their components), on the day
    the order was placed; units cancelled before they were allocated, and backorders not yet
    allocated, are not counted (they have no location yet)."""
    rows = uow.session.execute(
        select(Allocation.sku_id, Allocation.location_id, Order.created_at,
               Allocation.quantity + Allocation.shipped)
        .join(Order, Order.id == Allocation.order_id)
        .where(Order.created_at >= _midnight(first_day), Order.created_at < _midnight(last_day + timedelta(days=1))))
    totals: dict[tuple[str, str, date], int] = defaultdict(int)
    for sku_id, location_id, created_at, units in rows:
        if units:
            totals[(sku_id, location_id, as_utc(created_at).date())] += units
    return [(s, loc, d, u) for (s, loc, d), u in sorted(totals.items())]


def first_demand_day(uow: UnitOfWork) -> date | None:
    first = uow.session.scalar(select(func.min(Order.created_at)).where(Order.id.in_(select(Allocation.order_id))))
    return None if first is None else as_utc(first).date()


def _waiting_lines(uow: UnitOfWork, limit: int) -> list[tuple[str, str, int]]:
    """(order id, sku code, units waiting) of waiting orders' lines, oldest order first."""
    waiting = OrderLine.quantity - OrderLine.cancelled - OrderLine.shipped - OrderLine.allocated
    orders = (select(Order.id).where(Order.status.in_(WAITING)).order_by(Order.created_at, Order.id)
              .limit(limit).subquery())
    rows = uow.session.execute(
        select(OrderLine.order_id, OrderLine.sku_code, waiting, Order.created_at)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.order_id.in_(select(orders.c.id)), OrderLine.sku_id.is_not(None), waiting > 0)
        .order_by(Order.created_at, Order.id, OrderLine.line_no))
    return [(order_id, code, units) for order_id, code, units, _ in rows]


def waiting_orders_needing(uow: UnitOfWork, sku_ids: Collection[str], limit: int = 10_000) -> list[str]:
    """Orders waiting for stock with a line that needs one of `sku_ids` (itself or as a kit part),
    oldest first: the ones a receipt of those SKUs may fill."""
    lines = _waiting_lines(uow, limit)
    facts = sku_facts(uow, [code for _, code, _ in lines])
    wanted, found = set(sku_ids), []
    for order_id, code, _ in lines:
        parts = {part for part, _ in facts[code].components} if code in facts else set()
        if parts & wanted and order_id not in found:
            found.append(order_id)
    return found


def waiting_orders_of_channels(uow: UnitOfWork, channel_ids: Collection[str], limit: int = 10_000) -> list[str]:
    """Orders of these channels waiting for stock, oldest first."""
    if not channel_ids:
        return []
    return list(uow.session.scalars(
        select(Order.id).where(Order.status.in_(WAITING), Order.channel_id.in_(list(channel_ids)))
        .order_by(Order.created_at, Order.id).limit(limit)))


def waiting_units_by_sku(uow: UnitOfWork, limit: int = 100_000) -> dict[str, int]:
    """Units of each stocked SKU that waiting orders still need (kits as their parts)."""
    lines = _waiting_lines(uow, limit)
    facts = sku_facts(uow, [code for _, code, _ in lines])
    totals: dict[str, int] = defaultdict(int)
    for _, code, units in lines:
        for part, per_unit in facts[code].components if code in facts else ():
            totals[part] += units * per_unit
    return dict(totals)


@dataclass(frozen=True, slots=True)
class WaitingLine:
    line_id: str
    sku_id: str
    sku_code: str
    units: int


def waiting_lines_of(order: Order) -> list[WaitingLine]:
    """The lines of an order that still wait for stock (not allocated, shipped nor cancelled)."""
    return [WaitingLine(li.id, li.sku_id, li.sku_code, li.quantity - li.cancelled - li.shipped - li.allocated)
            for li in order.lines
            if li.sku_id and li.quantity - li.cancelled - li.shipped - li.allocated > 0]


def order_snapshot(uow: UnitOfWork, order_id: str) -> dict[str, Any]:
    """What a drop-ship PO needs to know of an order: channel, status, address, customer."""
    order = get_order(uow, order_id)
    return {"order_id": order.id, "channel_id": order.channel_id, "status": order.status,
            "external_id": order.external_id, "customer_name": order.customer_name,
            "customer_email": order.customer_email, "customer_phone": order.customer_phone,
            "shipping_address": dict(order.shipping_address or {}), "created_at": order.created_at,
            "waiting": waiting_lines_of(order)}


def allocate_at(uow: UnitOfWork, order_id: str, location_id: str, units_by_line: Mapping[str, int],
                actor: str, reference: str) -> Order:
    """Allocate waiting units of an order at one location chosen by the caller (a drop-ship
    supplier's location), outside routing. The stock must already be on hand there."""
    order = get_order(uow, order_id, for_update=True)
    if order.status in (Status.CANCELLED, Status.COMPLETED, Status.ON_HOLD):
        raise Conflict(f"cannot allocate to an order that is {order.status}", current_status=order.status)
    parts, lines = line_parts(uow, order), {li.id: li for li in order.lines}
    changes, existing = [], {(a.line_id, a.sku_id, a.location_id): a for a in order.allocations}
    for line_id, units in units_by_line.items():
        line = lines.get(line_id)
        if line is None or line_id not in parts:
            raise ValidationFailed(f"line {line_id!r} is not a mapped line of order {order_id}", line_id=line_id)
        if units > line.quantity - line.cancelled - line.shipped - line.allocated:
            raise Conflict(f"line {line_id} does not wait for {units} units", line_id=line_id)
        for sku_id, per_unit in parts[line_id].components.items():
            _add_row(order, existing, line_id, sku_id, location_id, per_unit, units * per_unit)
            changes.append(StockChange(sku_id, location_id, LedgerReason.ALLOCATION, d_allocated=units * per_unit,
                                       reference_type="order", reference_id=order.id, note=reference))
    apply_changes(uow, changes, actor, create_missing=False)
    settle(order, parts, "allocate", routed=True)
    announce(uow, order, EventType.ALLOCATED, actor, {"units": sum(units_by_line.values()),
                                                     "routing": {"drop_ship": reference, "location_id": location_id}},
             Topic.ORDER_ALLOCATED)
    return order


def _add_row(order: Order, existing: dict[tuple[str, str, str], Allocation], line_id: str, sku_id: str,
             location_id: str, per_unit: int, quantity: int) -> None:
    row = existing.get((line_id, sku_id, location_id))
    if row is not None:
        row.quantity += quantity
        return
    row = Allocation(id=ids.new_id("allocation"), order_id=order.id, line_id=line_id, sku_id=sku_id,
                     location_id=location_id, per_unit=per_unit, quantity=quantity, shipped=0, created_at=utcnow())
    order.allocations.append(row)
    existing[(line_id, sku_id, location_id)] = row


def open_units_at(uow: UnitOfWork, order_id: str, location_id: str) -> dict[str, int]:
    """{line id: units allocated at `location_id` and not shipped yet}."""
    order = get_order(uow, order_id)
    parts, rows = line_parts(uow, order), rows_by_line(order)
    found = {li.id: alloc.open_units_at(rows[li.id], parts[li.id], location_id) for li in order.lines
             if li.id in parts}
    return {line_id: units for line_id, units in found.items() if units}
