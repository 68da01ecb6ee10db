"""Pick lists: waves of released fulfilment orders at one location, in walking order by bin;
confirming what was picked, and re-routing what was not (short picks) through the order core.
Nothing here commits (`fulfillment/handlers.py` does)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from conveyor.fulfillment import service
from conveyor.fulfillment.model import FulfilmentOrder, PickList
from conveyor.fulfillment.picking import (
    PickList as PickListDoc,
)
from conveyor.fulfillment.picking import (
    PickRequestLine,
    PickStop,
    PutToOrder,
    ShortPickReport,
    build_pick_list,
    plan_waves,
    report_short_picks,
)
from conveyor.fulfillment.setup import bins_of
from conveyor.fulfillment.states import FoStatus
from conveyor.orders.reallocation import RoutingChoice, reroute
from conveyor.orders.service import get_order
from conveyor.orders.timeline import EventType
from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.errors import Conflict, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork

RoutingFor = Callable[[Any], RoutingChoice]  # order → whose rules re-route it


def get_pick_list(uow: UnitOfWork, pick_list_id: str) -> PickList:
    found = uow.session.get(PickList, pick_list_id)
    if found is None:
        raise NotFound("pick list", pick_list_id)
    return found


def list_pick_lists(uow: UnitOfWork, location_id: str | None, status: str | None, limit: int = 50) -> list[PickList]:
    query = select(PickList).order_by(PickList.id.desc()).limit(limit)
    if location_id:
        query = query.where(PickList.location_id == location_id)
    if status:
        query = query.where(PickList.status == status)
    return list(uow.session.scalars(query))


def _waiting(uow: UnitOfWork, location_id: str, wanted: Sequence[str] | None) -> list[FulfilmentOrder]:
    """Released fulfilment orders not on a pick list, locked (a second wave started at the same
    moment gets the others, not the same ones twice)."""
    query = select(FulfilmentOrder.id).where(FulfilmentOrder.location_id == location_id,
                                             FulfilmentOrder.status == FoStatus.RELEASED,
                                             FulfilmentOrder.pick_list_id.is_(None))
    if wanted is not None:
        query = query.where(FulfilmentOrder.id.in_(set(wanted)))
    locked = service.lock_all(uow, uow.session.scalars(query.limit(5000)))
    found = sorted((fo for fo in locked.values() if fo.status == FoStatus.RELEASED and fo.pick_list_id is None),
                   key=lambda fo: (as_utc(fo.released_at or fo.created_at), fo.id))
    if wanted is not None and len(found) != len(set(wanted)):
        missing = sorted(set(wanted) - {fo.id for fo in found})
        raise Conflict(f"not released at this location or already on a pick list: {', '.join(missing)}",
                       fulfilment_orders=missing)
    return found


def create_pick_lists(uow: UnitOfWork, location_id: str, actor: str, *, fulfilment_orders: Sequence[str] | None = None,
                      max_orders: int = 20, max_units: int | None = None) -> list[PickList]:
    """Pick lists for the location's released fulfilment orders not on a list yet (oldest release
    first, or exactly `fulfilment_orders`), one per wave of at most `max_orders` orders and
    `max_units` units. Their fulfilment orders move to `picking`."""
    if max_orders < 1 or (max_units is not None and max_units < 1):
        raise ValidationFailed("max_orders and max_units must be at least 1")
    waiting = _waiting(uow, location_id, fulfilment_orders)
    if not waiting:
        raise Conflict("no released fulfilment orders waiting for a pick list at this location")
    by_id = {fo.id: fo for fo in waiting}
    bins = bins_of(uow, location_id, {li.sku_id for fo in waiting for li in fo.lines})
    requests = [PickRequestLine(fo.id, li.id, li.sku_code, li.quantity, bins.get(li.sku_id, ""), fo.order_id)
                for fo in waiting for li in fo.lines if li.quantity > 0]
    lists = []
    for wave in plan_waves(requests, max_orders, max_units):
        pick_list_id = ids.new_id("pick_list")
        document = build_pick_list(wave, location_id, reference=pick_list_id)
        row = PickList(id=pick_list_id, location_id=location_id, reference=pick_list_id, status="open",
                       document=to_document(document), created_by=actor, created_at=utcnow())
        uow.session.add(row)
        uow.session.flush()
        for fo_id in document.fulfillment_orders:
            fo = by_id[fo_id]
            service.move(fo, FoStatus.PICKING, "pick")
            fo.pick_list_id = pick_list_id
            service.announce(uow, fo, EventType.FULFILMENT_PICKING, actor, {"pick_list_id": pick_list_id})
        lists.append(row)
    return lists


def to_document(pick_list: PickListDoc) -> dict[str, Any]:
    return {"location": pick_list.location, "reference": pick_list.reference,
            "stops": [asdict(stop) for stop in pick_list.stops]}


def from_document(document: Mapping[str, Any]) -> PickListDoc:
    stops = tuple(PickStop(s["sequence"], s["bin"], s["sku"], s["quantity"],
                           tuple(PutToOrder(**put) for put in s["breakdown"])) for s in document["stops"])
    return PickListDoc(document["location"], document["reference"], stops)


def confirm_picks(uow: UnitOfWork, pick_list_id: str, picked: Mapping[tuple[str, str], int] | None, actor: str,
                  routing_for: RoutingFor) -> ShortPickReport:
    """Record what was picked per (bin, SKU) (None: everything on the list). Short units are
    taken off their fulfilment orders and routed again through the order core, never to this
    location; a fulfilment order with nothing picked is cancelled by that."""
    row = get_pick_list(uow, pick_list_id)
    if row.status != "open":
        raise Conflict(f"pick list {pick_list_id} is already {row.status}")
    document = from_document(row.document)
    if picked is None:
        picked = {(stop.bin, stop.sku): stop.quantity for stop in document.stops}
    listed = {(stop.bin, stop.sku) for stop in document.stops}
    unknown = sorted(f"{s} at {b or 'no bin'}" for b, s in set(picked) - listed)
    if unknown:
        raise ValidationFailed(f"not on this pick list: {', '.join(unknown)}", unknown=unknown)
    report = report_short_picks(document, picked)
    locked = service.lock_all(uow, document.fulfillment_orders)
    _record_picked(locked, document, report)
    for fo_id, shorts in report.by_fulfillment_order().items():
        _reroute_short(uow, locked[fo_id], shorts, actor, routing_for)
    row.status, row.completed_at = "completed", utcnow()
    return report


def _record_picked(locked: Mapping[str, FulfilmentOrder], document: PickListDoc, report: ShortPickReport) -> None:
    short = {(s.fulfillment_order, s.line_id): s.short for s in report.shorts}
    for fo_id in document.fulfillment_orders:
        fo = locked[fo_id]
        if fo.status != FoStatus.PICKING or fo.pick_list_id != document.reference:
            continue  # cancelled or re-routed while on the list
        for line in fo.lines:
            line.picked = max(0, line.quantity - short.get((fo.id, line.id), 0))


def _reroute_short(uow: UnitOfWork, fo: FulfilmentOrder, shorts: Sequence[Any], actor: str,
                   routing_for: RoutingFor) -> None:
    lines = {li.id: li for li in fo.lines}
    by_order_line: dict[str, int] = {}
    for s in shorts:
        line = lines[s.line_id]
        units = -(-s.short // line.per_unit)  # a kit short of one part re-routes the whole kit unit
        by_order_line[line.order_line_id] = max(by_order_line.get(line.order_line_id, 0), units)
    service.announce(uow, fo, EventType.FULFILMENT_SHORT_PICKED, actor, {
        "short": [{"sku": s.sku, "bin": s.bin, "requested": s.requested, "picked": s.picked} for s in shorts]})
    order = get_order(uow, fo.order_id, for_update=True)
    reroute(uow, fo.order_id, fo.location_id, actor, f"short pick on {fo.pick_list_id}", routing_for(order),
            by_order_line)
    service.reconcile_order(uow, fo.order_id, actor, prefer=fo.id)
