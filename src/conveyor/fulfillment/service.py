"""Fulfilment orders: opened from the order's allocation rows, kept equal to them, released,
put in and out of exception. Nothing here commits (`fulfillment/handlers.py` does).

Every change the order core makes to allocation rows (release of a hold, re-route, back-order
allocation, a receipt filling backorders, cancel, a shipment recorded by hand) is followed by
`reconcile_order` in the same transaction, whoever made it: `orders.service.announce` notes the
change on the unit of work and `follow_allocations` (registered by conveyor/wiring.py) runs before
the commit. Placement calls `open_for_placement` itself, batched, on its hot path. So the
warehouse's work list always matches what the order says."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from conveyor.catalog.service import sku_codes
from conveyor.fulfillment import reconcile
from conveyor.fulfillment.model import FulfilmentOrder, FulfilmentOrderLine
from conveyor.fulfillment.states import FoStatus, check_move, holds_units
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.orders import timeline
from conveyor.orders.service import ALLOCATIONS_CHANGED, get_order
from conveyor.orders.timeline import EventType
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.errors import NotFound
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork


def get(uow: UnitOfWork, fulfilment_order_id: str, for_update: bool = False) -> FulfilmentOrder:
    """The fulfilment order, or 404. `for_update` locks its order first, then it (PostgreSQL;
    SQLite serialises writers): the order core locks the order before it reconciles fulfilment
    orders, so both take the locks in the same order and a scan never races a cancel."""
    query = select(FulfilmentOrder).where(FulfilmentOrder.id == fulfilment_order_id)
    found = uow.session.scalar(query)
    if found is None:
        raise NotFound("fulfilment order", fulfilment_order_id)
    if for_update and uow.dialect == "postgresql":
        get_order(uow, found.order_id, for_update=True)
        found = uow.session.scalar(query.with_for_update().execution_options(populate_existing=True))
        assert found is not None
    return found


def lock_all(uow: UnitOfWork, fulfilment_order_ids: Iterable[str]) -> dict[str, FulfilmentOrder]:
    """Several fulfilment orders for a change: their orders locked first (in id order), then
    they — the order in which every other path takes the same locks (see `get`)."""
    query = select(FulfilmentOrder).where(FulfilmentOrder.id.in_(set(fulfilment_order_ids)))
    found = list(uow.session.scalars(query))
    if uow.dialect == "postgresql" and found:
        for order_id in sorted({fo.order_id for fo in found}):
            get_order(uow, order_id, for_update=True)
        found = list(uow.session.scalars(query.order_by(FulfilmentOrder.id).with_for_update()
                                          .execution_options(populate_existing=True)))
    return {fo.id: fo for fo in found}


def for_order(uow: UnitOfWork, order_id: str) -> list[FulfilmentOrder]:
    return list(uow.session.scalars(
        select(FulfilmentOrder).where(FulfilmentOrder.order_id == order_id).order_by(FulfilmentOrder.id)))


def list_fulfilment_orders(uow: UnitOfWork, *, location_id: str | None = None, status: str | None = None,
                           order_id: str | None = None, limit: int = 50,
                           cursor: str | None = None) -> Page[FulfilmentOrder]:
    query = select(FulfilmentOrder)
    if location_id:
        query = query.where(FulfilmentOrder.location_id == location_id)
    if status:
        query = query.where(FulfilmentOrder.status == status)
    if order_id:
        query = query.where(FulfilmentOrder.order_id == order_id)
    return paginate(uow.session, query, FulfilmentOrder.id, limit, cursor)


def line_units(fo: FulfilmentOrder) -> dict[str, int]:
    """{order line id: whole line units} the fulfilment order sends (a kit counts once all the
    parts this location holds for it are there)."""
    units: dict[str, int] = {}
    for line in fo.lines:
        if line.quantity > 0:
            whole = line.quantity // line.per_unit
            units[line.order_line_id] = min(units.get(line.order_line_id, whole), whole)
    return {line_id: n for line_id, n in units.items() if n > 0}


def announce(uow: UnitOfWork, fo: FulfilmentOrder, event: EventType, actor: str, data: dict[str, Any] | None = None,
             topic: Topic | None = None) -> None:
    """The fulfilment order's step on its order's timeline (and, optionally, an outbox message)."""
    body = {"fulfilment_order_id": fo.id, "location_id": fo.location_id, "status": fo.status, **(data or {})}
    timeline.append(uow, fo.order_id, event, body, actor)
    if topic is not None:
        outbox.enqueue(uow, topic, fo.id, {"order_id": fo.order_id, **body})


def move(fo: FulfilmentOrder, target: FoStatus, action: str, now: datetime | None = None) -> None:
    check_move(fo.status, target, action)
    now = now or utcnow()
    fo.status = target
    fo.updated_at = now
    stamp = {FoStatus.RELEASED: "released_at", FoStatus.PACKED: "packed_at", FoStatus.SHIPPED: "shipped_at",
             FoStatus.DELIVERED: "delivered_at"}.get(target)
    if stamp:
        setattr(fo, stamp, now)


# --- opening and reconciling -----------------------------------------------------------------------

def _needs(order: Any, codes: dict[str, str]) -> dict[reconcile.Key, reconcile.Need]:
    """Open allocation rows of an order (an Order, or placement's read-only view of one)."""
    line_codes = {li.id: li.sku_code for li in order.lines}
    return {(a.line_id, a.sku_id, a.location_id): reconcile.Need(a.quantity, a.per_unit,
                                                                 codes.get(a.sku_id) or line_codes[a.line_id])
            for a in order.allocations if a.quantity > 0}


def _part_codes(uow: UnitOfWork, orders: Sequence[Any]) -> dict[str, str]:
    """Codes of allocated parts that are not the line's own SKU (kit components): one query,
    none at all for orders without kits."""
    own = {li.sku_id for order in orders for li in order.lines}
    parts = sorted({a.sku_id for order in orders for a in order.allocations} - own)
    return sku_codes(uow, parts) if parts else {}


def open_for_placement(uow: UnitOfWork, orders: Iterable[Any], actor: str) -> None:
    """Pending fulfilment orders for newly placed orders (one per location they were allocated
    at), written with the transaction's deferred multi-row inserts: no read, three INSERTs at
    commit whatever the batch size (fulfilment orders, their lines, timeline events)."""
    placed = [o for o in orders if o is not None and o.allocations]
    if not placed:
        return
    codes, now = _part_codes(uow, placed), utcnow()
    fo_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for order in placed:
        steps = reconcile.plan(_needs(order, codes), ())
        new_ids = {loc: ids.new_id("fulfilment_order") for loc in steps.new_locations()}
        for location_id, fo_id in new_ids.items():
            fo_rows.append(_fo_row(fo_id, order.id, location_id, now))
            events.append(timeline.event_row(order.id, EventType.FULFILMENT_CREATED, {
                "fulfilment_order_id": fo_id, "location_id": location_id, "status": FoStatus.PENDING}, actor, now))
        line_rows += [_line_row(new_ids[a.location_id], a) for a in steps.additions]
    uow.defer_insert(table_of(FulfilmentOrder), fo_rows)
    uow.defer_insert(table_of(FulfilmentOrderLine), line_rows)
    timeline.append_rows(uow, events)


def _fo_row(fo_id: str, order_id: str, location_id: str, now: datetime) -> dict[str, Any]:
    return {"id": fo_id, "order_id": order_id, "location_id": location_id, "status": FoStatus.PENDING,
            "pick_list_id": None, "shipment_id": None, "carrier": "", "service": "", "tracking_number": "",
            "promised_date": None, "late": False, "exception_reason": "", "status_before_exception": None,
            "released_at": None, "packed_at": None, "shipped_at": None, "delivered_at": None,
            "created_at": now, "updated_at": now}


def _line_row(fo_id: str, a: reconcile.Addition) -> dict[str, Any]:
    return {"id": ids.new_id("fulfilment_line"), "fulfilment_order_id": fo_id, "order_line_id": a.order_line_id,
            "sku_id": a.sku_id, "sku_code": a.sku_code, "per_unit": a.per_unit, "quantity": a.units,
            "picked": 0, "packed": 0}


def holding(uow: UnitOfWork, order_id: str) -> list[FulfilmentOrder]:
    """The order's fulfilment orders that still hold allocated units."""
    return [fo for fo in for_order(uow, order_id) if holds_units(fo.status, fo.shipment_id is not None)]


def follow_allocations(uow: UnitOfWork, changed: dict[str, dict[str, Any]]) -> None:
    """The unit of work's reaction to ALLOCATIONS_CHANGED (shared/uow.py): reconcile each order."""
    for order_id in sorted(changed):
        detail = changed[order_id]
        reconcile_order(uow, order_id, detail.get("actor", "system"), shipment_id=detail.get("shipment_id"))


def reconcile_order(uow: UnitOfWork, order_id: str, actor: str, *, prefer: str | None = None,
                    shipment_id: str | None = None) -> list[FulfilmentOrder]:
    """Bring the order's fulfilment orders in line with its allocation rows (module doc). With
    `shipment_id`, units that left with that shipment empty their fulfilment orders as
    `shipped`; otherwise an emptied fulfilment order is `cancelled`. Returns what changed."""
    uow.followed(ALLOCATIONS_CHANGED, order_id)  # done now, with this caller's options
    uow.flush()  # allocation rows changed by the order core in this transaction
    order = get_order(uow, order_id)
    held = holding(uow, order_id)
    steps = reconcile.plan(_needs(order, _part_codes(uow, [order])), [_held(fo) for fo in held], prefer)
    if not steps.changes_anything:
        return []
    by_id = {fo.id: fo for fo in held}
    reduced = _apply_reductions(by_id, steps.reductions)
    changed = set(reduced)
    for fo_id in steps.emptied:
        _close_emptied(uow, by_id[fo_id], shipment_id, actor)
    changed |= _apply_additions(uow, order_id, by_id, steps.additions, actor)
    for fo_id in sorted(changed - set(steps.emptied)):
        fo = by_id[fo_id]
        fo.updated_at = utcnow()
        data: dict[str, Any] = {"lines": _quantities(fo)}
        if fo.status == FoStatus.PACKED and fo_id in reduced:
            move(fo, FoStatus.PICKING, "repack")  # units came off a packed parcel: it must be repacked
            data["reason"] = "units taken off after packing: repack"
        announce(uow, fo, EventType.FULFILMENT_CHANGED, actor, data)
    return [by_id[i] for i in sorted(changed | set(steps.emptied))]


def _held(fo: FulfilmentOrder) -> reconcile.HeldOrder:
    return reconcile.HeldOrder(fo.id, fo.location_id, fo.status, tuple(
        reconcile.HeldLine(li.id, li.order_line_id, li.sku_id, li.quantity) for li in fo.lines))


def _quantities(fo: FulfilmentOrder) -> dict[str, int]:
    return {li.sku_code: li.quantity for li in fo.lines if li.quantity}


def _apply_reductions(by_id: dict[str, FulfilmentOrder], reductions: list[reconcile.Reduction]) -> set[str]:
    for r in reductions:
        line = next(li for li in by_id[r.fulfilment_order_id].lines if li.id == r.line_id)
        line.quantity -= r.units
        line.picked = min(line.picked, line.quantity)
        line.packed = min(line.packed, line.quantity)
    return {r.fulfilment_order_id for r in reductions}


def _apply_additions(uow: UnitOfWork, order_id: str, by_id: dict[str, FulfilmentOrder],
                     additions: list[reconcile.Addition], actor: str) -> set[str]:
    created: dict[str, FulfilmentOrder] = {}
    for a in additions:
        fo = by_id.get(a.fulfilment_order_id or "") or created.get(a.location_id)
        if fo is None:
            fo = FulfilmentOrder(**_fo_row(ids.new_id("fulfilment_order"), order_id, a.location_id, utcnow()))
            fo.lines = []
            uow.session.add(fo)
            created[a.location_id] = fo
        existing = next((li for li in fo.lines if (li.order_line_id, li.sku_id) == (a.order_line_id, a.sku_id)), None)
        if existing is not None:
            existing.quantity += a.units
        else:
            fo.lines.append(FulfilmentOrderLine(**_line_row(fo.id, a)))
    for fo in created.values():
        announce(uow, fo, EventType.FULFILMENT_CREATED, actor, {"lines": _quantities(fo)})
    by_id.update({fo.id: fo for fo in created.values()})
    return {a.fulfilment_order_id for a in additions if a.fulfilment_order_id}


def _close_emptied(uow: UnitOfWork, fo: FulfilmentOrder, shipment_id: str | None, actor: str) -> None:
    if shipment_id is not None:
        move(fo, FoStatus.SHIPPED, "ship")
        fo.shipment_id = shipment_id
        announce(uow, fo, EventType.FULFILMENT_SHIPPED, actor, {"shipment_id": shipment_id},
                 Topic.FULFILMENT_SHIPPED)
        return
    move(fo, FoStatus.CANCELLED, "cancel")
    fo.pick_list_id = None
    announce(uow, fo, EventType.FULFILMENT_CANCELLED, actor, {"reason": "its units were cancelled or re-routed"},
             Topic.FULFILMENT_CANCELLED)


# --- release and exceptions ------------------------------------------------------------------------

def release(uow: UnitOfWork, fo: FulfilmentOrder, actor: str, reason: str = "by hand") -> FulfilmentOrder:
    move(fo, FoStatus.RELEASED, "release")
    announce(uow, fo, EventType.FULFILMENT_RELEASED, actor, {"reason": reason, "lines": _quantities(fo)},
             Topic.FULFILMENT_RELEASED)
    return fo


def unrelease(uow: UnitOfWork, fo: FulfilmentOrder, actor: str) -> FulfilmentOrder:
    """Take a released fulfilment order back to pending (before anyone started picking)."""
    move(fo, FoStatus.PENDING, "unrelease")
    fo.released_at = None
    announce(uow, fo, EventType.FULFILMENT_CHANGED, actor, {"reason": "release undone"})
    return fo


def raise_exception(uow: UnitOfWork, fo: FulfilmentOrder, reason: str, actor: str) -> FulfilmentOrder:
    before = fo.status
    move(fo, FoStatus.EXCEPTION, "flag")
    fo.status_before_exception, fo.exception_reason = before, reason[:300]
    announce(uow, fo, EventType.FULFILMENT_EXCEPTION, actor, {"reason": reason, "from": before},
             Topic.FULFILMENT_EXCEPTION)
    return fo


def resolve_exception(uow: UnitOfWork, fo: FulfilmentOrder, actor: str, note: str = "") -> FulfilmentOrder:
    """Back to where the fulfilment order was before the exception."""
    target = FoStatus(fo.status_before_exception or FoStatus.RELEASED)
    move(fo, target, "resolve")
    fo.status_before_exception, fo.exception_reason = None, ""
    announce(uow, fo, EventType.FULFILMENT_CHANGED, actor, {"reason": "exception resolved", "note": note})
    return fo


def shipments_delivered(uow: UnitOfWork, order_id: str, shipment_id: str | None, actor: str) -> list[FulfilmentOrder]:
    """After the order core marked a shipment (or all of them, `None`) delivered by hand: the
    fulfilment orders that left with it are delivered too."""
    moved = []
    for fo in for_order(uow, order_id):
        if fo.shipment_id and shipment_id in (None, fo.shipment_id) and fo.status in (FoStatus.SHIPPED,
                                                                                      FoStatus.EXCEPTION):
            fo.status_before_exception, fo.exception_reason = None, ""
            move(fo, FoStatus.DELIVERED, "deliver")
            announce(uow, fo, EventType.FULFILMENT_DELIVERED, actor, {"shipment_id": fo.shipment_id},
                     Topic.FULFILMENT_DELIVERED)
            moved.append(fo)
    return moved
