"""Fulfilment endpoints for a warehouse team: fulfilment orders (release, exceptions), pick lists,
packing with scan-to-verify, labels and shipping. Every write is one fulfilment handler."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.fulfillment import handlers, packing_flow, service, views, waves
from conveyor.fulfillment.documents import render_pick_list_pdf
from conveyor.fulfillment.schemas import (
    ConfirmPicksIn,
    LabelsIn,
    NoteIn,
    OpenIn,
    PackageIn,
    PickListsIn,
    ReasonIn,
    ScanIn,
    UnpackIn,
)
from conveyor.inventory.locations import resolve_location
from conveyor.shared.money import format_minor
from conveyor.shipping import service as shipping

router = APIRouter(tags=["fulfilment"])
# The warehouse floor (fulfilment orders, packing slips, pick lists) is staff business: they name every
# channel's orders and customers. A channel key sees its orders' progress in GET /orders/{id}.
READ, FULFIL = require("fulfilment:read"), require("orders:fulfil")
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "a PDF document"}}


def _render(c: Container, fo_id: str) -> dict[str, Any]:
    with c.reader() as uow:
        fo = service.get(uow, fo_id)
        return views.fulfilment_order(fo, packing_flow.packages_of(uow, fo.id), shipping.labels_for(uow, [fo.id]))


def _json(c: Container, fo: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(_render(c, fo.id), status_code=status)


@router.get("/fulfilment-orders")
def list_fulfilment_orders(who: Principal = Depends(READ), c: Container = Depends(container),
                           location: str | None = None, status: str | None = None, order_id: str | None = None,
                           limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> JSONResponse:
    with c.reader() as uow:
        location_id = resolve_location(uow, location).id if location else None
        page = service.list_fulfilment_orders(uow, location_id=location_id, status=status, order_id=order_id,
                                              limit=limit, cursor=cursor)
        return JSONResponse({"items": [views.fulfilment_order(fo) for fo in page.items],
                             "next_cursor": page.next_cursor})


@router.post("/fulfilment-orders")
def open_fulfilment_orders(body: OpenIn, who: Principal = Depends(FULFIL),
                           c: Container = Depends(container)) -> JSONResponse:
    """Bring an order's fulfilment orders in line with its allocations (normally automatic)."""
    opened = handlers.open_fulfilment_orders(c, body.order_id, who.actor)
    return JSONResponse({"items": [views.fulfilment_order(fo) for fo in opened]})


@router.post("/fulfilment-orders/release-due")
def release_due(who: Principal = Depends(FULFIL), c: Container = Depends(container)) -> dict:
    """Apply every location's release rules now (the worker does this every few seconds)."""
    return {"released": handlers.auto_release(c, actor=who.actor)}


@router.get("/fulfilment-orders/{fulfilment_order_id}")
def get_fulfilment_order(fulfilment_order_id: str, who: Principal = Depends(READ),
                         c: Container = Depends(container)) -> JSONResponse:
    return JSONResponse(_render(c, fulfilment_order_id))


@router.post("/fulfilment-orders/{fulfilment_order_id}/release")
def release(fulfilment_order_id: str, who: Principal = Depends(FULFIL), c: Container = Depends(container)):
    return _json(c, handlers.release(c, fulfilment_order_id, who.actor))


@router.post("/fulfilment-orders/{fulfilment_order_id}/unrelease")
def unrelease(fulfilment_order_id: str, who: Principal = Depends(FULFIL), c: Container = Depends(container)):
    return _json(c, handlers.unrelease(c, fulfilment_order_id, who.actor))


@router.post("/fulfilment-orders/{fulfilment_order_id}/exception")
def flag_exception(fulfilment_order_id: str, body: ReasonIn, who: Principal = Depends(FULFIL),
                   c: Container = Depends(container)):
    return _json(c, handlers.flag_exception(c, fulfilment_order_id, body.reason, who.actor))


