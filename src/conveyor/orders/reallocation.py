"""Allocating what an order still needs (after a hold at intake, or for backorders once stock
arrives). Shortfalls stay backordered: the order was already accepted."""

from __future__ import annotations

from sqlalchemy import insert

from conveyor.inventory.allocation import allocate_many, allocation_ledger, release_many
from conveyor.inventory.ledger import write_ledger
from conveyor.orders import routing_bridge as bridge
from conveyor.orders.model import Allocation, Order
from conveyor.routing.model import Destination, RequestLine
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import UnitOfWork
from conveyor.shared.errors import Conflict, DomainError, ErrorCode

MAX_ATTEMPTS = 3


def _open_request_lines(uow: UnitOfWork, order: Order) -> tuple[RequestLine, ...]:
    unmapped = [li.line_no for li in order.lines if li.sku_id is None and li.unassigned + li.backordered > 0]
    if unmapped:
        raise Conflict(f"line(s) {unmapped} have no mapped SKU; map them before allocating", lines=unmapped)
    needy = [li for li in order.lines if li.unassigned + li.backordered > 0]
    if not needy:
        return ()
    skus = bridge.load_skus(uow, [li.sku_code for li in needy])
    return tuple(RequestLine(li.id, li.sku_id, li.unassigned + li.backordered, skus[li.sku_code].components,
                             skus[li.sku_code].weight_grams, li.unit_price_minor) for li in needy)


def allocate_open_lines(uow: UnitOfWork, order: Order, actor: str, strategy: str = "priority") -> int:
    """Allocate unassigned and backordered units where stock allows; returns units allocated.
    Does not commit: the caller's transaction also records why it happened."""
    from conveyor.orders.service import record, settle_status

    request = _open_request_lines(uow, order)
    if not request:
        return 0
    a = order.shipping_address or {}
    destination = Destination(a.get("country") or "US", a.get("postal_code", ""), a.get("region", ""),
                              a.get("latitude"), a.get("longitude"))
    for _ in range(MAX_ATTEMPTS):
        plan = bridge.plan_lines(uow, request, destination, "", strategy)
        wanted = bridge.component_totals(plan, request)
        taken = allocate_many(uow, wanted)
        if taken == set(wanted):
            break
        release_many(uow, {k: wanted[k] for k in taken})
    else:
        raise DomainError(ErrorCode.BUSY, "stock kept changing while allocating; retry")
    _apply(uow, order, plan, request, wanted, actor)
    settle_status(order, "allocate")
    units = sum(x.quantity for x in plan.assignments)
    record(uow, order, "order.allocated", actor, {"units": units, "routing": plan.explanation()},
           topic="order.allocated" if units else None)
    return units


def _apply(uow, order, plan, request, wanted, actor) -> None:
    by_line = {li.id: li for li in order.lines}
    components = {r.line_id: r.components for r in request}
    now = utcnow()
    rows = []
    for a in plan.assignments:
        for c in components[a.line_id]:
            rows.append({"id": ids.new_id("allocation"), "order_id": order.id, "line_id": a.line_id,
                         "sku_id": c.sku_id, "location_id": a.location_id, "per_unit": c.per_unit,
                         "quantity": a.quantity * c.per_unit, "shipped": 0, "created_at": now})
    for r in request:
        line = by_line[r.line_id]
        got = sum(a.quantity for a in plan.assignments if a.line_id == r.line_id)
        line.allocated += got
        line.backordered = r.quantity - got
    if rows:
        uow.session.execute(insert(Allocation.__table__), rows)
        write_ledger(uow, allocation_ledger(wanted, order.id), actor)
    uow.session.flush()
    uow.session.expire(order, ["allocations"])
