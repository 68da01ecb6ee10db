"""Orders: the searchable, filterable, paginated list, and one order with its actions.

The list is `orders.service.list_orders` (the API's list: keyset pages over the indexed filters),
50 orders a page; the detail page reads the order, its fulfilment orders, shipments and timeline.
Each action is one handler call (one transaction) and names the permission it needs.

Customers' personal data is shown as the API shows it (api/personal.py): unmasked to users whose
role holds `pii:read` (the read is logged), masked for everyone else (support, readonly)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.api.personal import log_read, order_view
from conveyor.auth.roles import PII_READ
from conveyor.bootstrap import Container
from conveyor.channels.service import list_channels
from conveyor.fulfillment import service as fulfilment
from conveyor.fulfillment import views as fulfilment_views
from conveyor.inventory.locations import list_locations
from conveyor.orders import handlers, service
from conveyor.orders.lifecycle import HOLDABLE, Status
from conveyor.orders.queries import shipments_of
from conveyor.orders.schemas import render_order
from conveyor.orders.service import ADDRESS_EDITABLE, ADDRESS_FIELDS
from conveyor.shared import pii
from conveyor.shared.errors import DomainError, ValidationFailed
from conveyor.web.pages import money
from conveyor.web.session import Posted, Viewer, allowed, container_of, posted
from conveyor.web.templating import page, redirect

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
FILTERS = ("status", "channel", "from", "to", "sku", "email", "tag", "q")


def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        raise ValidationFailed(f"{name}: a date like 2026-11-30", field=name) from None


def list_page(c: Container, filters: dict[str, str], cursor: str | None) -> dict[str, Any]:
    """One page of orders for the filters given (`to` is inclusive: the whole day)."""
    to = _day(filters.get("to"), "to")
    with c.reader() as uow:
        channels = list_channels(uow)
        by_code = {ch.code: ch.id for ch in channels}
        channel = filters.get("channel")
        result = service.list_orders(
            uow, limit=PAGE_SIZE, cursor=cursor or None, status=filters.get("status") or None,
            channel_id=(by_code.get(channel, "-") if channel else None),
            created_from=_day(filters.get("from"), "from"), created_to=to + timedelta(days=1) if to else None,
            sku=filters.get("sku") or None, email=filters.get("email") or None, tag=filters.get("tag") or None,
            q=filters.get("q") or None, with_lines=False)
        return {"orders": result.items, "next_cursor": result.next_cursor,
                "channels": {ch.id: ch.code for ch in channels}}


@router.get("/orders", response_class=HTMLResponse)
async def orders(request: Request, who: Viewer = Depends(allowed("orders:read"))) -> HTMLResponse:
    params = request.query_params
    filters = {name: params.get(name, "").strip()[:200] for name in FILTERS}
    found = await run_in_threadpool(list_page, container_of(request), filters, params.get("cursor"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return page(request, who, "orders.html", filters=filters, statuses=[s.value for s in Status],
                query=query, people=_people(who, found["orders"]), **found)


def _people(who: Viewer, orders: list[Any]) -> dict[str, dict[str, str]]:
    """Each listed order's customer as this user may see them."""
    people = {o.id: {"name": o.customer_name, "email": o.customer_email} for o in orders}
    if who.may(PII_READ):
        log_read(who, "dashboard order list", list(people))
        return people
    return {order_id: {"name": pii.mask_name(p["name"]), "email": pii.mask_email(p["email"])}
            for order_id, p in people.items()}


def detail(c: Container, order_id: str) -> dict[str, Any]:
    with c.reader() as uow:
        order = service.get_order(uow, order_id)
        events = service.order_timeline(uow, order_id)
        channels = {ch.id: ch.code for ch in list_channels(uow)}
        locations = {loc.id: loc for loc in list_locations(uow)}
        fulfilment_orders = [fulfilment_views.fulfilment_order(fo) for fo in fulfilment.for_order(uow, order_id)]
        return {"order": order, "view": render_order(order), "channel": channels.get(order.channel_id, ""),
                "locations": locations, "shipments": shipments_of(uow, order_id),
                "fulfilment_orders": fulfilment_orders,
                "events": list(reversed(events)),
                "routing": [{"event": e.type, "at": e.created_at, "detail": e.data["routing"]}
                            for e in events if (e.data or {}).get("routing")],
                "holdable": order.status in HOLDABLE, "held": order.status == Status.ON_HOLD,
                "address_editable": order.status in ADDRESS_EDITABLE and not any(li.shipped for li in order.lines),
                "open_lines": [li for li in order.lines if li.open_quantity > 0 and order.status != Status.CANCELLED],
                "allocated_at": sorted({a.location_id for a in order.allocations if a.quantity})}


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def order(order_id: str, request: Request, who: Viewer = Depends(allowed("orders:read"))) -> HTMLResponse:
    c = container_of(request)

    def read() -> dict[str, Any]:
        found = detail(c, order_id)
        found["view"] = order_view(who, "dashboard order")(found["view"])
        found["events"] = _timeline_as_seen(who, found["events"])
        return {**found, **money.panel(c, order_id, who)}

    return page(request, who, "order.html", **await run_in_threadpool(read))


