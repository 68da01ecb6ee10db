"""Cancelling lines, shipping and delivering: the operations that move stock out of an order."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from conveyor.inventory.ledger import StockChange, apply_changes
from conveyor.inventory.model import LedgerReason
from conveyor.orders.lifecycle import IllegalTransition, Status, check_transition
from conveyor.orders.model import Allocation, Order, OrderLine, Shipment
from conveyor.orders.service import check_cancellable, get_order, record, settle_status
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import UnitOfWork
from conveyor.shared.errors import ErrorCode, NotFound, ValidationFailed


def _line_quantities(order: Order, requested: dict[str, int] | None, available) -> dict[str, int]:
    """Resolve {line id or line number: qty} (None = everything available) against the order."""
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
        if qty > available(line):
            raise ValidationFailed(f"line {key}: only {available(line)} can be taken, not {qty}",
                                   ErrorCode.INVALID_QUANTITY, line=key, available=available(line))
        wanted[line.id] = wanted.get(line.id, 0) + qty
    return wanted


def _release_line(line: OrderLine, allocations: list[Allocation], units: int, order_id: str) -> list[StockChange]:
    """Give back `units` of a line's allocation, location by location."""
    changes = []
    for loc_allocs in _group_by_location(allocations).values():
        can = min(a.quantity // a.per_unit for a in loc_allocs)
        take = min(can, units)
        if take <= 0:
            continue
        for a in loc_allocs:
            a.quantity -= take * a.per_unit
            changes.append(StockChange(a.sku_id, a.location_id, LedgerReason.RELEASE,
                                       d_allocated=-take * a.per_unit, reference_type="order",
                                       reference_id=order_id))
        units -= take
    return changes


def _group_by_location(allocations: list[Allocation]) -> dict[str, list[Allocation]]:
    grouped: dict[str, list[Allocation]] = defaultdict(list)
    for a in allocations:
        if a.quantity > 0:
            grouped[a.location_id].append(a)
    return grouped


def cancel_order(uow: UnitOfWork, order_id: str, *, lines: dict[str, int] | None = None, reason: str = "",
                 actor: str, scope_channel_id: str | None = None) -> Order:
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    check_cancellable(order)
    wanted = _line_quantities(order, lines, lambda li: li.open_quantity)
    if not wanted:
        raise IllegalTransition(order.status, Status.CANCELLED, "cancel")
    changes: list[StockChange] = []
    for line in order.lines:
        units = wanted.get(line.id, 0)
        if not units:
            continue
        from_back = min(units, line.backordered)
        from_unassigned = min(units - from_back, line.unassigned)
        from_alloc = units - from_back - from_unassigned
        line.backordered -= from_back
        line.allocated -= from_alloc
        line.cancelled += units
        if from_alloc:
            changes += _release_line(line, [a for a in order.allocations if a.line_id == line.id],
                                     from_alloc, order.id)
    apply_changes(uow, changes, actor, create_missing=False)
    settle_status(order, "cancel")
    record(uow, order, "order.cancelled" if order.status == Status.CANCELLED else "lines.cancelled", actor,
           {"reason": reason, "lines": wanted}, topic="order.cancelled")
    uow.commit()
    return order


def ship_order(uow: UnitOfWork, order_id: str, *, location_id: str, lines: dict[str, int] | None = None,
               carrier: str = "", tracking_number: str = "", actor: str,
               scope_channel_id: str | None = None) -> Shipment:
    """Record that allocated units left `location_id`: on hand and allocated both go down."""
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    if order.status not in (Status.ALLOCATED, Status.BACKORDERED, Status.PARTIALLY_FULFILLED):
        raise IllegalTransition(order.status, Status.FULFILLED, "ship")
    at_location = [a for a in order.allocations if a.location_id == location_id and a.quantity > 0]

    def shippable(line: OrderLine) -> int:
        mine = [a for a in at_location if a.line_id == line.id]
        return min((a.quantity // a.per_unit for a in mine), default=0)

    wanted = _line_quantities(order, lines, shippable)
    if not wanted:
        raise ValidationFailed(f"nothing of this order is allocated at {location_id}", location_id=location_id)
    changes = []
    for line in order.lines:
        units = wanted.get(line.id, 0)
        for a in (a for a in at_location if a.line_id == line.id and units):
            a.quantity -= units * a.per_unit
            a.shipped += units * a.per_unit
            changes.append(StockChange(a.sku_id, location_id, LedgerReason.SHIPMENT,
                                       d_on_hand=-units * a.per_unit, d_allocated=-units * a.per_unit,
                                       reference_type="order", reference_id=order.id))
        line.allocated -= units
        line.shipped += units
    apply_changes(uow, changes, actor, create_missing=False)
    shipment = Shipment(id=ids.new_id("shipment"), order_id=order.id, location_id=location_id, carrier=carrier,
                        tracking_number=tracking_number, items=[{"line_id": k, "quantity": v}
                                                                for k, v in wanted.items()])
    uow.session.add(shipment)
    settle_status(order, "ship")
    record(uow, order, "order.shipped", actor, {"shipment_id": shipment.id, "location_id": location_id,
                                                  "carrier": carrier, "tracking_number": tracking_number,
                                                  "lines": wanted}, topic="order.shipped")
    uow.commit()
    return shipment


def deliver_shipment(uow: UnitOfWork, order_id: str, shipment_id: str | None, actor: str,
                     scope_channel_id: str | None = None) -> Order:
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    query = select(Shipment).where(Shipment.order_id == order.id, Shipment.status == "shipped")
    if shipment_id:
        query = query.where(Shipment.id == shipment_id)
    shipments = list(uow.session.scalars(query))
    if not shipments:
        if shipment_id:
            raise NotFound("shipment", shipment_id)
        raise IllegalTransition(order.status, Status.DELIVERED, "deliver")
    by_id = {li.id: li for li in order.lines}
    for shipment in shipments:
        shipment.status, shipment.delivered_at = "delivered", utcnow()
        for item in shipment.items:
            by_id[item["line_id"]].delivered += item["quantity"]
    settle_status(order, "deliver")
    record(uow, order, "order.delivered", actor, {"shipments": [s.id for s in shipments]},
           topic="order.delivered")
    uow.commit()
    return order


def complete_order(uow: UnitOfWork, order_id: str, actor: str, scope_channel_id: str | None = None) -> Order:
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    check_transition(order.status, Status.COMPLETED, "complete")
    order.status = Status.COMPLETED
    record(uow, order, "order.completed", actor, topic="order.completed")
    uow.commit()
    return order
