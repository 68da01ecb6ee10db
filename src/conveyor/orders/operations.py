"""Cancelling lines, shipping and delivering: the operations that move stock out of an order.

Each works on the order's allocation rows through `orders.allocations` (one definition of how
rows become buckets), writes the matching stock ledger entries, re-settles the buckets and the
status, and announces the change. None commits: `orders/handlers.py` does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from conveyor.inventory.ledger import StockChange, apply_changes
from conveyor.inventory.ledger_reasons import LedgerReason
from conveyor.messaging.outbox import Topic
from conveyor.orders import allocations as alloc
from conveyor.orders.lifecycle import CANCELLABLE, IllegalTransition, Status, check_transition
from conveyor.orders.model import Order, OrderLine, Shipment
from conveyor.orders.service import announce, get_order, line_parts, rows_by_line, settle
from conveyor.orders.timeline import EventType
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import ErrorCode, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork

SHIPPABLE = (Status.ALLOCATED, Status.BACKORDERED, Status.PARTIALLY_FULFILLED)


def resolve_lines(order: Order, requested: Mapping[str, int] | None,
                  available: Callable[[OrderLine], int]) -> dict[str, int]:
    """Resolve {line id or line number: units} (None = everything available) against the order,
    refusing a line the order doesn't have or more units than `available` allows."""
    by_key = {li.id: li for li in order.lines} | {str(li.line_no): li for li in order.lines}
    if requested is None:
        return {li.id: available(li) for li in order.lines if available(li) > 0}
    wanted: dict[str, int] = {}
    for key, qty in requested.items():
        line = by_key.get(str(key))
        if line is None:
            raise ValidationFailed(f"order has no line {key!r}", line=key)
        if not isinstance(qty, int) or qty <= 0:
            raise ValidationFailed(f"line {key}: quantity must be positive", ErrorCode.INVALID_QUANTITY, line=key)
        total = wanted.get(line.id, 0) + qty
        if total > available(line):
            raise ValidationFailed(f"line {key}: only {available(line)} can be taken, not {total}",
                                   ErrorCode.INVALID_QUANTITY, line=key, available=available(line))
        wanted[line.id] = total
    return wanted


def stock_changes(moves: Iterable[alloc.Movement], reason: LedgerReason, order_id: str, *,
                  shipped: bool = False, note: str = "") -> list[StockChange]:
    """Ledger entries for units leaving allocation rows: released (allocated only) or shipped
    (allocated and on hand)."""
    return [StockChange(m.sku_id, m.location_id, reason, d_on_hand=-m.units if shipped else 0,
                        d_allocated=-m.units, reference_type="order", reference_id=order_id, note=note)
            for m in moves]


def _unallocated(line: OrderLine) -> int:
    return line.quantity - line.cancelled - line.shipped - line.allocated


def cancel_order(uow: UnitOfWork, order_id: str, *, lines: Mapping[str, int] | None = None, reason: str = "",
                 actor: str, scope_channel_id: str | None = None, source: str = "") -> Order:
    """Cancel units (all open ones when `lines` is None): units without stock first, then
    allocated units, whose stock goes back to the locations. `source="channel"` says the order's
    own channel cancelled it, so the cancel is not sent back there (channels/sync.py)."""
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    if order.status not in CANCELLABLE:
        raise IllegalTransition(order.status, Status.CANCELLED, "cancel")
    parts, rows = line_parts(uow, order), rows_by_line(order)

    def cancellable(line: OrderLine) -> int:
        held = alloc.releasable_units(rows[line.id], parts[line.id]) if line.id in parts else 0
        return _unallocated(line) + held

    wanted = resolve_lines(order, lines, cancellable)
    if not wanted:
        raise IllegalTransition(order.status, Status.CANCELLED, "cancel")
    changes = []
    for line in order.lines:
        units = wanted.get(line.id, 0)
        release = units - min(units, _unallocated(line))
        if release:
            changes += stock_changes(alloc.release(rows[line.id], parts[line.id], release),
                                     LedgerReason.RELEASE, order.id)
    apply_changes(uow, changes, actor, create_missing=False)
    for line in order.lines:  # buckets change after the stock statements, all together
        line.cancelled += wanted.get(line.id, 0)
    settle(order, parts, "cancel")
    event = EventType.CANCELLED if order.status == Status.CANCELLED else EventType.LINES_CANCELLED
    data: dict[str, Any] = {"reason": reason, "lines": wanted, **({"source": source} if source else {})}
    announce(uow, order, event, actor, data, Topic.ORDER_CANCELLED)
    return order


def ship_order(uow: UnitOfWork, order_id: str, *, location_id: str, lines: Mapping[str, int] | None = None,
               carrier: str = "", tracking_number: str = "", actor: str,
               scope_channel_id: str | None = None) -> Shipment:
    """Record that allocated units left `location_id`: on hand and allocated both go down."""
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    if order.status not in SHIPPABLE:
        raise IllegalTransition(order.status, Status.FULFILLED, "ship")
    parts, rows = line_parts(uow, order), rows_by_line(order)

    def shippable(line: OrderLine) -> int:
        return alloc.open_units_at(rows[line.id], parts[line.id], location_id) if line.id in parts else 0

    wanted = resolve_lines(order, lines, shippable)
    if not wanted:
        raise ValidationFailed(f"nothing of this order is allocated at {location_id}", location_id=location_id)
    changes, items = [], []
    for line_id, units in wanted.items():
        moves = alloc.ship(rows[line_id], parts[line_id], units, location_id)
        changes += stock_changes(moves, LedgerReason.SHIPMENT, order.id, shipped=True)
        items.append({"line_id": line_id, "quantity": units, "components": _components(moves)})
    apply_changes(uow, changes, actor, create_missing=False)
    shipment = Shipment(id=ids.new_id("shipment"), order_id=order.id, location_id=location_id, carrier=carrier,
                        tracking_number=tracking_number, items=items, status="shipped", created_at=utcnow())
    uow.session.add(shipment)
    settle(order, parts, "ship")
    announce(uow, order, EventType.SHIPPED, actor, {
        "shipment_id": shipment.id, "location_id": location_id, "carrier": carrier,
        "tracking_number": tracking_number, "lines": wanted}, Topic.ORDER_SHIPPED)
    return shipment