@router.post("/fulfilment-orders/{fulfilment_order_id}/resolve")
def resolve_exception(fulfilment_order_id: str, body: NoteIn, who: Principal = Depends(FULFIL),
                      c: Container = Depends(container)):
    return _json(c, handlers.resolve_exception(c, fulfilment_order_id, body.note, who.actor))


# --- packing --------------------------------------------------------------------------------------

@router.post("/fulfilment-orders/{fulfilment_order_id}/scan")
def scan(fulfilment_order_id: str, body: ScanIn, who: Principal = Depends(FULFIL),
         c: Container = Depends(container)) -> dict:
    """One scan at the packing bench. Accepted: the unit is in the open package. Refused: 422
    `scan_refused` with the message for the packer (`Wrong item: … is not in this order.`)."""
    result = handlers.scan(c, fulfilment_order_id, body.code, who.actor)
    return {"accepted": True, "message": result.message, "sku": result.sku, "line_id": result.line_id,
            "packed": result.packed, "expected": result.expected}


@router.post("/fulfilment-orders/{fulfilment_order_id}/unpack")
def unpack(fulfilment_order_id: str, body: UnpackIn, who: Principal = Depends(FULFIL),
           c: Container = Depends(container)):
    return _json(c, handlers.unpack(c, fulfilment_order_id, body.line_id, who.actor))


@router.post("/fulfilment-orders/{fulfilment_order_id}/packages", status_code=201)
def close_package(fulfilment_order_id: str, body: PackageIn, who: Principal = Depends(FULFIL),
                  c: Container = Depends(container)) -> JSONResponse:
    """Close the open package with its weight and dimensions (or a box code for the dimensions)."""
    package = handlers.close_package(c, fulfilment_order_id, who.actor, weight_grams=body.weight_grams,
                                     box_code=body.box, length_mm=body.length_mm, width_mm=body.width_mm,
                                     height_mm=body.height_mm)
    return JSONResponse(views.package(package), status_code=201)


@router.post("/fulfilment-orders/{fulfilment_order_id}/reopen")
def reopen(fulfilment_order_id: str, who: Principal = Depends(FULFIL), c: Container = Depends(container)):
    return _json(c, handlers.reopen(c, fulfilment_order_id, who.actor))


