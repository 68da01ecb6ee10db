"""Fulfilment: the queue of a location, pick lists (printed as PDF), the pack screen with
barcode-scan input, labels and shipping.

A USB barcode scanner is a keyboard that types the code and presses Enter: the pack screen's
input posts each scan (htmx swaps the packing panel in place and the input is cleared and keeps
focus, so the next scan follows at once; without JavaScript the form posts and the page reloads)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.bootstrap import Container
from conveyor.fulfillment import handlers, packing_flow, service, views, waves
from conveyor.fulfillment.documents import render_pick_list_pdf
from conveyor.fulfillment.setup import list_boxes
from conveyor.inventory.locations import list_locations, resolve_location
from conveyor.shared.errors import DomainError, ErrorCode, ValidationFailed
from conveyor.shipping import service as shipping
from conveyor.web.session import Posted, Viewer, allowed, container_of, posted
from conveyor.web.templating import page, redirect, templates

router = APIRouter(include_in_schema=False)
QUEUE = ("pending", "released", "picking", "packed", "exception")
PDF = "application/pdf"


def queue(c: Container, location: str) -> dict[str, Any]:
    with c.reader() as uow:
        locations = list_locations(uow, active=True)
        chosen = resolve_location(uow, location) if location else (locations[0] if locations else None)
        by_status: dict[str, list[dict[str, Any]]] = {}
        pick_lists: list[dict[str, Any]] = []
        if chosen is not None:
            for status in QUEUE:
                found = service.list_fulfilment_orders(uow, location_id=chosen.id, status=status, limit=100).items
                by_status[status] = [views.fulfilment_order(fo) for fo in found]
            pick_lists = [views.pick_list(p) for p in waves.list_pick_lists(uow, chosen.id, "open", 20)]
        return {"locations": locations, "chosen": chosen, "queue": by_status, "pick_lists": pick_lists}


@router.get("/fulfilment", response_class=HTMLResponse)
async def fulfilment(request: Request, who: Viewer = Depends(allowed("orders:read"))) -> HTMLResponse:
    location = request.query_params.get("location", "")[:100]
    found = await run_in_threadpool(queue, container_of(request), location)
    return page(request, who, "fulfilment.html", **found)


async def _act(request: Request, back: str, work: Any, done: str) -> Response:
    try:
        await run_in_threadpool(work)
    except DomainError as exc:
        return redirect(request, back, exc.detail, "error")
    return redirect(request, back, done)


@router.post("/fulfilment/orders/{fo_id}/release")
async def release(fo_id: str, request: Request, p: Posted = Depends(posted("orders:fulfil"))) -> Response:
    who, form = p
    c = container_of(request)
    back = f"/fulfilment?location={form.get('location', '')}"
    return await _act(request, back, lambda: handlers.release(c, fo_id, who.actor), "Released to the floor.")


@router.post("/fulfilment/pick-lists")
async def create_pick_lists(request: Request, p: Posted = Depends(posted("orders:fulfil"))) -> Response:
    who, form = p
    location = form.get("location", "")
    c = container_of(request)
    return await _act(request, f"/fulfilment?location={location}",
                      lambda: handlers.create_pick_lists(c, location, who.actor), "Pick lists created.")


@router.get("/fulfilment/pick-lists/{pick_list_id}.pdf")
async def pick_list_pdf(pick_list_id: str, request: Request, _: Viewer = Depends(allowed("orders:read"))) -> Response:
    c = container_of(request)

    def render() -> bytes:
        with c.reader() as uow:
            row = waves.get_pick_list(uow, pick_list_id)
            return render_pick_list_pdf(waves.from_document(row.document), views.iso(row.created_at) or "")

    return Response(await run_in_threadpool(render), media_type=PDF,
                    headers={"Content-Disposition": f'inline; filename="{pick_list_id}.pdf"'})


@router.post("/fulfilment/pick-lists/{pick_list_id}/confirm")
async def confirm_picks(pick_list_id: str, request: Request,
                        p: Posted = Depends(posted("orders:fulfil"))) -> Response:
    """Everything on the list was picked (short picks are confirmed through the API or CLI)."""
    who, form = p
    c = container_of(request)
    return await _act(request, f"/fulfilment?location={form.get('location', '')}",
                      lambda: handlers.confirm_picks(c, pick_list_id, None, who.actor), "Picks confirmed.")


# --- the pack screen ------------------------------------------------------------------------------

def packing(c: Container, fo_id: str) -> dict[str, Any]:
    with c.reader() as uow:
        fo = service.get(uow, fo_id)
        labels = shipping.labels_for(uow, [fo.id])
        packages = packing_flow.packages_of(uow, fo.id)
        return {"fo": views.fulfilment_order(fo, packages, labels), "boxes": list_boxes(uow, active_only=True),
                "location": next((loc.code for loc in list_locations(uow) if loc.id == fo.location_id), ""),
                "open_package": bool(packages and packages[-1].status == "open")}


@router.get("/fulfilment/orders/{fo_id}", response_class=HTMLResponse)
async def pack_screen(fo_id: str, request: Request, who: Viewer = Depends(allowed("orders:read"))) -> HTMLResponse:
    found = await run_in_threadpool(packing, container_of(request), fo_id)
    return page(request, who, "pack.html", scan=None, **found)


@router.post("/fulfilment/orders/{fo_id}/scan")
async def scan(fo_id: str, request: Request, p: Posted = Depends(posted("orders:fulfil"))) -> Response:
    """One scan: counted, or refused with the packer's message. htmx gets the packing panel back."""
    who, form = p
    c = container_of(request)
    code = form.get("code", "").strip()[:100]
    try:
        ok, message = True, (await run_in_threadpool(handlers.scan, c, fo_id, code, who.actor)).message
    except DomainError as exc:
        if exc.code not in (ErrorCode.SCAN_REFUSED, ErrorCode.ILLEGAL_TRANSITION):
            raise
        ok, message = False, exc.detail
    outcome = {"ok": ok, "message": message}
    if not request.headers.get("hx-request"):
        return redirect(request, f"/fulfilment/orders/{fo_id}", message, "ok" if ok else "error")
    found = await run_in_threadpool(packing, c, fo_id)
    return templates.TemplateResponse(request, "pack_panel.html", {"who": who, "scan": outcome, **found})