def _components(moves: list[alloc.Movement]) -> list[dict[str, Any]]:
    totals: dict[str, int] = defaultdict(int)
    for m in moves:
        totals[m.sku_id] += m.units
    return [{"sku_id": sku_id, "quantity": units} for sku_id, units in sorted(totals.items())]


def deliver_shipment(uow: UnitOfWork, order_id: str, shipment_id: str | None, actor: str,
                     scope_channel_id: str | None = None) -> Order:
    """Mark one shipment (or every shipment still on its way) delivered."""
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    shipments = list(uow.session.scalars(select(Shipment).where(Shipment.order_id == order.id)))
    due = [s for s in shipments if s.status in ("shipped", "out_for_delivery") and shipment_id in (None, s.id)]
    if not due:
        if shipment_id and all(s.id != shipment_id for s in shipments):
            raise NotFound("shipment", shipment_id)
        raise IllegalTransition(order.status, Status.DELIVERED, "deliver")
    for shipment in due:
        shipment.status, shipment.delivered_at = "delivered", utcnow()
    delivered = _delivered_units([s for s in shipments if s.status == "delivered"], line_parts(uow, order))
    for line in order.lines:
        line.delivered = min(line.shipped, delivered.get(line.id, 0))
    settle(order, line_parts(uow, order), "deliver")
    announce(uow, order, EventType.DELIVERED, actor, {"shipments": [s.id for s in due]}, Topic.ORDER_DELIVERED)
    return order


def _delivered_units(shipments: list[Shipment], parts: Mapping[str, alloc.LineParts]) -> dict[str, int]:
    """Whole line units delivered: a split kit counts once every part has arrived."""
    by_component: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    plain: dict[str, int] = defaultdict(int)
    for shipment in shipments:
        for item in shipment.items:
            plain[item["line_id"]] += item["quantity"]
            for part in item.get("components", []):
                by_component[item["line_id"]][part["sku_id"]] += part["quantity"]
    result = dict(plain)
    for line_id, got in by_component.items():
        if line_id in parts and parts[line_id].split:
            result[line_id] = min(got.get(sku, 0) // per for sku, per in parts[line_id].components.items())
    return result


def complete_order(uow: UnitOfWork, order_id: str, actor: str, scope_channel_id: str | None = None) -> Order:
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    check_transition(order.status, Status.COMPLETED, "complete")
    order.status = Status.COMPLETED
    order.updated_at = utcnow()
    announce(uow, order, EventType.COMPLETED, actor, topic=Topic.ORDER_COMPLETED)
    return order


def out_for_delivery(uow: UnitOfWork, order_id: str, shipment_id: str | None, actor: str) -> Order:
    """The carrier says a shipment (the latest, when not named) is on the last mile."""
    order = get_order(uow, order_id, for_update=True)
    query = select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id.desc())
    shipments = [s for s in uow.session.scalars(query) if shipment_id in (None, s.id)]
    if not shipments:
        if shipment_id:
            raise NotFound("shipment", shipment_id)
        raise IllegalTransition(order.status, order.status, "out_for_delivery")
    shipment = shipments[0]
    if shipment.status == "shipped":
        shipment.status = "out_for_delivery"
    announce(uow, order, EventType.OUT_FOR_DELIVERY, actor, {
        "shipment_id": shipment.id, "carrier": shipment.carrier, "tracking_number": shipment.tracking_number},
        Topic.ORDER_OUT_FOR_DELIVERY)
    return order


def flag_delayed(uow: UnitOfWork, order_id: str, promised_by: datetime, actor: str, reason: str = "") -> Order:
    """The order missed its promised ship date: once on the timeline, once in the outbox (the
    worker tells staff and the customer)."""
    order = get_order(uow, order_id, for_update=True)
    announce(uow, order, EventType.DELAYED, actor, {"promised_by": promised_by.isoformat(), "reason": reason},
             Topic.ORDER_DELAYED)
    return order


def record_returned(uow: UnitOfWork, order_id: str, returned: Mapping[str, int]) -> Order:
    """Whole units of lines that came back and are given back to the customer (the returns area
    grades them): the `returned` bucket, a part of `shipped`. Refused beyond what shipped."""
    order = get_order(uow, order_id, for_update=True)
    by_id = {li.id: li for li in order.lines}
    for line_id, units in returned.items():
        line = by_id.get(line_id)
        if line is None:
            raise NotFound("order line", line_id)
        if units < 0 or line.returned + units > line.shipped:
            raise ValidationFailed(f"line {line.line_no}: {units} more cannot have come back "
                                   f"({line.returned} of {line.shipped} shipped already did)",
                                   ErrorCode.INVALID_QUANTITY, line=line_id)
    for line_id, units in returned.items():
        by_id[line_id].returned += units
    order.updated_at = utcnow()
    return order
