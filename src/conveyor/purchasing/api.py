"""Supplier and purchase order endpoints (replenishment, transfers and drop-ship: `api_replenishment`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.schemas import Amount, Code, Currency, PageOut, Patch, ShortText, Strict
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.purchasing import handlers, purchase_orders, suppliers
from conveyor.purchasing.documents import render_po_pdf
from conveyor.purchasing.model import AdvanceShippingNotice, PurchaseOrder, Receipt, Supplier, SupplierItem
from conveyor.purchasing.receiving import ReceiptLineInput
from conveyor.shared.money import format_minor, to_minor

router = APIRouter(tags=["purchasing"])

Qty = Annotated[int, Field(ge=1, le=10_000_000, strict=True)]
Days = Annotated[float, Field(ge=0, le=730)]
Note = Annotated[str, Field(max_length=2000)]


class SupplierIn(Strict):
    code: Code
    name: ShortText = Field(min_length=1)
    contact_name: ShortText = ""
    email: Annotated[str, Field(max_length=254)] = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    address: dict[str, Annotated[str, Field(max_length=200)]] = Field(default_factory=dict, max_length=20)
    currency: Currency = "USD"
    lead_time_days: Days = 7
    lead_time_sigma_days: Annotated[float, Field(ge=0, le=365)] = 0
    payment_terms: Annotated[str, Field(max_length=100)] = ""
    notes: Note = ""


class SupplierPatch(Patch):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    contact_name: ShortText | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    address: dict[str, Annotated[str, Field(max_length=200)]] | None = None
    currency: Currency | None = None
    lead_time_days: Days | None = None
    lead_time_sigma_days: Annotated[float, Field(ge=0, le=365)] | None = None
    payment_terms: Annotated[str, Field(max_length=100)] | None = None
    active: bool | None = None
    notes: Note | None = None


class SupplierOut(SupplierIn):
    id: str
    active: bool
    drop_ship_location_id: str | None


class ItemIn(Strict):
    unit_cost: Amount
    supplier_sku: Annotated[str, Field(max_length=100)] = ""
    pack_size: Qty = 1
    min_order_qty: Annotated[int, Field(ge=0, le=10_000_000, strict=True)] = 0
    lead_time_days: Days | None = None
    preferred: bool = False


class ItemOut(BaseModel):
    id: str
    supplier_id: str
    sku_id: str
    supplier_sku: str
    unit_cost: str
    currency: str
    pack_size: int
    min_order_qty: int
    lead_time_days: float | None
    preferred: bool
    active: bool


class POLineIn(Strict):
    sku: Code
    quantity: Qty
    unit_cost: Amount | None = None  # default: the supplier's price


class POIn(Strict):
    supplier: Code
    location: Code
    lines: Annotated[list[POLineIn], Field(min_length=1, max_length=purchase_orders.MAX_LINES)]
    expected_on: date | None = None
    notes: Note = ""
    send: bool = False


class ReasonIn(Strict):
    reason: Annotated[str, Field(max_length=500)] = ""


class AsnLineIn(Strict):
    sku: Code
    quantity: Qty


class AsnIn(Strict):
    lines: Annotated[list[AsnLineIn], Field(min_length=1, max_length=purchase_orders.MAX_LINES)]
    reference: Annotated[str, Field(max_length=100)] = ""
    expected_on: date | None = None
    carrier: Annotated[str, Field(max_length=50)] = ""
    tracking_number: Annotated[str, Field(max_length=100)] = ""


class ReceiptLineIn(Strict):
    sku: Code
    quantity: Annotated[int, Field(ge=0, le=10_000_000, strict=True)]
    damaged: Annotated[int, Field(ge=0, le=10_000_000, strict=True)] = 0


class ReceiptIn(Strict):
    lines: Annotated[list[ReceiptLineIn], Field(min_length=1, max_length=purchase_orders.MAX_LINES)]
    location: Code | None = None  # default: the PO's receiving location
    asn_id: Annotated[str, Field(max_length=40)] | None = None
    note: Note = ""


class DropShipConfirmationIn(Strict):
    carrier: Annotated[str, Field(max_length=50)] = ""
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)]


def supplier_out(s: Supplier) -> SupplierOut:
    return SupplierOut.model_validate(s, from_attributes=True)


def item_out(item: SupplierItem, currency: str) -> ItemOut:
    return ItemOut(id=item.id, supplier_id=item.supplier_id, sku_id=item.sku_id, supplier_sku=item.supplier_sku,
                   unit_cost=format_minor(item.unit_cost_minor, currency), currency=currency,
                   pack_size=item.pack_size, min_order_qty=item.min_order_qty, lead_time_days=item.lead_time_days,
                   preferred=item.preferred, active=item.active)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def po_out(po: PurchaseOrder) -> dict[str, Any]:
    return {
        "id": po.id, "number": po.number, "supplier_id": po.supplier_id, "location_id": po.location_id,
        "kind": po.kind, "status": po.status, "currency": po.currency,
        "total": format_minor(po.total_minor, po.currency),
        "expected_on": po.expected_on.isoformat() if po.expected_on else None, "order_id": po.order_id,
        "ship_to": po.ship_to, "carrier": po.carrier, "tracking_number": po.tracking_number, "notes": po.notes,
        "created_by": po.created_by, "created_at": _when(po.created_at), "sent_at": _when(po.sent_at),
        "received_at": _when(po.received_at), "closed_at": _when(po.closed_at),
        "lines": [{"id": li.id, "line_no": li.line_no, "sku_id": li.sku_id, "supplier_sku": li.supplier_sku,
                   "quantity": li.quantity, "received": li.received, "damaged": li.damaged,
                   "open": li.open_quantity, "unit_cost": format_minor(li.unit_cost_minor, po.currency),
                   "order_line_id": li.order_line_id} for li in po.lines],
    }


def receipt_out(r: Receipt) -> dict[str, Any]:
    return {"id": r.id, "po_id": r.po_id, "location_id": r.location_id, "asn_id": r.asn_id, "lines": r.lines,
            "note": r.note, "actor": r.actor, "allocated_orders": r.allocated_orders, "created_at": _when(r.created_at)}


def asn_out(a: AdvanceShippingNotice) -> dict[str, Any]:
    return {"id": a.id, "po_id": a.po_id, "reference": a.reference, "carrier": a.carrier,
            "tracking_number": a.tracking_number, "status": a.status, "lines": a.lines,
            "expected_on": a.expected_on.isoformat() if a.expected_on else None, "created_at": _when(a.created_at)}


def _currency_of(c: Container, supplier: str) -> str:
    with c.reader() as uow:
        return suppliers.resolve_supplier(uow, supplier).currency


# --- suppliers -----------------------------------------------------------------------------------------------

@router.post("/suppliers", response_model=SupplierOut, status_code=201)
async def create_supplier(body: SupplierIn, request: Request, who: Principal = Depends(require("purchasing:write")),
                          c: Container = Depends(container)) -> JSONResponse:
    idem = await idempotency_for(request, who, supplier_out)
    result = await run_in_threadpool(handlers.create_supplier, c, suppliers.SupplierData(**body.model_dump()), idem)
    return respond(result, supplier_out, 201, idem)


@router.get("/suppliers", response_model=PageOut[SupplierOut])
def list_suppliers(_: Principal = Depends(require("purchasing:read")), c: Container = Depends(container),
                   active: bool | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   cursor: str | None = None) -> PageOut:
    with c.reader() as uow:
        page = suppliers.list_suppliers(uow, limit, cursor, active)
        return PageOut(items=[supplier_out(s) for s in page.items], next_cursor=page.next_cursor)


@router.get("/suppliers/{supplier}", response_model=SupplierOut)
def get_supplier(supplier: str, _: Principal = Depends(require("purchasing:read")),
                 c: Container = Depends(container)) -> SupplierOut:
    with c.reader() as uow:
        return supplier_out(suppliers.get_supplier(uow, supplier))


@router.patch("/suppliers/{supplier}", response_model=SupplierOut)
def update_supplier(supplier: str, body: SupplierPatch, _: Principal = Depends(require("purchasing:write")),
                    c: Container = Depends(container)) -> SupplierOut:
    return supplier_out(handlers.update_supplier(c, supplier, body.model_dump(exclude_unset=True)))


@router.get("/suppliers/{supplier}/items", response_model=list[ItemOut])
def list_items(supplier: str, _: Principal = Depends(require("purchasing:read")),
               c: Container = Depends(container)) -> list[ItemOut]:
    with c.reader() as uow:
        s = suppliers.get_supplier(uow, supplier)
        return [item_out(i, s.currency) for i in suppliers.list_items(uow, supplier)]


@router.put("/suppliers/{supplier}/items/{sku}", response_model=ItemOut)
def set_item(supplier: str, sku: str, body: ItemIn, _: Principal = Depends(require("purchasing:write")),
             c: Container = Depends(container)) -> ItemOut:
    currency = _currency_of(c, supplier)
    data = suppliers.ItemData(sku=sku, unit_cost_minor=to_minor(body.unit_cost, currency),
                              **body.model_dump(exclude={"unit_cost"}))
    return item_out(handlers.set_supplier_item(c, supplier, data), currency)


@router.delete("/suppliers/{supplier}/items/{sku}", status_code=204)
def remove_item(supplier: str, sku: str, _: Principal = Depends(require("purchasing:write")),
                c: Container = Depends(container)) -> Response:
    handlers.remove_supplier_item(c, supplier, sku)
    return Response(status_code=204)


# --- purchase orders -------------------------------------------------------------------------------------------

@router.post("/purchase-orders", status_code=201)
async def create_purchase_order(body: POIn, request: Request, who: Principal = Depends(require("purchasing:write")),
                                c: Container = Depends(container)) -> JSONResponse:
    currency = await run_in_threadpool(_currency_of, c, body.supplier)
    lines = [purchase_orders.LineRequest(li.sku, li.quantity, None if li.unit_cost is None else
                                         to_minor(li.unit_cost, currency)) for li in body.lines]
    idem = await idempotency_for(request, who, po_out)
    result = await run_in_threadpool(handlers.create_purchase_order, c, body.supplier, body.location, lines,
                                     who.actor, body.expected_on, body.notes, body.send, idem)
    return respond(result, po_out, 201, idem)


@router.get("/purchase-orders")
def list_purchase_orders(_: Principal = Depends(require("purchasing:read")), c: Container = Depends(container),
                         status: str | None = None, supplier: str | None = None, kind: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> dict:
    with c.reader() as uow:
        page = purchase_orders.list_purchase_orders(uow, limit, cursor, status, supplier, kind)
        return {"items": [po_out(po) for po in page.items], "next_cursor": page.next_cursor}


@router.get("/purchase-orders/{po_id}")
def get_purchase_order(po_id: str, _: Principal = Depends(require("purchasing:read")),
                       c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        return po_out(purchase_orders.get_purchase_order(uow, po_id))


@router.get("/purchase-orders/{po_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def purchase_order_pdf(po_id: str, _: Principal = Depends(require("purchasing:read")),
                       c: Container = Depends(container)) -> Response:
    with c.reader() as uow:
        doc = purchase_orders.po_document(uow, po_id, "Purchasing", c.settings.purchasing_email)
    return Response(render_po_pdf(doc), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{doc.number}.pdf"'})


@router.post("/purchase-orders/{po_id}/send")
def send_purchase_order(po_id: str, who: Principal = Depends(require("purchasing:write")),
                        c: Container = Depends(container)) -> dict:
    return po_out(handlers.send_purchase_order(c, po_id, who.actor))


@router.post("/purchase-orders/{po_id}/cancel")
def cancel_purchase_order(po_id: str, body: ReasonIn, who: Principal = Depends(require("purchasing:write")),
                          c: Container = Depends(container)) -> dict:
    return po_out(handlers.cancel_purchase_order(c, po_id, who.actor, body.reason))


@router.post("/purchase-orders/{po_id}/close")
def close_purchase_order(po_id: str, body: ReasonIn, who: Principal = Depends(require("purchasing:write")),
                         c: Container = Depends(container)) -> dict:
    return po_out(handlers.close_purchase_order(c, po_id, who.actor, body.reason))


@router.post("/purchase-orders/{po_id}/asns", status_code=201)
async def create_asn(po_id: str, body: AsnIn, request: Request, who: Principal = Depends(require("purchasing:write")),
                     c: Container = Depends(container)) -> JSONResponse:
    lines = [purchase_orders.AsnLine(li.sku, li.quantity) for li in body.lines]
    idem = await idempotency_for(request, who, asn_out)
    result = await run_in_threadpool(handlers.create_asn, c, po_id, lines, body.reference, body.expected_on,
                                     body.carrier, body.tracking_number, idem)
    return respond(result, asn_out, 201, idem)


@router.get("/purchase-orders/{po_id}/asns")
def list_asns(po_id: str, _: Principal = Depends(require("purchasing:read")),
              c: Container = Depends(container)) -> list[dict]:
    with c.reader() as uow:
        return [asn_out(a) for a in purchase_orders.list_asns(uow, po_id)]


@router.post("/purchase-orders/{po_id}/receipts", status_code=201)
async def receive(po_id: str, body: ReceiptIn, request: Request, who: Principal = Depends(require("inventory:write")),
                  c: Container = Depends(container)) -> JSONResponse:
    """Count a delivery in; orders waiting for these SKUs are allocated in the same transaction."""
    lines = [ReceiptLineInput(li.sku, li.quantity, li.damaged) for li in body.lines]
    idem = await idempotency_for(request, who, receipt_out)
    result = await run_in_threadpool(handlers.receive, c, po_id, lines, who.actor, body.location, body.asn_id,
                                     body.note, idem)
    return respond(result, receipt_out, 201, idem)


@router.post("/purchase-orders/{po_id}/drop-ship-confirmation")
def confirm_drop_ship(po_id: str, body: DropShipConfirmationIn, who: Principal = Depends(require("orders:fulfil")),
                      c: Container = Depends(container)) -> dict:
    """The supplier shipped a drop-ship PO: the customer's order ships with this tracking number."""
    return po_out(handlers.confirm_drop_ship(c, po_id, body.carrier, body.tracking_number, who.actor))
