"""Phone orders: draft endpoints under /channels/{code}/drafts, and past-customer lookup.

Taking, editing, discarding and confirming drafts needs `orders:create` (the same as placing an
order); reading them needs `orders:read`. Channel keys act only for their own channel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import check_channel_scope, container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.personal import log_read, may_read
from conveyor.api.schemas import Amount, Currency, PageOut, ShortText, Strict
from conveyor.auth.roles import Role
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.channels import drafts, handlers
from conveyor.channels.model import DraftOrder
from conveyor.channels.service import ChannelInfo, get_channel
from conveyor.orders.customers import find_customers
from conveyor.orders.schemas import LOCALE, AddressIn, CustomerIn, OrderOut, render_order
from conveyor.shared import pii
from conveyor.shared.clock import as_utc
from conveyor.shared.languages import order_language
from conveyor.shared.money import format_minor, to_minor

router = APIRouter()
Tags = Annotated[list[Annotated[str, Field(min_length=1, max_length=50)]], Field(max_length=50)]
DRAFT = "/{code}/drafts/{draft_id}"


class DraftLineIn(Strict):
    sku: Annotated[str, Field(min_length=1, max_length=100)]
    quantity: Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
    unit_price: Amount | None = Field(None, description="omit for the catalog price")
    price_reason: Annotated[str, Field(max_length=500)] = Field(
        "", description="required when unit_price differs from the catalog price")
    discount: Amount = "0"
    tax: Amount = "0"
    name: ShortText = ""


class DraftPatch(Strict):
    customer: CustomerIn | None = None
    billing_address: AddressIn | None = None
    shipping_address: AddressIn | None = None
    lines: Annotated[list[DraftLineIn], Field(min_length=1, max_length=500)] | None = None
    shipping: Amount | None = None
    discount: Amount | None = Field(None, description="order-level discount on top of line discounts")
    notes: Annotated[str, Field(max_length=5000)] | None = None
    tags: Tags | None = None
    locale: Annotated[str, Field(max_length=35, pattern=LOCALE)] | None = Field(
        None, description="the customer's language (BCP 47, e.g. `de-AT`): e-mails and documents are written in it")

    def changes(self, currency: str) -> dict[str, Any]:
        """The fields sent, in the service's terms (minor units, plain dicts)."""
        sent, out = self.model_fields_set, dict[str, Any]()
        if "customer" in sent:
            c = self.customer or CustomerIn()
            out["customer"] = {"name": c.name, "email": (c.email or "").lower(), "phone": c.phone}
        for name in ("billing_address", "shipping_address"):
            if name in sent:
                value = getattr(self, name)
                out[name] = value.model_dump() if value else None
        if "lines" in sent and self.lines is not None:
            out["lines"] = [_line(li, currency) for li in self.lines]
        for name in ("shipping", "discount"):
            if name in sent and getattr(self, name) is not None:
                out[f"{name}_minor"] = to_minor(getattr(self, name), currency)
        if "notes" in sent and self.notes is not None:
            out["notes"] = self.notes
        if "tags" in sent and self.tags is not None:
            out["tags"] = list(dict.fromkeys(self.tags))
        if "locale" in sent and self.locale is not None:
            out["locale"] = order_language(self.locale)
        return out


class DraftIn(DraftPatch):
    currency: Currency | None = Field(None, description="defaults to the channel's currency")
    lines: Annotated[list[DraftLineIn], Field(min_length=1, max_length=500)]


def _line(li: DraftLineIn, currency: str) -> drafts.DraftLine:
    return drafts.DraftLine(
        sku=li.sku, quantity=li.quantity, price_reason=li.price_reason, name=li.name,
        unit_price_minor=None if li.unit_price is None else to_minor(li.unit_price, currency),
        discount_minor=to_minor(li.discount, currency), tax_minor=to_minor(li.tax, currency))


