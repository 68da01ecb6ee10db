"""Return (RMA) endpoints for staff, and the customer's signed return link.

Staff: open a return for an order, approve / reject / cancel it, buy its label, receive and grade
it (stock moves), resolve it (money). The customer: `GET /return-links/{token}` shows what can be
returned and `POST /return-links/{token}/returns` asks for it — no API key, the signed token is
the proof (it names the order and expires; see returns/links.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.schemas import Code, Currency, PageOut, Strict
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.returns import handlers, resolution, service
from conveyor.returns.grading import Grade
from conveyor.returns.model import Return
from conveyor.returns.policy import ReturnReason
from conveyor.returns.refunds import Resolution
from conveyor.returns.service import Grading, ReturnItem
from conveyor.shared.errors import NotFound
from conveyor.shared.money import format_minor

router = APIRouter(tags=["returns"])

Qty = Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
Count = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
Note = Annotated[str, Field(max_length=2000)]
Id = Annotated[str, Field(min_length=1, max_length=40)]
Token = Annotated[str, Field(min_length=1, max_length=500)]


class ReturnItemIn(Strict):
    line: Annotated[str, Field(min_length=1, max_length=40, description="the order line's id or number")]
    quantity: Qty
    reason: ReturnReason
    component_sku: Code | None = Field(None, description="return only this part of a kit line")
    note: Note = ""
    outcome: Resolution = Resolution.REFUND
    exchange_sku: Code | None = Field(None, description="exchange: the replacement SKU (default: the same)")
    exchange_quantity: Qty | None = None


class CustomerReturnIn(Strict):
    items: Annotated[list[ReturnItemIn], Field(min_length=1, max_length=200)]
    note: Note = ""


class ReturnIn(CustomerReturnIn):
    source: Literal["staff", "in_store"] = "staff"
    location: Code | None = Field(None, description="where it will be received (required in store)")
    waive_policy: bool = Field(False, description="waive the window, non-returnable SKUs and final sale")


class ReasonIn(Strict):
    reason: Annotated[str, Field(max_length=500)] = ""


class LabelIn(Strict):
    location: Code | None = None
    carrier: Annotated[str, Field(max_length=50)] | None = None
    service: Annotated[str, Field(max_length=50)] | None = None


class ReceiveIn(Strict):
    location: Code
    received: dict[Id, Count] | None = Field(None, description="units per return line; default: all approved")


class GradeIn(Strict):
    line_id: Id
    grade: Grade
    quantity: Qty
    note: Note = ""


class GradingIn(Strict):
    grades: Annotated[list[GradeIn], Field(max_length=1000)]
    resolve: bool = Field(True, description="work out the money right away")
    include_shipping: bool | None = Field(None, description="refund the shipping charge (default: the policy)")


class ResolveIn(Strict):
    include_shipping: bool | None = None


class LinkIn(Strict):
    days: Annotated[int, Field(ge=1, le=365, strict=True)] = 30


class ReturnOut(BaseModel):
    id: str
    number: str
    order_id: str
    status: str
    source: str
    currency: str
    lines: list[dict[str, Any]]
    money: dict[str, Any]
    label: dict[str, Any] | None
    exchange_order_id: str | None
    location_id: str | None
    return_by: date | None
    waived: list[str]
    note: str
    created_at: datetime
    approved_at: datetime | None
    received_at: datetime | None
    resolved_at: datetime | None


def _money(minor: int, currency: str) -> str:
    return format_minor(minor, currency)


def return_out(ret: Return) -> ReturnOut:
    cur = ret.currency
    lines = [{"id": rl.id, "order_line_id": rl.order_line_id, "line_no": rl.line_no, "sku": rl.sku_code,
              "name": rl.name, "kit_part": rl.kit_part, "reason": rl.reason, "note": rl.note,
              "requested": rl.requested, "approved": rl.approved, "received": rl.received,
              "grades": {g.value: getattr(rl, g.value) for g in Grade}, "outcome": rl.outcome,
              "exchange_sku": rl.exchange_sku, "exchange_quantity": rl.exchange_quantity,
              "refundable_units": rl.refundable_units, "amount": _money(rl.amount_minor, cur),
              "restocking_fee": _money(rl.fee_minor, cur), "tax": _money(rl.tax_minor, cur)} for rl in ret.lines]
    money = {"goods": _money(ret.goods_minor, cur), "restocking_fee": _money(ret.restocking_fee_minor, cur),
             "shipping": _money(ret.shipping_refund_minor, cur), "store_credit": _money(ret.store_credit_minor, cur),
             "exchange_credit": _money(ret.exchange_credit_minor, cur),
             "exchange_charge": _money(ret.exchange_charge_minor, cur),
             "refund_due": _money(ret.refund_due_minor, cur), "refunded": _money(ret.refunded_minor, cur),
             "refund_status": ret.refund_status}
    label = None if not ret.tracking_number else {
        "carrier": ret.label_carrier, "service": ret.label_service, "tracking_number": ret.tracking_number,
        "cost": _money(ret.label_cost_minor, cur), "url": f"/api/v1/returns/{ret.id}/label"}
    return ReturnOut(id=ret.id, number=ret.number, order_id=ret.order_id, status=ret.status, source=ret.source,
                     currency=cur, lines=lines, money=money, label=label, exchange_order_id=ret.exchange_order_id,
                     location_id=ret.location_id, return_by=ret.return_by, waived=list(ret.waived or []),
                     note=ret.note, created_at=ret.created_at, approved_at=ret.approved_at,
                     received_at=ret.received_at, resolved_at=ret.resolved_at)


def _items(body: CustomerReturnIn) -> list[ReturnItem]:
    return [ReturnItem(i.line, i.quantity, i.reason.value, i.component_sku, i.note, i.outcome.value, i.exchange_sku,
                       i.exchange_quantity) for i in body.items]


# --- staff ---------------------------------------------------------------------------------------------

@router.post("/orders/{order_id}/returns", response_model=ReturnOut, status_code=201)
async def create_return(order_id: str, body: ReturnIn, request: Request,
                        who: Principal = Depends(require("returns:write")),
                        c: Container = Depends(container)) -> JSONResponse:
    idem = await idempotency_for(request, who, return_out)
    result = await run_in_threadpool(lambda: handlers.request_return(
        c, order_id, _items(body), actor=who.actor, source=body.source, staff_override=body.waive_policy,
        location=body.location, note=body.note, idempotency=idem))
    return respond(result, return_out, 201, idem)


@router.get("/orders/{order_id}/returns", response_model=list[ReturnOut])
def order_returns(order_id: str, _: Principal = Depends(require("returns:read")),
                  c: Container = Depends(container)) -> list[ReturnOut]:
    with c.reader() as uow:
        from conveyor.orders.service import get_order

        get_order(uow, order_id)
        return [return_out(r) for r in service.returns_of_order(uow, order_id)]


@router.get("/returns", response_model=PageOut[ReturnOut])
def list_returns(_: Principal = Depends(require("returns:read")), c: Container = Depends(container),
                 status: Annotated[str, Query(max_length=20)] | None = None,
                 order_id: Annotated[str, Query(max_length=40)] | None = None,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> PageOut:
    with c.reader() as uow:
        page = service.list_returns(uow, limit=limit, cursor=cursor, order_id=order_id, status=status)
        return PageOut(items=[return_out(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/returns/{return_id}", response_model=ReturnOut)
def get_return(return_id: str, _: Principal = Depends(require("returns:read")),
               c: Container = Depends(container)) -> ReturnOut:
    with c.reader() as uow:
        return return_out(service.get_return(uow, return_id))


@router.get("/returns/{return_id}/label", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def get_label(return_id: str, _: Principal = Depends(require("returns:read")),
              c: Container = Depends(container)) -> Response:
    with c.reader() as uow:
        ret = service.get_return(uow, return_id)
        if not ret.label_pdf:
            raise NotFound("return label", return_id)
        return Response(ret.label_pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{ret.number}-label.pdf"'})


@router.post("/returns/{return_id}/approve", response_model=ReturnOut)
def approve(return_id: str, who: Principal = Depends(require("returns:write")),
            c: Container = Depends(container)) -> ReturnOut:
    return return_out(handlers.approve_return(c, return_id, who.actor))


@router.post("/returns/{return_id}/reject", response_model=ReturnOut)
def reject(return_id: str, body: ReasonIn, who: Principal = Depends(require("returns:write")),
           c: Container = Depends(container)) -> ReturnOut:
    return return_out(handlers.reject_return(c, return_id, body.reason, who.actor))


@router.post("/returns/{return_id}/cancel", response_model=ReturnOut)
def cancel(return_id: str, body: ReasonIn, who: Principal = Depends(require("returns:write")),
           c: Container = Depends(container)) -> ReturnOut:
    return return_out(handlers.cancel_return(c, return_id, body.reason, who.actor))


@router.post("/returns/{return_id}/label", response_model=ReturnOut)
def buy_label(return_id: str, body: LabelIn, who: Principal = Depends(require("returns:write")),
              c: Container = Depends(container)) -> ReturnOut:
    return return_out(handlers.create_label(c, return_id, who.actor, location=body.location, carrier=body.carrier,
                                            service_code=body.service))


@router.post("/returns/{return_id}/receive", response_model=ReturnOut)
def receive(return_id: str, body: ReceiveIn, who: Principal = Depends(require("returns:receive")),
            c: Container = Depends(container)) -> ReturnOut:
    return return_out(handlers.receive_return(c, return_id, body.location, who.actor, body.received))


@router.post("/returns/{return_id}/grade", response_model=ReturnOut)
def grade(return_id: str, body: GradingIn, who: Principal = Depends(require("returns:receive")),
          c: Container = Depends(container)) -> ReturnOut:
    grades = [Grading(g.line_id, g.grade.value, g.quantity, g.note) for g in body.grades]
    return return_out(handlers.grade_return(c, return_id, grades, who.actor, resolve=body.resolve,
                                            include_shipping=body.include_shipping))


@router.post("/returns/{return_id}/resolve", response_model=ReturnOut)
def resolve(return_id: str, body: ResolveIn, who: Principal = Depends(require("returns:write")),
            c: Container = Depends(container)) -> ReturnOut:
    return return_out(handlers.resolve_return(c, return_id, who.actor, include_shipping=body.include_shipping))


@router.post("/returns/{return_id}/refund", response_model=ReturnOut)
def refund(return_id: str, who: Principal = Depends(require("returns:write")),
           c: Container = Depends(container)) -> ReturnOut:
    """Send again what a resolved return still owes to the original payment (a declined, failed or
    lost refund), with the same idempotency key: never paid twice."""
    return return_out(handlers.refund_return(c, return_id, who.actor))


@router.post("/orders/{order_id}/return-link", status_code=201)
def create_link(order_id: str, body: LinkIn, _: Principal = Depends(require("returns:write")),
                c: Container = Depends(container)) -> dict[str, Any]:
    link = handlers.return_link(c, order_id, body.days)
    return {"order_id": order_id, "token": link.token, "path": f"/api/v1/return-links/{link.token}",
            "expires_at": link.expires_at.isoformat()}


@router.get("/customers/{email}/store-credit")
def store_credit(email: str, currency: Currency = "USD",
                 _: Principal = Depends(require("returns:read")), c: Container = Depends(container)) -> dict[str, Any]:
    with c.reader() as uow:
        balance = resolution.store_credit_balance(uow, email, currency)
        entries = resolution.store_credit_entries(uow, email)
    return {"customer": email.strip().lower(), "currency": currency, "balance": format_minor(balance, currency),
            "entries": [{"id": e.id, "amount": format_minor(e.amount_minor, e.currency), "currency": e.currency,
                         "reason": e.reason, "return_id": e.return_id, "order_id": e.order_id,
                         "created_at": e.created_at.isoformat()} for e in entries]}


# --- the customer's signed link (no API key) --------------------------------------------------------------

@router.get("/return-links/{token}")
def link_summary(token: Token, c: Container = Depends(container)) -> dict[str, Any]:
    """What the link's order lets the customer return: each shipped line and how many units."""
    order_id = handlers.order_of_link(c, token)
    with c.reader() as uow:
        return service.returnable_summary(uow, order_id, handlers.settings_for(uow, _channel_of(uow, order_id)))


def _channel_of(uow: Any, order_id: str) -> str:
    from conveyor.orders.service import get_order

    return get_order(uow, order_id).channel_id


@router.post("/return-links/{token}/returns", response_model=ReturnOut, status_code=201)
def customer_return(token: Token, body: CustomerReturnIn, c: Container = Depends(container)) -> JSONResponse:
    return respond(handlers.request_by_link(c, token, _items(body), body.note), return_out, 201)
