"""Inventory: levels per SKU and location with available-to-promise, the ledger of a SKU, low
stock; receive, adjust, transfer and cycle count (inventory:write)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.bootstrap import Container
from conveyor.catalog.service import sku_codes
from conveyor.inventory import handlers
from conveyor.inventory.locations import list_locations
from conveyor.inventory.service import ADJUSTMENT_REASONS, list_ledger, list_levels, low_stock
from conveyor.shared.errors import DomainError, ValidationFailed
from conveyor.web.session import Posted, Viewer, allowed, container_of, posted
from conveyor.web.templating import page, redirect

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
LOW_AT = 5


def read(c: Container, sku: str, location: str, cursor: str | None) -> dict[str, Any]:
    with c.reader() as uow:
        locations = list_locations(uow)
        levels = list_levels(uow, sku=sku or None, location=location or None, limit=PAGE_SIZE, cursor=cursor)
        ledger = list_ledger(uow, sku=sku, location=location or None, reason=None, reference=None, limit=50,
                             cursor=None).items if sku else []
        low = low_stock(uow, LOW_AT, 20)
        codes = sku_codes(uow, list({lv.sku_id for lv in [*levels.items, *low]} | {e.sku_id for e in ledger}))
        return {"levels": levels.items, "next_cursor": levels.next_cursor, "ledger": ledger, "low": low,
                "skus": codes, "locations": locations, "location_codes": {loc.id: loc.code for loc in locations}}


@router.get("/inventory", response_class=HTMLResponse)
async def inventory(request: Request, who: Viewer = Depends(allowed("inventory:read"))) -> HTMLResponse:
    sku = request.query_params.get("sku", "").strip()[:100]
    location = request.query_params.get("location", "").strip()[:100]
    found = await run_in_threadpool(read, container_of(request), sku, location, request.query_params.get("cursor"))
    query = urlencode({k: v for k, v in (("sku", sku), ("location", location)) if v})
    return page(request, who, "inventory.html", sku=sku, location=location, query=query,
                reasons=sorted(ADJUSTMENT_REASONS), **found)


def _whole(value: str, name: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number") from None


async def _act(request: Request, sku: str, work: Any, done: str) -> Response:
    back = "/inventory?" + urlencode({"sku": sku}) if sku else "/inventory"
    try:
        await run_in_threadpool(work)
    except DomainError as exc:
        return redirect(request, back, exc.detail, "error")
    return redirect(request, back, done)


@router.post("/inventory/adjust")
async def adjust(request: Request, p: Posted = Depends(posted("inventory:write"))) -> Response:
    who, form = p
    sku, location = form.get("sku", "").strip(), form.get("location", "")
    c = container_of(request)

    def work() -> None:
        delta = _whole(form.get("delta", ""), "the change")
        handlers.adjust(c, sku, location, delta, form.get("reason", ""), who.actor, form.get("note", "")[:1000])

    return await _act(request, sku, work, f"Adjusted {sku} at {location}.")


@router.post("/inventory/receive")
async def receive(request: Request, p: Posted = Depends(posted("inventory:write"))) -> Response:
    who, form = p
    sku, location = form.get("sku", "").strip(), form.get("location", "")
    c = container_of(request)

    def work() -> None:
        quantity = _whole(form.get("quantity", ""), "the quantity")
        handlers.receive(c, sku, location, quantity, who.actor, form.get("reference", "")[:64])

    return await _act(request, sku, work, f"Received {sku} at {location}.")


@router.post("/inventory/transfer")
async def transfer(request: Request, p: Posted = Depends(posted("inventory:write"))) -> Response:
    who, form = p
    sku = form.get("sku", "").strip()
    c = container_of(request)

    def work() -> None:
        quantity = _whole(form.get("quantity", ""), "the quantity")
        handlers.transfer(c, sku, form.get("source", ""), form.get("destination", ""), quantity, who.actor,
                          form.get("note", "")[:1000])

    return await _act(request, sku, work, f"Transferred {sku}.")


@router.post("/inventory/count")
async def count(request: Request, p: Posted = Depends(posted("inventory:write"))) -> Response:
    """A cycle count: lines of `SKU quantity` (or `SKU,quantity`) counted at one location."""
    who, form = p
    location = form.get("location", "")
    c = container_of(request)

    def work() -> None:
        handlers.cycle_count(c, location, parse_counts(form.get("counts", "")), who.actor)

    return await _act(request, "", work, f"Counted at {location}: on hand set to the counts.")


def parse_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.replace(",", " ").replace(";", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValidationFailed(f"count line {number}: write 'SKU quantity'")
        quantity = _whole(parts[1], f"count line {number}'s quantity")
        if quantity < 0:
            raise ValidationFailed(f"count line {number}: a count can't be negative")
        counts[parts[0]] = quantity
    if not counts:
        raise ValidationFailed("no counts given")
    return counts