class DraftLineOut(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int
    unit_price: str
    catalog_price: str | None
    price_overridden: bool
    override_reason: str
    discount: str
    tax: str
    total: str
    available: int | None = Field(description="available-to-promise now, all locations (open drafts only)")


class DraftOut(BaseModel):
    id: str
    channel: str
    status: str
    order_id: str | None
    currency: str
    customer: dict[str, str]
    billing_address: dict[str, Any] | None
    shipping_address: dict[str, Any] | None
    lines: list[DraftLineOut]
    totals: dict[str, str]
    notes: str
    tags: list[str]
    locale: str
    created_by: str
    created_at: datetime
    updated_at: datetime


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def render_draft(draft: DraftOrder, channel_code: str, available: dict[str, int]) -> dict[str, Any]:
    data, cur = draft.data, draft.data["currency"]

    def m(minor: int | None) -> str | None:
        return None if minor is None else format_minor(minor, cur)

    lines = [{"line_no": n, "sku": li["sku"], "name": li["name"], "quantity": li["quantity"],
              "unit_price": m(li["unit_price_minor"]), "catalog_price": m(li["catalog_price_minor"]),
              "price_overridden": bool(li["override_reason"]), "override_reason": li["override_reason"],
              "discount": m(li["discount_minor"]), "tax": m(li["tax_minor"]),
              "total": m(li["unit_price_minor"] * li["quantity"] - li["discount_minor"] + li["tax_minor"]),
              "available": available.get(li["sku"])} for n, li in enumerate(data["lines"], start=1)]
    return {"id": draft.id, "channel": channel_code, "status": draft.status, "order_id": draft.order_id,
            "currency": cur, "customer": data["customer"], "billing_address": data["billing_address"],
            "shipping_address": data["shipping_address"], "lines": lines,
            "totals": {k: m(v) for k, v in drafts.order_totals(data).items()}, "notes": data["notes"],
            "tags": data["tags"], "locale": data.get("locale", ""), "created_by": draft.created_by,
            "created_at": _iso(draft.created_at),
            "updated_at": _iso(draft.updated_at)}


def _channel(c: Container, who: Principal, code: str) -> ChannelInfo:
    """The channel in the path (404 if unknown), and the caller must be allowed to act for it."""
    with c.reader() as uow:
        channel = ChannelInfo.of(get_channel(uow, code))
    check_channel_scope(c, who, channel.code)
    return channel


def _render(c: Container, channel: ChannelInfo, who: Principal) -> Callable[[DraftOrder], dict[str, Any]]:
    def render(draft: DraftOrder) -> dict[str, Any]:
        with c.reader() as uow:
            available = drafts.available_to_promise(uow, [draft])
        return _shown(who, [render_draft(draft, channel.code, available)])[0]

    return render


def _shown(who: Principal, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drafts hold the customer and their addresses like orders do: masked without `pii:read`,
    the read logged (by draft id) with it."""
    if may_read(who):
        log_read(who, "phone-order draft", [b["id"] for b in bodies])
        return bodies
    return [pii.mask_order(b) for b in bodies]


@router.post("/{code}/drafts", response_model=DraftOut, status_code=201)
async def create_draft(code: str, body: DraftIn, request: Request, who: Principal = Depends(require("orders:create")),
                       c: Container = Depends(container)) -> JSONResponse:
    """Take an order as a draft: priced and checked like an order, nothing allocated or reserved.
    Supports `Idempotency-Key`."""
    channel = await run_in_threadpool(_channel, c, who, code)
    render = _render(c, channel, who)
    idem = await idempotency_for(request, who, render)
    currency = body.currency or channel.currency
    result = await run_in_threadpool(lambda: handlers.create_draft(c, channel, currency, body.changes(currency),
                                                                   actor=who.actor, idempotency=idem))
    return respond(result, render, 201, idem)


@router.get("/{code}/drafts", response_model=PageOut[DraftOut])
def list_drafts(code: str, who: Principal = Depends(require("orders:read")), c: Container = Depends(container),
                status: Annotated[str | None, Query(pattern=r"^(draft|confirmed|discarded)$")] = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> JSONResponse:
    """The channel's drafts, newest first (available-to-promise is shown on open drafts)."""
    channel = _channel(c, who, code)
    with c.reader() as uow:
        page = drafts.list_drafts(uow, channel.id, status=status, limit=limit, cursor=cursor)
        available = drafts.available_to_promise(uow, page.items)
    return JSONResponse({"items": _shown(who, [render_draft(d, channel.code, available) for d in page.items]),
                         "next_cursor": page.next_cursor})


@router.get(DRAFT, response_model=DraftOut)
def get_draft(code: str, draft_id: str, who: Principal = Depends(require("orders:read")),
              c: Container = Depends(container)) -> JSONResponse:
    channel = _channel(c, who, code)
    with c.reader() as uow:
        draft = drafts.load_draft(uow, draft_id, channel.id)
    return JSONResponse(_render(c, channel, who)(draft))


@router.patch(DRAFT, response_model=DraftOut)
def update_draft(code: str, draft_id: str, body: DraftPatch, who: Principal = Depends(require("orders:create")),
                 c: Container = Depends(container)) -> JSONResponse:
    """Change a draft while it is a draft: the fields sent replace the stored ones (lines as a whole)."""
    channel = _channel(c, who, code)
    with c.reader() as uow:
        currency = drafts.load_draft(uow, draft_id, channel.id).data["currency"]
    draft = handlers.update_draft(c, draft_id, channel, body.changes(currency))
    return JSONResponse(_render(c, channel, who)(draft))


@router.delete(DRAFT, response_model=DraftOut)
def discard_draft(code: str, draft_id: str, who: Principal = Depends(require("orders:create")),
                  c: Container = Depends(container)) -> JSONResponse:
    """Discard a draft (kept, with status `discarded`). A confirmed draft cannot be discarded: 409."""
    channel = _channel(c, who, code)
    return JSONResponse(_render(c, channel, who)(handlers.discard_draft(c, draft_id, channel)))


@router.post(DRAFT + "/confirm", response_model=OrderOut, status_code=201, responses={200: {"model": OrderOut}})
async def confirm_draft(code: str, draft_id: str, request: Request,
                        who: Principal = Depends(require("orders:create")),
                        c: Container = Depends(container)) -> JSONResponse:
    """Place the draft as an order (201), allocating now. Again: 200 with the same order.
    Short of stock: 409 `insufficient_stock` naming the short lines, and the draft stays a draft."""
    channel = await run_in_threadpool(_channel, c, who, code)
    render = render_order if may_read(who) else (lambda order: pii.mask_order(render_order(order)))
    idem = await idempotency_for(request, who, render)
    result = await run_in_threadpool(lambda: handlers.confirm_draft(c, draft_id, channel, actor=who.actor,
                                                                    idempotency=idem))
    if isinstance(result, handlers.Confirmed):
        return respond(result.order, render, 201 if result.created else 200, idem)
    return respond(result, render, 201, idem)


class PastCustomerOut(BaseModel):
    name: str
    email: str
    phone: str
    billing_address: dict[str, Any] | None
    shipping_address: dict[str, Any] | None
    order_count: int
    last_order_id: str
    last_order_at: datetime


@router.get("/{code}/customers", response_model=list[PastCustomerOut])
def lookup_customers(code: str, q: Annotated[str, Query(min_length=1, max_length=200,
                                                        description="e-mail, phone number, or part of a name")],
                     limit: Annotated[int, Query(ge=1, le=50)] = 10,
                     who: Principal = Depends(require("orders:create")),
                     c: Container = Depends(container)) -> list[PastCustomerOut]:
    """Past customers (from past orders) with their last addresses, for taking an order by phone.
    Staff search every channel's orders; a channel key only its own channel's."""
    channel = _channel(c, who, code)
    scope = channel.id if who.role == Role.CHANNEL else None
    with c.reader() as uow:
        found = find_customers(uow, q, limit=limit, channel_id=scope)
    customers = [{k: getattr(p, k) for k in PastCustomerOut.model_fields} for p in found]
    if may_read(who):
        log_read(who, "customer lookup", [p.last_order_id for p in found])
    else:
        customers = [_masked(p) for p in customers]
    return [PastCustomerOut(**p) for p in customers]


def _masked(customer: dict[str, Any]) -> dict[str, Any]:
    return {**customer, **pii.mask_customer(customer),
            "billing_address": pii.mask_address(customer["billing_address"]),
            "shipping_address": pii.mask_address(customer["shipping_address"])}
