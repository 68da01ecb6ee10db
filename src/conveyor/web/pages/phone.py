"""New phone order: find a past customer, search SKUs with live availability per location, lines
with a price override (and its reason), the delivery-date promise, then place it.

It is the phone-order draft of the channels area (channels.handlers.create_draft + confirm_draft):
the draft checks the lines and prices (an override needs a reason, kept on the order) and
placing it is one transaction."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.api.personal import log_read
from conveyor.auth.roles import PII_READ
from conveyor.bootstrap import Container
from conveyor.catalog.service import list_skus
from conveyor.channels import handlers
from conveyor.channels.drafts import DraftLine
from conveyor.channels.service import list_channels
from conveyor.fulfillment.promise import cart_promise
from conveyor.inventory.service import availability
from conveyor.orders.customers import find_customers
from conveyor.shared import pii
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError, ValidationFailed
from conveyor.shared.handlers import Replayed
from conveyor.shared.money import to_minor
from conveyor.web.session import Posted, Viewer, allowed, container_of, posted
from conveyor.web.templating import page, redirect, templates

router = APIRouter(include_in_schema=False)
LINES = 5
ADDRESS = ("name", "line1", "line2", "city", "region", "postal_code", "country")
CUSTOMER = ("customer_name", "customer_email", "customer_phone")


def _channels(c: Container) -> list[Any]:
    with c.reader() as uow:
        return [ch for ch in list_channels(uow) if ch.active]


def _form_page(request: Request, who: Viewer, values: dict[str, str], **extra: Any) -> HTMLResponse:
    channels = _channels(container_of(request))
    values.setdefault("channel", next((ch.code for ch in channels if ch.type == "phone"), channels[0].code
                                      if channels else ""))
    values.setdefault("country", "US")
    return page(request, who, "phone.html", values=values, channels=channels, lines=range(1, LINES + 1), **extra)


@router.get("/phone", response_class=HTMLResponse)
async def phone_order(request: Request, who: Viewer = Depends(allowed("orders:create"))) -> HTMLResponse:
    values = {k: v[:200] for k, v in request.query_params.items() if k in (*CUSTOMER, *ADDRESS, "channel")}
    lookup = request.query_params.get("lookup", "").strip()[:200]
    customers: list[Any] = []
    error = ""
    if lookup:
        try:
            customers = await run_in_threadpool(_find, container_of(request), lookup, who)
        except ValidationFailed as exc:
            error = exc.detail
    return await run_in_threadpool(lambda: _form_page(request, who, values, lookup=lookup, customers=customers,
                                                      lookup_error=error))


def _find(c: Container, q: str, who: Viewer) -> list[dict[str, Any]]:
    """Past customers matching the lookup. A user without `pii:read` sees them masked, as the API's
    lookup shows them, and gets no link that would fill the form with their details: they type what
    the caller tells them."""
    with c.reader() as uow:
        found = find_customers(uow, q, limit=10)
    if who.may(PII_READ):
        log_read(who, "dashboard customer lookup", [f.last_order_id for f in found])
        return [{"customer": f, "use": urlencode(_prefill(f))} for f in found]
    return [{"customer": {"name": pii.mask_name(f.name), "email": pii.mask_email(f.email),
                          "phone": pii.mask_phone(f.phone), "order_count": f.order_count,
                          "last_order_at": f.last_order_at}, "use": None} for f in found]


def _prefill(found: Any) -> dict[str, str]:
    address = found.shipping_address or {}
    values = {"customer_name": found.name, "customer_email": found.email, "customer_phone": found.phone}
    values.update({k: str(address.get(k) or "") for k in ADDRESS})
    return values


@router.get("/phone/skus", response_class=HTMLResponse)
async def sku_search(request: Request, who: Viewer = Depends(allowed("orders:create"))) -> HTMLResponse:
    """SKUs matching the search, each with what is available to promise now, per location."""
    q = request.query_params.get("q", "").strip()[:100]
    c = container_of(request)

    def search() -> list[dict[str, Any]]:
        if len(q) < 2:
            return []
        with c.reader() as uow:
            # availability() per SKU: kits from their parts, hot-SKU buckets included (≤ 10 SKUs)
            return [{"sku": s, "atp": availability(uow, s.code).by_location}
                    for s in list_skus(uow, 10, None, q=q).items]

    found = await run_in_threadpool(search)
    # Catalog prices are in the shop's currency (the report currency).
    return templates.TemplateResponse(request, "phone_skus.html", {"found": found, "q": q,
                                                                   "currency": c.settings.report_currency})


def _lines(form: dict[str, str], currency: str) -> list[DraftLine]:
    lines = []
    for n in range(1, LINES + 1):
        sku = form.get(f"sku_{n}", "").strip()
        if not sku:
            continue
        try:
            quantity = int(form.get(f"qty_{n}", "1") or "1")
        except ValueError:
            raise ValidationFailed(f"line {n}: the quantity must be a whole number") from None
        price = form.get(f"price_{n}", "").strip()
        lines.append(DraftLine(sku=sku, quantity=quantity, price_reason=form.get(f"reason_{n}", "").strip()[:500],
                               unit_price_minor=to_minor(price, currency) if price else None))
    if not lines:
        raise ValidationFailed("add at least one line")
    return lines


def _changes(form: dict[str, str], currency: str) -> dict[str, Any]:
    address = {k: form.get(k, "").strip()[:100] for k in ADDRESS}
    address["country"] = (address["country"] or "US").upper()[:2]
    return {"customer": {"name": form.get("customer_name", "").strip()[:200],
                         "email": form.get("customer_email", "").strip().lower()[:254],
                         "phone": form.get("customer_phone", "").strip()[:40]},
            "shipping_address": address, "billing_address": address, "lines": _lines(form, currency),
            "notes": form.get("notes", "").strip()[:5000]}


def _promise(c: Container, form: dict[str, str], currency: str) -> Any:
    lines = _lines(form, currency)
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    with c.reader() as uow:
        return cart_promise(uow, wanted, {k: form.get(k, "") for k in ADDRESS}, utcnow()), \
            {code: availability(uow, code) for code in wanted}


@router.post("/phone", response_class=HTMLResponse)
async def place(request: Request, p: Posted = Depends(posted("orders:create"))) -> Response:
    """`action=quote`: availability and the delivery promise for the lines; `action=place`: the order."""
    who, form = p
    c = container_of(request)
    values = {k: v for k, v in form.items() if k != "csrf_token"}
    try:
        channel = await run_in_threadpool(handlers.channel_for, c, form.get("channel", ""))
        if form.get("action") == "quote":
            promised, stock = await run_in_threadpool(_promise, c, form, channel.currency)
            return await run_in_threadpool(lambda: _form_page(request, who, values, promise=promised, stock=stock,
                                                              quoted=True))
        changes = _changes(form, channel.currency)
        draft = await run_in_threadpool(lambda: handlers.create_draft(c, channel, channel.currency, changes,
                                                                      actor=who.actor))
        assert not isinstance(draft, Replayed)  # no Idempotency-Key here, so never a replay
        done = await run_in_threadpool(lambda: handlers.confirm_draft(c, draft.id, channel, actor=who.actor))
    except DomainError as exc:
        detail = exc.detail
        return await run_in_threadpool(lambda: _form_page(request, who, values, error=detail))
    return redirect(request, f"/orders/{done.order.id}", "Phone order placed.")  # type: ignore[union-attr]
