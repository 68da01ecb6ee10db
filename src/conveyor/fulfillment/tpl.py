"""The 3PL hand-off. A location of type `3pl` picks and packs on its own:

- a released fulfilment order becomes a fulfilment request (kept, sent as a signed webhook by
  the worker through the outbox, and listed in a CSV export);
- the 3PL's shipment confirmation ships the order through the order core (stock leaves the
  location in the ledger); units it could not send are re-routed, never to it;
- its inventory snapshots are compared with the ledger into discrepancies that a person
  resolves — an adjustment (a ledger entry) or a dismissal. A snapshot never overwrites stock.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from conveyor.catalog.service import sku_codes, sku_ids_by_code
from conveyor.fulfillment import dispatch, service
from conveyor.fulfillment.model import FulfilmentOrder, TplConfirmation, TplDiscrepancy, TplRequest, TplSnapshot
from conveyor.fulfillment.states import FoStatus
from conveyor.inventory.ledger import StockChange, apply_changes
from conveyor.inventory.ledger_reasons import LedgerReason
from conveyor.inventory.locations import get_location
from conveyor.inventory.service import list_levels
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.orders.reallocation import RoutingChoice, reroute
from conveyor.orders.service import get_order
from conveyor.orders.timeline import EventType
from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping.tracking_numbers import require_valid

THREE_PL = "3pl"
CSV_COLUMNS = ("request_id", "fulfilment_order_id", "order_id", "created_at", "sku", "quantity", "ship_to_name",
               "ship_to_line1", "ship_to_line2", "ship_to_city", "ship_to_region", "ship_to_postal_code",
               "ship_to_country", "promised_date")


def is_3pl(uow: UnitOfWork, location_id: str) -> bool:
    return get_location(uow, location_id).type == THREE_PL


def _require_3pl(uow: UnitOfWork, location_id: str) -> None:
    if not is_3pl(uow, location_id):
        raise ValidationFailed(f"location {location_id} is not a 3PL", location=location_id)


def request_fulfilment(uow: UnitOfWork, fo: FulfilmentOrder, actor: str) -> TplRequest:
    """Hand a released fulfilment order to its 3PL (once)."""
    order = get_order(uow, fo.order_id)
    payload = {
        "request_id": ids.new_id("tpl_request"), "fulfilment_order_id": fo.id, "order_id": order.id,
        "external_id": order.external_id, "location_id": fo.location_id, "ship_to": order.shipping_address,
        "customer": {"name": order.customer_name, "email": order.customer_email, "phone": order.customer_phone},
        "lines": [{"line_id": li.id, "sku": li.sku_code, "quantity": li.quantity} for li in fo.lines if li.quantity],
        "promised_date": fo.promised_date.isoformat() if fo.promised_date else None,
    }
    message_id = outbox.enqueue(uow, Topic.FULFILMENT_REQUESTED, fo.id, payload)
    request = TplRequest(id=payload["request_id"], fulfilment_order_id=fo.id, location_id=fo.location_id,
                         status="sent", payload=payload, message_id=message_id, created_at=utcnow())
    uow.session.add(request)
    service.announce(uow, fo, EventType.FULFILMENT_REQUESTED, actor, {"request_id": request.id})
    return request


def get_request(uow: UnitOfWork, request_id: str) -> TplRequest:
    found = uow.session.get(TplRequest, request_id)
    if found is None:
        raise NotFound("fulfilment request", request_id)
    return found


def request_of(uow: UnitOfWork, fo_id: str) -> TplRequest | None:
    return uow.session.scalar(select(TplRequest).where(TplRequest.fulfilment_order_id == fo_id))


def requests_csv(uow: UnitOfWork, location_id: str, status: str | None = "sent") -> str:
    """Open fulfilment requests of a 3PL as CSV, one row per SKU line (for 3PLs that take files)."""
    _require_3pl(uow, location_id)
    query = select(TplRequest).where(TplRequest.location_id == location_id).order_by(TplRequest.id)
    if status:
        query = query.where(TplRequest.status == status)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for request in uow.session.scalars(query):
        p, to = request.payload, request.payload.get("ship_to") or {}
        for line in p["lines"]:
            created = as_utc(request.created_at).isoformat()
            address = [to.get(k, "") for k in ("name", "line1", "line2", "city", "region", "postal_code", "country")]
            writer.writerow([request.id, p["fulfilment_order_id"], p["order_id"], created, line["sku"],
                             line["quantity"], *address, p.get("promised_date") or ""])
    return out.getvalue()


# --- shipment confirmations -----------------------------------------------------------------------

def confirm_shipment(uow: UnitOfWork, request_id: str, external_ref: str, *, carrier: str, tracking_number: str,
                     shipped: Mapping[str, int] | None, actor: str, routing_for: Callable[[Any], RoutingChoice],
                     raw: dict[str, Any] | None = None) -> TplConfirmation:
    """The 3PL shipped (`shipped` = {SKU code: units}, None = everything requested). The same
    confirmation twice (same request and `external_ref`) is recorded once."""
    request = get_request(uow, request_id)
    repeat = uow.session.scalar(select(TplConfirmation).where(TplConfirmation.request_id == request.id,
                                                              TplConfirmation.external_ref == external_ref))
    if repeat is not None:
        return repeat
    if request.status != "sent":
        raise Conflict(f"fulfilment request {request.id} is already {request.status}")
    fo = service.get(uow, request.fulfilment_order_id, for_update=True)
    if fo.status != FoStatus.RELEASED:
        raise Conflict(f"fulfilment order {fo.id} is {fo.status}: nothing to confirm", current_status=fo.status)
    tracking_number = require_valid(tracking_number, carrier or None).number  # as printed, spaces dropped
    short = _short_units(fo, shipped)
    if short:
        order = get_order(uow, fo.order_id, for_update=True)
        reroute(uow, fo.order_id, fo.location_id, actor, f"3PL shipped short on {request.id}", routing_for(order),
                short)
        service.reconcile_order(uow, fo.order_id, actor, prefer=fo.id)
    if fo.status == FoStatus.CANCELLED:
        raise ValidationFailed("the confirmation ships nothing of this request")
    dispatch.ship_units(uow, fo, carrier, tracking_number, actor, data={"request_id": request.id,
                                                                       "external_ref": external_ref})
    request.status, request.confirmed_at = "confirmed", utcnow()
    confirmation = TplConfirmation(id=ids.new_id("tpl_confirmation"), request_id=request.id, external_ref=external_ref,
                                   payload=raw or {}, shipment_id=fo.shipment_id, received_at=utcnow())
    uow.session.add(confirmation)
    return confirmation


def _short_units(fo: FulfilmentOrder, shipped: Mapping[str, int] | None) -> dict[str, int]:
    """{order line id: line units not shipped} from what the 3PL says it shipped per SKU."""
    if shipped is None:
        return {}
    requested: dict[str, int] = {}
    for line in fo.lines:
        requested[line.sku_code] = requested.get(line.sku_code, 0) + line.quantity
    extra = sorted(set(shipped) - set(requested))
    if extra or any(q < 0 or q > requested[s] for s, q in shipped.items()):
        raise ValidationFailed(f"shipped quantities must be SKUs of the request, 0 to the requested units "
                               f"(unknown: {', '.join(extra) or 'none'})", ErrorCode.INVALID_QUANTITY)
    short: dict[str, int] = {}
    left = dict(shipped)
    for line in fo.lines:
        sent = min(line.quantity, left.get(line.sku_code, 0))
        left[line.sku_code] = left.get(line.sku_code, 0) - sent
        missing = line.quantity - sent
        if missing:
            units = -(-missing // line.per_unit)
            short[line.order_line_id] = max(short.get(line.order_line_id, 0), units)
    return short


# --- inventory snapshots --------------------------------------------------------------------------

def record_snapshot(uow: UnitOfWork, location_id: str, taken_at: datetime, counts: Mapping[str, int], actor: str,
                    complete: bool = True) -> TplSnapshot:
    """Compare a 3PL's on-hand counts with the ledger (the levels it projects). Every difference
    becomes an open discrepancy; the ledger is not touched. `complete`: SKUs the ledger has at
    the location but the snapshot leaves out count as 0."""
    _require_3pl(uow, location_id)
    if any(not isinstance(q, int) or q < 0 for q in counts.values()):
        raise ValidationFailed("counts must be whole numbers ≥ 0", ErrorCode.INVALID_QUANTITY)
    by_code = sku_ids_by_code(uow, list(counts))
    unknown = sorted(set(counts) - set(by_code))
    if unknown:
        raise ValidationFailed(f"unknown SKU(s): {', '.join(unknown)}", ErrorCode.UNKNOWN_SKU, skus=unknown)
    ledger = _on_hand(uow, location_id)
    reported = {by_code[code]: qty for code, qty in counts.items()}
    if complete:
        reported = {sku_id: 0 for sku_id, qty in ledger.items() if qty} | reported
    snapshot = TplSnapshot(id=ids.new_id("tpl_snapshot"), location_id=location_id, taken_at=as_utc(taken_at),
                           items=[{"sku": code, "on_hand": qty} for code, qty in sorted(counts.items())],
                           received_at=utcnow())
    uow.session.add(snapshot)
    codes = sku_codes(uow, [s for s in reported if reported[s] != ledger.get(s, 0)])
    for sku_id in sorted(codes):
        expected = ledger.get(sku_id, 0)
        uow.session.add(TplDiscrepancy(
            id=ids.new_id("tpl_discrepancy"), snapshot_id=snapshot.id, location_id=location_id, sku_id=sku_id,
            sku_code=codes[sku_id], ledger_on_hand=expected, reported_on_hand=reported[sku_id],
            difference=reported[sku_id] - expected, status="open", created_at=utcnow()))
    snapshot.discrepancies = len(codes)
    if codes:
        outbox.enqueue(uow, Topic.INVENTORY_DISCREPANCY, location_id, {
            "location_id": location_id, "snapshot_id": snapshot.id, "discrepancies": len(codes)})
    return snapshot


def _on_hand(uow: UnitOfWork, location_id: str) -> dict[str, int]:
    result: dict[str, int] = {}
    cursor = None
    while True:
        page = list_levels(uow, sku=None, location=location_id, limit=500, cursor=cursor)
        result |= {level.sku_id: level.on_hand for level in page.items}
        if not page.next_cursor:
            return result
        cursor = page.next_cursor


def list_discrepancies(uow: UnitOfWork, location_id: str | None, status: str | None = "open",
                       snapshot_id: str | None = None, limit: int = 500) -> list[TplDiscrepancy]:
    query = select(TplDiscrepancy).order_by(TplDiscrepancy.id).limit(limit)
    if location_id:
        query = query.where(TplDiscrepancy.location_id == location_id)
    if status:
        query = query.where(TplDiscrepancy.status == status)
    if snapshot_id:
        query = query.where(TplDiscrepancy.snapshot_id == snapshot_id)
    return list(uow.session.scalars(query))


def resolve_discrepancy(uow: UnitOfWork, discrepancy_id: str, action: str, note: str, actor: str) -> TplDiscrepancy:
    """`adjust`: the 3PL is right — a ledger adjustment of the difference (stock moves); `dismiss`:
    the ledger is right (e.g. units in transit) — nothing moves. Either way a person decided."""
    found = uow.session.get(TplDiscrepancy, discrepancy_id)
    if found is None:
        raise NotFound("discrepancy", discrepancy_id)
    if found.status != "open":
        raise Conflict(f"discrepancy {found.id} is already {found.status}")
    if action not in ("adjust", "dismiss"):
        raise ValidationFailed("action must be adjust or dismiss", field="action")
    if action == "adjust":
        apply_changes(uow, [StockChange(found.sku_id, found.location_id, LedgerReason.ADJUSTMENT,
                                        d_on_hand=found.difference, reference_type="3pl_discrepancy",
                                        reference_id=found.id, note=note or "3PL inventory snapshot")], actor)
    found.status = "adjusted" if action == "adjust" else "dismissed"
    found.note, found.resolved_by, found.resolved_at = note, actor, utcnow()
    return found