@router.get("/fulfilment-orders/{fulfilment_order_id}/box-suggestion")
def box_suggestion(fulfilment_order_id: str, who: Principal = Depends(READ),
                   c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        suggestion = packing_flow.box_suggestion(uow, service.get(uow, fulfilment_order_id))
    return {"box": suggestion.single_box.code if suggestion.single_box else None,
            "packages": [{"box": p.box.code, "contents": dict(p.contents), "weight_grams": p.weight_grams}
                         for p in suggestion.packages],
            "unpackable": dict(suggestion.unpackable)}


@router.get("/fulfilment-orders/{fulfilment_order_id}/packing-slip", responses=PDF)
def packing_slip(fulfilment_order_id: str, who: Principal = Depends(READ), c: Container = Depends(container),
                 language: Annotated[str | None, Query(max_length=10)] = None, prices: bool = True) -> Response:
    """The packing slip PDF in the order's language (or `language`)."""
    with c.reader() as uow:
        pdf = packing_flow.packing_slip(uow, service.get(uow, fulfilment_order_id), language, prices)
    return Response(pdf, media_type="application/pdf")


# --- labels and shipping --------------------------------------------------------------------------

@router.get("/fulfilment-orders/{fulfilment_order_id}/rates")
def rates(fulfilment_order_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    """Services that can take every package, meeting the promised date first, then cheapest."""
    options = handlers.rate_options(c, fulfilment_order_id)
    return {"items": [{"carrier": o.carrier, "service": o.service, "price": format_minor(o.price.minor,
                                                                                          o.price.currency),
                       "currency": o.price.currency, "delivery_date": views.iso(o.delivery_date),
                       "meets_promise": o.meets_promise, "explanation": o.explanation} for o in options]}


@router.post("/fulfilment-orders/{fulfilment_order_id}/labels", status_code=201)
async def buy_labels(fulfilment_order_id: str, body: LabelsIn, who: Principal = Depends(FULFIL),
                     c: Container = Depends(container)) -> JSONResponse:
    """Buy a label per closed package: the named carrier service, else the cheapest meeting the
    promise (the built-in carrier unless CONVEYOR_SHIPPING_PROVIDER says otherwise)."""
    labels = await run_in_threadpool(handlers.buy_labels, c, fulfilment_order_id, who.actor, body.carrier,
                                     body.service)
    return JSONResponse({"items": [views.label(lb) for lb in labels]}, status_code=201)


@router.post("/fulfilment-orders/{fulfilment_order_id}/ship")
async def ship(fulfilment_order_id: str, request: Request, who: Principal = Depends(FULFIL),
               c: Container = Depends(container)) -> JSONResponse:
    """Hand the packed, labelled parcel(s) to the carrier: the order records the shipment and
    stock leaves the location, in one transaction. Accepts an Idempotency-Key."""
    idem = await idempotency_for(request, who, views.fulfilment_order, status_code=200)
    result = await run_in_threadpool(handlers.ship, c, fulfilment_order_id, who.actor, idem)
    return respond(result, views.fulfilment_order, 200, idem)


# --- pick lists -----------------------------------------------------------------------------------

@router.post("/pick-lists", status_code=201)
async def create_pick_lists(body: PickListsIn, request: Request, who: Principal = Depends(FULFIL),
                            c: Container = Depends(container)) -> JSONResponse:
    """Waves of the location's released fulfilment orders, each a pick list in walking order.
    Accepts an Idempotency-Key."""
    def render(lists: list[Any]) -> dict[str, Any]:
        return {"items": [views.pick_list(p) for p in lists]}

    idem = await idempotency_for(request, who, render)
    result = await run_in_threadpool(lambda: handlers.create_pick_lists(
        c, body.location, who.actor, fulfilment_orders=body.fulfilment_orders, max_orders=body.max_orders,
        max_units=body.max_units, idempotency=idem))
    return respond(result, render, 201, idem)


@router.get("/pick-lists")
def list_pick_lists(who: Principal = Depends(READ), c: Container = Depends(container), location: str | None = None,
                    status: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    with c.reader() as uow:
        location_id = resolve_location(uow, location).id if location else None
        return {"items": [views.pick_list(p) for p in waves.list_pick_lists(uow, location_id, status, limit)]}


@router.get("/pick-lists/{pick_list_id}")
def get_pick_list(pick_list_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        return views.pick_list(waves.get_pick_list(uow, pick_list_id))


@router.get("/pick-lists/{pick_list_id}/pdf", responses=PDF)
def pick_list_pdf(pick_list_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> Response:
    """The pick list to print: stops in walking order, Code 128 of bin and SKU per stop."""
    with c.reader() as uow:
        row = waves.get_pick_list(uow, pick_list_id)
        printed = views.iso(row.created_at) or ""
        pdf = render_pick_list_pdf(waves.from_document(row.document), printed)
    return Response(pdf, media_type="application/pdf")


@router.post("/pick-lists/{pick_list_id}/confirm")
def confirm_picks(pick_list_id: str, body: ConfirmPicksIn, who: Principal = Depends(FULFIL),
                  c: Container = Depends(container)) -> dict:
    """What was picked; short units are re-routed (never to this location) and reported."""
    picked = None if body.picked is None else _picked(body)
    report = handlers.confirm_picks(c, pick_list_id, picked, who.actor)
    return {"pick_list_id": pick_list_id, "short": [
        {"fulfilment_order_id": s.fulfillment_order, "line_id": s.line_id, "sku": s.sku, "bin": s.bin,
         "requested": s.requested, "picked": s.picked, "short": s.short} for s in report.shorts]}


def _picked(body: ConfirmPicksIn) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = {}
    for p in body.picked or []:
        totals[(p.bin, p.sku)] = totals.get((p.bin, p.sku), 0) + p.quantity
    return totals
