"""Allocating what an order still needs — after a hold at intake, for backorders once stock
arrives (`conveyor route batch`), or for the remainder when a location rejects or short-picks
(`reroute`). Shortfalls stay backordered: the order was already accepted."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from conveyor.channels.service import channel_by_code, channel_code_for
from conveyor.inventory.allocation import allocate_many, allocation_ledger, release_many
from conveyor.inventory.ledger import StockChange, apply_changes, write_ledger
from conveyor.inventory.model import LedgerReason
from conveyor.orders import routing_bridge as bridge
from conveyor.orders.lifecycle import Status
from conveyor.orders.model import Allocation, Order
from conveyor.routing.model import Destination, Plan, RequestLine
from conveyor.shared.clock import utcnow
from conveyor.shared.db import UnitOfWork, insert_rows
from conveyor.shared.errors import Conflict, DomainError, ErrorCode, ValidationFailed

MAX_ATTEMPTS = 3


def _open_request_lines(uow: UnitOfWork, order: Order) -> tuple[RequestLine, ...]:
    unmapped = [li.line_no for li in order.lines if li.sku_id is None and li.unassigned + li.backordered > 0]
    if unmapped:
        raise Conflict(f"line(s) {unmapped} have no mapped SKU; map them before allocating", lines=unmapped)
    needy = [li for li in order.lines if li.unassigned + li.backordered > 0]
    if not needy:
        return ()
    skus = bridge.load_skus(uow, [li.sku_code for li in needy])
    return tuple(bridge.request_line(li.id, skus[li.sku_code], li.unassigned + li.backordered,
                                     li.unit_price_minor) for li in needy)


def _destination(order: Order) -> Destination:
    a = order.shipping_address or {}
    return Destination(a.get("country") or "US", a.get("postal_code", ""), a.get("region", ""),
                       a.get("latitude"), a.get("longitude"))


def _plan_and_take(uow: UnitOfWork, order: Order, request: tuple[RequestLine, ...], strategy: str | None,
                   exclude: frozenset[str]) -> tuple[Plan, dict]:
    channel = channel_by_code(uow, channel_code_for(uow, order.channel_id))
    for _ in range(MAX_ATTEMPTS):
        plan = bridge.plan_lines(uow, request, _destination(order), channel.code,
                                 strategy or channel.routing_strategy, exclude=exclude)
        wanted = {} if plan.fallback == "unfillable" else bridge.component_totals(plan, request)
        taken = allocate_many(uow, wanted)
        if taken == set(wanted):
            return plan, wanted
        release_many(uow, {k: wanted[k] for k in taken})
    raise DomainError(ErrorCode.BUSY, "stock kept changing while allocating; retry")


def allocate_open_lines(uow: UnitOfWork, order: Order, actor: str, strategy: str | None = None,
                        exclude: frozenset[str] = frozenset()) -> int:
    """Allocate unassigned and backordered units where stock allows; returns units allocated.
    Does not commit: the caller's transaction also records why it happened."""
    from conveyor.orders.service import record, settle_status

    request = _open_request_lines(uow, order)
    if not request:
        return 0
    plan, wanted = _plan_and_take(uow, order, request, strategy, exclude)
    got = bridge.line_units(plan, request) if wanted else {}
    by_line = {li.id: li for li in order.lines}
    for r in request:
        line = by_line[r.line_id]
        line.allocated += got.get(r.line_id, 0)
        line.backordered = r.quantity - got.get(r.line_id, 0)
    if wanted:
        insert_rows(uow.session, Allocation.__table__, bridge.allocation_rows(plan, request, order.id, utcnow()))
        write_ledger(uow, allocation_ledger(wanted, order.id), actor)
    uow.session.flush()
    uow.session.expire(order, ["allocations"])
    settle_status(order, "allocate")
    units = sum(got.values())
    record(uow, order, "order.allocated", actor, {"units": units, "routing": plan.explanation()},
           topic="order.allocated" if units else None)
    return units


def reroute(uow: UnitOfWork, order_id: str, location_id: str, actor: str, reason: str,
            lines: dict[str, int] | None = None) -> Order:
    """A location rejected (or short-picked) some or all of what it was given: release those
    units and route them again, never back to that location. Recorded on the timeline."""
    from conveyor.orders.service import get_order, record

    order = get_order(uow, order_id, for_update=True)
    if order.status not in (Status.ALLOCATED, Status.BACKORDERED, Status.PARTIALLY_FULFILLED):
        raise Conflict(f"cannot re-route an order that is {order.status}", current_status=order.status)
    released = _release_at(uow, order, location_id, lines, actor)
    if not released:
        raise ValidationFailed(f"nothing of this order is allocated at {location_id}", location_id=location_id)
    record(uow, order, "order.rerouted", actor, {"from_location_id": location_id, "reason": reason,
                                                 "lines": released}, topic="order.rerouted")
    allocate_open_lines(uow, order, actor, exclude=frozenset({location_id}))
    uow.commit()
    return order


def _release_at(uow: UnitOfWork, order: Order, location_id: str, lines: dict[str, int] | None,
                actor: str) -> dict[str, int]:
    """Give back the order's open allocation at one location (all, or `lines` {line id: units})."""
    by_line: dict[str, list[Allocation]] = defaultdict(list)
    for a in order.allocations:
        if a.location_id == location_id and a.quantity > 0:
            by_line[a.line_id].append(a)
    released, changes = {}, []
    for line in order.lines:
        allocs = by_line.get(line.id)
        if not allocs:
            continue
        here = min(a.quantity // a.per_unit for a in allocs)
        units = min(here, (lines or {}).get(line.id, here))
        if units <= 0:
            continue
        for a in allocs:
            a.quantity -= units * a.per_unit
            changes.append(StockChange(a.sku_id, location_id, LedgerReason.RELEASE, d_allocated=-units * a.per_unit,
                                       reference_type="order", reference_id=order.id, note="re-route"))
        line.allocated -= units
        released[line.id] = units
    apply_changes(uow, changes, actor, create_missing=False)
    return released


def waiting_order_ids(uow: UnitOfWork, limit: int = 10_000) -> list[str]:
    """Orders waiting for stock (backordered, or accepted but never allocated), oldest first."""
    return list(uow.session.scalars(
        select(Order.id).where(Order.status.in_([Status.BACKORDERED, Status.PENDING]))
        .order_by(Order.created_at, Order.id).limit(limit)))


def allocate_waiting(uow: UnitOfWork, order_id: str, actor: str, strategy: str | None = "optimal") -> int:
    """One step of the batch: allocate what one waiting order can now get; commits."""
    from conveyor.orders.service import get_order

    order = get_order(uow, order_id, for_update=True)
    if order.status not in (Status.BACKORDERED, Status.PENDING):
        return 0
    units = allocate_open_lines(uow, order, actor, strategy)
    uow.commit()
    return units
