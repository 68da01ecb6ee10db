"""Purchase orders: create, send, cancel, close, read; advance shipping notices. Never commits.

Sending a stock PO puts its quantities into the receiving location's `incoming` bucket through the
stock ledger (reason `incoming`, reference the PO); receiving, closing short and cancelling take
them out again, so `incoming` always equals what open POs (and transfers in transit) still bring.
Drop-ship POs bring nothing to our shelves and leave `incoming` alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select

from conveyor.catalog.service import get_sku, sku_codes, sku_facts
from conveyor.inventory.ledger import StockChange, apply_changes
from conveyor.inventory.ledger_reasons import LedgerReason
from conveyor.inventory.locations import get_location, resolve_location
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.purchasing.documents import PODocument, POLineDoc
from conveyor.purchasing.lifecycle import OPEN, POStatus, check_transition
from conveyor.purchasing.model import AdvanceShippingNotice, PurchaseOrder, PurchaseOrderLine, Supplier, SupplierItem
from conveyor.purchasing.suppliers import get_supplier, resolve_supplier
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import ErrorCode, NotFound, ValidationFailed
from conveyor.shared.money import format_minor
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork

MAX_LINES = 1000


@dataclass(frozen=True, slots=True)
class LineRequest:
    sku: str  # code or id
    quantity: int
    unit_cost_minor: int | None = None  # None: the supplier's price for the SKU
    order_line_id: str | None = None  # drop-ship: the customer's order line


@dataclass(frozen=True, slots=True)
class DropShipTo:
    order_id: str
    address: dict[str, Any]


def _number(po_id: str) -> str:
    body = po_id.split("_", 1)[1].upper()
    return f"PO-{body[:10]}-{body[10:16]}"


def create_purchase_order(uow: UnitOfWork, supplier: str, location: str, lines: Sequence[LineRequest], actor: str,
                          expected_on: date | None = None, notes: str = "",
                          drop_ship: DropShipTo | None = None) -> PurchaseOrder:
    """A draft PO in the supplier's currency; lines priced from the supplier's terms unless given."""
    s = resolve_supplier(uow, supplier)
    loc = resolve_location(uow, location)
    if not lines or len(lines) > MAX_LINES:
        raise ValidationFailed(f"a purchase order needs 1 to {MAX_LINES} lines")
    po_id = ids.new_id("purchase_order")
    po = PurchaseOrder(id=po_id, number=_number(po_id), supplier_id=s.id, location_id=loc.id,
                       kind="drop_ship" if drop_ship else "stock", status=POStatus.DRAFT, currency=s.currency,
                       expected_on=expected_on, notes=notes, created_by=actor, created_at=utcnow(),
                       order_id=drop_ship.order_id if drop_ship else None,
                       ship_to=drop_ship.address if drop_ship else None, carrier="", tracking_number="")
    terms = _terms(uow, s.id)
    for n, request in enumerate(lines, start=1):
        po.lines.append(_line(uow, po_id, n, request, terms))
    po.total_minor = sum(li.quantity * li.unit_cost_minor for li in po.lines)
    uow.session.add(po)
    uow.session.flush()
    return po


def _terms(uow: UnitOfWork, supplier_id: str) -> dict[str, SupplierItem]:
    items = uow.session.scalars(select(SupplierItem).where(SupplierItem.supplier_id == supplier_id))
    return {i.sku_id: i for i in items}


def _line(uow: UnitOfWork, po_id: str, n: int, request: LineRequest, terms: Mapping[str, SupplierItem]
          ) -> PurchaseOrderLine:
    if not isinstance(request.quantity, int) or request.quantity <= 0:
        raise ValidationFailed(f"line {n}: quantity must be a positive whole number", ErrorCode.INVALID_QUANTITY)
    sku = get_sku(uow, request.sku)
    if sku.is_kit:
        raise ValidationFailed(f"line {n}: {sku.code!r} is a kit: order its components", sku=sku.code)
    item = terms.get(sku.id)
    cost = request.unit_cost_minor if request.unit_cost_minor is not None else item.unit_cost_minor if item else None
    if cost is None or cost < 0:
        raise ValidationFailed(f"line {n}: no unit cost given and the supplier has no price for {sku.code!r}",
                               sku=sku.code)
    return PurchaseOrderLine(id=ids.new_id("po_line"), po_id=po_id, line_no=n, sku_id=sku.id,
                             supplier_sku=item.supplier_sku if item else "", quantity=request.quantity,
                             unit_cost_minor=cost, received=0, damaged=0, order_line_id=request.order_line_id)


def get_purchase_order(uow: UnitOfWork, po_id_or_number: str, for_update: bool = False) -> PurchaseOrder:
    query = select(PurchaseOrder).where(or_(PurchaseOrder.id == po_id_or_number,
                                            PurchaseOrder.number == po_id_or_number))
    if for_update and uow.dialect == "postgresql":
        query = query.with_for_update()
    po = uow.session.scalar(query)
    if po is None:
        raise NotFound("purchase order", po_id_or_number)
    return po


def list_purchase_orders(uow: UnitOfWork, limit: int, cursor: str | None, status: str | None = None,
                         supplier: str | None = None, kind: str | None = None) -> Page[PurchaseOrder]:
    query = select(PurchaseOrder)
    if status:
        query = query.where(PurchaseOrder.status == status)
    if supplier:
        query = query.where(PurchaseOrder.supplier_id == get_supplier(uow, supplier).id)
    if kind:
        query = query.where(PurchaseOrder.kind == kind)
    return paginate(uow.session, query, PurchaseOrder.id, limit, cursor)


def incoming_changes(po: PurchaseOrder, units: Mapping[str, int], sign: int, note: str) -> list[StockChange]:
    """Ledger changes moving `units` ({po line id: units}) into (+1) or out of (−1) incoming."""
    if po.kind != "stock":
        return []
    by_line = {li.id: li for li in po.lines}
    totals: dict[str, int] = {}
    for line_id, n in units.items():
        if n:
            totals[by_line[line_id].sku_id] = totals.get(by_line[line_id].sku_id, 0) + n
    return [StockChange(sku_id, po.location_id, LedgerReason.INCOMING, d_incoming=sign * n,
                        reference_type="purchase_order", reference_id=po.id, note=note)
            for sku_id, n in sorted(totals.items())]


def send(uow: UnitOfWork, po_id: str, actor: str, today: date, from_email: str) -> PurchaseOrder:
    """Mark a draft PO sent: its quantities become incoming, and the e-mail with the PO (PDF at
    `/api/v1/purchase-orders/{id}/pdf`) leaves through the outbox."""
    po = get_purchase_order(uow, po_id, for_update=True)
    po.status = check_transition(po.status, POStatus.SENT, "send")
    supplier = uow.session.get(Supplier, po.supplier_id)
    assert supplier is not None
    po.sent_at = utcnow()
    if po.expected_on is None:
        po.expected_on = today + timedelta(days=round(supplier.lead_time_days))
    apply_changes(uow, incoming_changes(po, {li.id: li.quantity for li in po.lines}, +1, f"{po.number} sent"), actor)
    outbox.enqueue(uow, Topic.PURCHASE_ORDER_SENT, po.id, _sent_payload(uow, po, supplier, from_email))
    return po


def _sent_payload(uow: UnitOfWork, po: PurchaseOrder, supplier: Supplier, from_email: str) -> dict[str, Any]:
    codes = sku_codes(uow, [li.sku_id for li in po.lines])
    lines = [{"line_no": li.line_no, "sku": codes[li.sku_id], "supplier_sku": li.supplier_sku,
              "quantity": li.quantity, "unit_cost_minor": li.unit_cost_minor} for li in po.lines]
    total = f"{format_minor(po.total_minor, po.currency)} {po.currency}"
    kind = "Drop-ship purchase order" if po.kind == "drop_ship" else "Purchase order"
    body = (f"Hello {supplier.contact_name or supplier.name},\n\nplease find attached our {kind.lower()} "
            f"{po.number} ({len(lines)} line(s), {total}), expected by {po.expected_on}.\n\nThank you.")
    return {"po_id": po.id, "number": po.number, "kind": po.kind, "supplier_id": supplier.id,
            "location_id": po.location_id, "currency": po.currency, "total_minor": po.total_minor,
            "expected_on": str(po.expected_on), "lines": lines, "ship_to": po.ship_to,
            "email": {"from": from_email, "to": supplier.email, "subject": f"{kind} {po.number}", "body": body,
                      "attachments": [{"filename": f"{po.number}.pdf", "content_type": "application/pdf",
                                       "path": f"/api/v1/purchase-orders/{po.id}/pdf"}]}}


def _release_open(uow: UnitOfWork, po: PurchaseOrder, actor: str, why: str) -> dict[str, int]:
    still = {li.id: li.open_quantity for li in po.lines if li.open_quantity}
    if po.status != POStatus.DRAFT:
        apply_changes(uow, incoming_changes(po, still, -1, f"{po.number} {why}"), actor, create_missing=False)
    return still


def cancel(uow: UnitOfWork, po_id: str, actor: str, reason: str = "") -> PurchaseOrder:
    """Cancel a PO nothing has been received on yet; what it brought leaves incoming."""
    po = get_purchase_order(uow, po_id, for_update=True)
    check_transition(po.status, POStatus.CANCELLED, "cancel")
    if any(li.received or li.damaged for li in po.lines):
        raise ValidationFailed("goods were received on this purchase order: close it instead")
    _release_open(uow, po, actor, "cancelled")
    po.status, po.closed_at = POStatus.CANCELLED, utcnow()
    po.notes = (po.notes + f"\ncancelled: {reason}").strip() if reason else po.notes
    return po


def close(uow: UnitOfWork, po_id: str, actor: str, reason: str = "") -> PurchaseOrder:
    """Stop waiting for the rest of a PO (or close a received one); what is still open leaves incoming."""
    po = get_purchase_order(uow, po_id, for_update=True)
    check_transition(po.status, POStatus.CLOSED, "close")
    short = _release_open(uow, po, actor, "closed")
    mark_closed(uow, po, short, reason)
    return po


def mark_closed(uow: UnitOfWork, po: PurchaseOrder, short: Mapping[str, int], reason: str = "") -> None:
    po.status, po.closed_at = POStatus.CLOSED, utcnow()
    outbox.enqueue(uow, Topic.PURCHASE_ORDER_CLOSED, po.id, {
        "po_id": po.id, "number": po.number, "supplier_id": po.supplier_id, "reason": reason,
        "short": {line_id: units for line_id, units in short.items() if units}})


def open_po_lines(uow: UnitOfWork, sku_ids: Sequence[str] | None = None,
                  ) -> list[tuple[PurchaseOrder, PurchaseOrderLine]]:
    """Open stock PO lines (sent or partly received, something still expected), for arrivals."""
    query = (select(PurchaseOrder, PurchaseOrderLine)
             .join(PurchaseOrderLine, PurchaseOrderLine.po_id == PurchaseOrder.id)
             .where(PurchaseOrder.kind == "stock",
                    PurchaseOrder.status.in_([POStatus.SENT, POStatus.PARTIALLY_RECEIVED]),
                    PurchaseOrderLine.quantity > PurchaseOrderLine.received))
    if sku_ids is not None:
        query = query.where(PurchaseOrderLine.sku_id.in_(list(sku_ids)))
    return [(po, line) for po, line in uow.session.execute(query)]


def is_open(po: PurchaseOrder) -> bool:
    return po.status in OPEN


# --- advance shipping notices ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AsnLine:
    sku: str
    quantity: int


def create_asn(uow: UnitOfWork, po_id: str, lines: Sequence[AsnLine], reference: str = "",
               expected_on: date | None = None, carrier: str = "", tracking_number: str = "") -> AdvanceShippingNotice:
    """Record the supplier's notice of a shipment; a later expected date moves the PO's."""
    po = get_purchase_order(uow, po_id, for_update=True)
    if po.status not in (POStatus.SENT, POStatus.PARTIALLY_RECEIVED):
        raise ValidationFailed(f"a purchase order that is {po.status} expects no shipment", status=po.status)
    by_sku = {li.sku_id: li for li in po.lines}
    rows = []
    for n, line in enumerate(lines, start=1):
        sku = get_sku(uow, line.sku)
        if sku.id not in by_sku:
            raise ValidationFailed(f"ASN line {n}: {sku.code!r} is not on {po.number}", sku=sku.code)
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            raise ValidationFailed(f"ASN line {n}: quantity must be positive", ErrorCode.INVALID_QUANTITY)
        rows.append({"po_line_id": by_sku[sku.id].id, "sku_id": sku.id, "quantity": line.quantity})
    asn = AdvanceShippingNotice(id=ids.new_id("asn"), po_id=po.id, reference=reference, expected_on=expected_on,
                                carrier=carrier, tracking_number=tracking_number, lines=rows, status="open",
                                created_at=utcnow())
    uow.session.add(asn)
    if expected_on is not None:
        po.expected_on = expected_on
    uow.session.flush()
    return asn


def list_asns(uow: UnitOfWork, po_id: str) -> list[AdvanceShippingNotice]:
    po = get_purchase_order(uow, po_id)
    return list(uow.session.scalars(select(AdvanceShippingNotice).where(AdvanceShippingNotice.po_id == po.id)
                                    .order_by(AdvanceShippingNotice.id)))


# --- the document ------------------------------------------------------------------------------------------

def _address_lines(a: Mapping[str, Any]) -> tuple[str, ...]:
    city = " ".join(p for p in (a.get("postal_code", ""), a.get("city", ""), a.get("region", "")) if p)
    keys = ("name", "company", "line1", "line2", "address_line1", "address_line2")
    return tuple(str(a[k]) for k in keys if a.get(k)) + tuple(p for p in (city, a.get("country", "")) if p)


def po_document(uow: UnitOfWork, po_id: str, buyer_name: str, buyer_email: str) -> PODocument:
    """What the PO PDF shows, read from the database."""
    po = get_purchase_order(uow, po_id)
    supplier = uow.session.get(Supplier, po.supplier_id)
    assert supplier is not None
    codes = sku_codes(uow, [li.sku_id for li in po.lines])
    names = {f.id: f.name for f in sku_facts(uow, list(codes.values())).values()}
    if po.kind == "drop_ship":
        deliver_to = _address_lines(po.ship_to or {})
    else:
        loc = get_location(uow, po.location_id)
        deliver_to = _address_lines({"name": loc.name, "line1": loc.address_line1, "line2": loc.address_line2,
                                     "city": loc.city, "region": loc.region, "postal_code": loc.postal_code,
                                     "country": loc.country})
    lines = tuple(POLineDoc(li.line_no, codes[li.sku_id], li.supplier_sku, names.get(li.sku_id, ""), li.quantity,
                            li.unit_cost_minor) for li in po.lines)
    return PODocument(number=po.number, issued_on=(po.sent_at or po.created_at).date(), expected_on=po.expected_on,
                      currency=po.currency, buyer_name=buyer_name, buyer_email=buyer_email,
                      supplier_name=supplier.name, supplier_address=_address_lines(supplier.address or {}),
                      payment_terms=supplier.payment_terms, deliver_to=deliver_to, lines=lines,
                      drop_ship=po.kind == "drop_ship", customer_reference=po.order_id or "", notes=po.notes)