@router.post("/fulfilment/orders/{fo_id}/packages")
async def close_package(fo_id: str, request: Request,
                        p: Posted = Depends(posted("orders:fulfil"))) -> Response:
    who, form = p
    c = container_of(request)

    def work() -> None:
        try:
            grams = int(form.get("weight_grams", ""))
        except ValueError:
            raise ValidationFailed("the weight must be whole grams") from None
        handlers.close_package(c, fo_id, who.actor, weight_grams=grams, box_code=form.get("box") or None)

    return await _act(request, f"/fulfilment/orders/{fo_id}", work, "Package closed.")


@router.post("/fulfilment/orders/{fo_id}/labels")
async def buy_labels(fo_id: str, request: Request, p: Posted = Depends(posted("orders:fulfil"))) -> Response:
    who, _ = p
    c = container_of(request)
    return await _act(request, f"/fulfilment/orders/{fo_id}", lambda: handlers.buy_labels(c, fo_id, who.actor),
                      "Label bought: print it.")


@router.get("/fulfilment/labels/{label_id}.pdf")
async def label_pdf(label_id: str, request: Request, _: Viewer = Depends(allowed("orders:read"))) -> Response:
    c = container_of(request)

    def read() -> bytes:
        with c.reader() as uow:
            return shipping.get_label(uow, label_id).label_pdf

    return Response(await run_in_threadpool(read), media_type=PDF,
                    headers={"Content-Disposition": f'inline; filename="{label_id}.pdf"'})


@router.post("/fulfilment/orders/{fo_id}/ship")
async def ship(fo_id: str, request: Request, p: Posted = Depends(posted("orders:fulfil"))) -> Response:
    who, _ = p
    c = container_of(request)
    return await _act(request, f"/fulfilment/orders/{fo_id}", lambda: handlers.ship(c, fo_id, who.actor),
                      "Shipped.")
