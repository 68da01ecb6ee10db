"""Allocating what an order still needs — after a hold at intake, for backorders once stock
arrives, or for the remainder when a location rejects or short-picks (`reroute`). Shortfalls stay
backordered: the order was already accepted. Nothing here commits (`orders/handlers.py` does)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from conveyor.catalog.service import SkuFacts, sku_facts
from conveyor.inventory.allocation import allocate_many, allocation_ledger, release_many
from conveyor.inventory.ledger import apply_changes, write_ledger
from conveyor.inventory.ledger_reasons import LedgerReason
from conveyor.messaging.outbox import Topic
from conveyor.orders import allocations as alloc
from conveyor.orders import routing_bridge as bridge
from conveyor.orders.lifecycle import Status
from conveyor.orders.model import Allocation, Order
from conveyor.orders.operations import resolve_lines, stock_changes
from conveyor.orders.service import announce, get_order, line_parts, rows_by_line, settle
from conveyor.orders.timeline import EventType
from conveyor.routing.model import Component, Destination, Plan, RequestLine, RoutingRequest
from conveyor.routing.rules import plan_order
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import Conflict, DomainError, ErrorCode, ValidationFailed
from conveyor.shared.uow import UnitOfWork

MAX_ATTEMPTS = 3
REROUTABLE = (Status.ALLOCATED, Status.BACKORDERED, Status.PARTIALLY_FULFILLED)


@dataclass(frozen=True, slots=True)
class RoutingChoice:
    """Whose rules route the order (its channel's code) and, optionally, a strategy to use instead."""
    channel: str
    strategy: str | None = None


def allocate_open_lines(uow: UnitOfWork, order: Order, routing: RoutingChoice, actor: str,
                        exclude: frozenset[str] = frozenset()) -> int:
    """Allocate unassigned and backordered units where stock allows; returns the line units
    allocated. The order's buckets and status are settled; the event is on its timeline."""
    parts, rows = line_parts(uow, order), rows_by_line(order)
    request, line_of = _open_request(uow, order, parts, rows)
    before = sum(li.allocated for li in order.lines)
    if request:
        plan, wanted = _plan_and_take(uow, order, request, routing, exclude)
        if wanted:
            _add_allocations(order, bridge.allocation_rows(plan, request, order.id, utcnow(), line_of=line_of))
            write_ledger(uow, allocation_ledger(wanted, order.id), actor)
        explanation = plan.explanation()
    settle(order, parts, "allocate", routed=True)
    units = sum(li.allocated for li in order.lines) - before
    if request:
        announce(uow, order, EventType.ALLOCATED, actor, {"units": units, "routing": explanation},
                 Topic.ORDER_ALLOCATED if units else None)
    return units


def _open_request(uow: UnitOfWork, order: Order, parts: Mapping[str, alloc.LineParts],
                  rows: Mapping[str, list[Allocation]]) -> tuple[tuple[RequestLine, ...], dict[str, str]]:
    """What the order still needs, as routing request lines (and request id → line id where a split
    kit is re-requested part by part)."""
    unmapped = [li.line_no for li in order.lines if li.sku_id is None and li.quantity > li.cancelled]
    if unmapped:
        raise Conflict(f"line(s) {unmapped} have no mapped SKU; map them before allocating", lines=unmapped)
    facts = sku_facts(uow, [li.sku_code for li in order.lines])
    request: list[RequestLine] = []
    line_of: dict[str, str] = {}
    for line in order.lines:
        open_units = line.quantity - line.cancelled - line.shipped
        needs = alloc.component_needs(rows[line.id], parts[line.id], open_units)
        if any(needs.values()):
            request += _request_lines(line.id, facts[line.sku_code], parts[line.id], needs,
                                      line.unit_price_minor, line_of)
    return tuple(request), line_of


def _request_lines(line_id: str, sku: SkuFacts, parts: alloc.LineParts, needs: dict[str, int], price: int,
                   line_of: dict[str, str]) -> list[RequestLine]:
    units = {needs[s] // per for s, per in parts.components.items()}
    whole = len(units) == 1 and all(needs[s] % per == 0 for s, per in parts.components.items())
    if whole:
        return [bridge.request_line(line_id, sku, units.pop(), price)]
    # A split kit with some parts already covered: ask for each missing part on its own.
    lines = []
    for sku_id, need in needs.items():
        if need:
            request_id = f"{line_id}|{sku_id}"
            line_of[request_id] = line_id
            lines.append(RequestLine(request_id, sku_id, need, (Component(sku_id, 1),), 0, 0))
    return lines


def _add_allocations(order: Order, new_rows: list[dict]) -> None:
    """Add to the line's row at that location when there is one: one row per (line, part, location)."""
    existing = {(a.line_id, a.sku_id, a.location_id): a for a in order.allocations}
    for row in new_rows:
        found = existing.get((row["line_id"], row["sku_id"], row["location_id"]))
        if found is not None:
            found.quantity += row["quantity"]
        else:
            order.allocations.append(Allocation(**row))


def _destination(order: Order) -> Destination:
    a = order.shipping_address or {}
    return Destination(a.get("country") or "US", a.get("postal_code", ""), a.get("region", ""),
                       a.get("latitude"), a.get("longitude"))


def _plan_and_take(uow: UnitOfWork, order: Order, request: tuple[RequestLine, ...], routing: RoutingChoice,
                   exclude: frozenset[str]) -> tuple[Plan, dict[tuple[str, str], int]]:
    sku_ids = {c.sku_id for line in request for c in line.components}
    for _ in range(MAX_ATTEMPTS):
        candidates = bridge.snapshot_candidates(uow, sku_ids, exclude=exclude)
        config = bridge.channel_config(uow, routing.channel, routing.strategy)
        plan = plan_order(RoutingRequest(request, _destination(order), routing.channel), candidates, config)
        wanted = {} if plan.fallback == "unfillable" else bridge.component_totals(plan, request)
        taken = allocate_many(uow, wanted)
        if taken == set(wanted):
            return plan, wanted
        release_many(uow, {k: wanted[k] for k in taken})
    raise DomainError(ErrorCode.BUSY, "stock kept changing while allocating; retry")


def reroute(uow: UnitOfWork, order_id: str, location_id: str, actor: str, reason: str, routing: RoutingChoice,
            lines: Mapping[str, int] | None = None, scope_channel_id: str | None = None) -> Order:
    """A location rejected (or short-picked) some or all of what it was given: give those units
    back and route them again, never to that location. Recorded on the timeline."""
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    if order.status not in REROUTABLE:
        raise Conflict(f"cannot re-route an order that is {order.status}", current_status=order.status)
    parts, rows = line_parts(uow, order), rows_by_line(order)
    wanted = resolve_lines(order, lines, lambda li: alloc.open_units_at(rows[li.id], parts[li.id], location_id)
                           if li.id in parts else 0)
    if not wanted:
        raise ValidationFailed(f"nothing of this order is allocated at {location_id}", location_id=location_id)
    changes = [change for line_id, units in wanted.items()
               for change in stock_changes(alloc.release(rows[line_id], parts[line_id], units, location_id),
                                           LedgerReason.RELEASE, order.id, note="re-route")]
    apply_changes(uow, changes, actor, create_missing=False)
    settle(order, parts, "reroute", routed=True)
    announce(uow, order, EventType.REROUTED, actor, {"from_location_id": location_id, "reason": reason,
                                                     "lines": wanted}, Topic.ORDER_REROUTED)
    allocate_open_lines(uow, order, routing, actor, exclude=frozenset({location_id}))
    return order


def waiting_order_ids(uow: UnitOfWork, limit: int = 10_000) -> list[str]:
    """Orders waiting for stock (backordered, or accepted but never allocated), oldest first."""
    return list(uow.session.scalars(
        select(Order.id).where(Order.status.in_([Status.BACKORDERED, Status.PENDING]))
        .order_by(Order.created_at, Order.id).limit(limit)))


def allocate_waiting(uow: UnitOfWork, order_id: str, routing_for: Callable[[Order], RoutingChoice],
                     actor: str) -> int:
    """Allocate what one waiting order can get now (0 if it is no longer waiting)."""
    order = get_order(uow, order_id, for_update=True)
    if order.status not in (Status.BACKORDERED, Status.PENDING):
        return 0
    return allocate_open_lines(uow, order, routing_for(order), actor)