def _timeline_as_seen(who: Viewer, events: list[Any]) -> list[Any]:
    """Timeline entries as this user may see them: without `pii:read`, staff notes and reasons keep
    their words and lose the contact details in them (as the API's timeline does)."""
    if who.may(PII_READ):
        return events
    return [SimpleNamespace(type=e.type, created_at=e.created_at, actor=e.actor, data=pii.scrub(e.data or {}, pii.MASK))
            for e in events]


async def _act(request: Request, order_id: str, work: Any, done: str) -> Response:
    """Run one action (a handler call) and come back to the order, with what happened."""
    try:
        await run_in_threadpool(work)
    except DomainError as exc:
        return redirect(request, f"/orders/{order_id}", exc.detail, "error")
    return redirect(request, f"/orders/{order_id}", done)


@router.post("/orders/{order_id}/hold")
async def hold(order_id: str, request: Request, p: Posted = Depends(posted("orders:write"))) -> Response:
    who, form = p
    reason = form.get("reason", "").strip()[:200] or "held from the dashboard"
    c = container_of(request)
    return await _act(request, order_id, lambda: handlers.hold_order(c, order_id, reason, who.actor), "Order held.")


@router.post("/orders/{order_id}/release")
async def release(order_id: str, request: Request,
                  p: Posted = Depends(posted("orders:write"))) -> Response:
    who, _ = p
    c = container_of(request)
    return await _act(request, order_id, lambda: handlers.release_hold(c, order_id, who.actor), "Hold released.")


@router.post("/orders/{order_id}/cancel")
async def cancel(order_id: str, request: Request, p: Posted = Depends(posted("orders:write"))) -> Response:
    """Cancel some units of lines (fields `line:<line id>` = quantity), or the whole order (`all`)."""
    who, form = p
    reason = form.get("reason", "").strip()[:500]
    lines = {key.removeprefix("line:"): _quantity(value) for key, value in form.items()
             if key.startswith("line:") and value.strip() not in ("", "0")}
    if not lines and form.get("all") != "yes":
        return redirect(request, f"/orders/{order_id}", "Nothing to cancel: enter a quantity.", "error")
    c = container_of(request)
    return await _act(request, order_id, lambda: handlers.cancel_order(
        c, order_id, lines=lines or None, reason=reason, actor=who.actor), "Cancelled.")


def _quantity(value: str) -> int:
    try:
        quantity = int(value)
    except ValueError:
        raise ValidationFailed(f"{value!r} is not a whole number") from None
    if quantity < 1:
        raise ValidationFailed("quantities must be at least 1")
    return quantity


@router.post("/orders/{order_id}/notes")
async def note(order_id: str, request: Request, p: Posted = Depends(posted("orders:write"))) -> Response:
    who, form = p
    text = form.get("text", "").strip()[:5000]
    if not text:
        return redirect(request, f"/orders/{order_id}", "The note is empty.", "error")
    c = container_of(request)
    return await _act(request, order_id, lambda: handlers.add_note(c, order_id, text, who.actor), "Note added.")


@router.post("/orders/{order_id}/tags")
async def tags(order_id: str, request: Request, p: Posted = Depends(posted("orders:write"))) -> Response:
    who, form = p
    add = _words(form.get("add", ""))
    remove = _words(form.get("remove", ""))
    c = container_of(request)
    return await _act(request, order_id, lambda: handlers.change_tags(c, order_id, add, remove, who.actor),
                      "Tags changed.")


def _words(text: str) -> list[str]:
    return [w.strip()[:50] for w in text.replace(",", " ").split() if w.strip()][:50]


@router.post("/orders/{order_id}/address")
async def address(order_id: str, request: Request, p: Posted = Depends(posted("orders:write"))) -> Response:
    who, form = p
    fields = {name: form.get(name, "")[:100] for name in ADDRESS_FIELDS}
    reason = form.get("reason", "").strip()[:200]
    c = container_of(request)
    return await _act(request, order_id, lambda: handlers.change_shipping_address(c, order_id, fields, who.actor,
                                                                                  reason), "Address changed.")


@router.post("/orders/{order_id}/reroute")
async def reroute(order_id: str, request: Request,
                  p: Posted = Depends(posted("orders:fulfil"))) -> Response:
    """Take the units allocated at a location away from it and route them again elsewhere."""
    who, form = p
    location = form.get("location", "")
    reason = form.get("reason", "").strip()[:200] or "re-routed from the dashboard"
    c = container_of(request)
    return await _act(request, order_id, lambda: handlers.reroute(c, order_id, location, who.actor, reason),
                      "Re-routed.")
