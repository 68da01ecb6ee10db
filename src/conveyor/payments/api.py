"""Payment endpoints: an order's payments and money, take a payment, capture, void, mark paid, refund.

Every POST that moves money accepts an `Idempotency-Key`: the first answer is stored and replayed,
and the key (scoped to the payment or order) is also the one the provider sees, so a retry after a
lost answer can never move money twice. Without the header every request is a new operation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.schemas import Amount, ShortText, Strict
from conveyor.auth.roles import Role
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.orders import service as orders
from conveyor.payments import gateways, handlers, service, views
from conveyor.payments.gateway import PaymentSource
from conveyor.payments.service import RefundOutcome
from conveyor.shared import ids
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.money import format_minor, to_minor

router = APIRouter(tags=["payments"])
READ, WRITE = require("payments:read"), require("payments:write")
Token = Annotated[str, Field(max_length=200)]


def scope(who: Principal) -> str | None:
    return who.channel_id if who.role == Role.CHANNEL else None


class PaymentIn(Strict):
    provider: Annotated[str, Field(pattern=r"^[a-z_]{2,30}$", examples=["test", "manual", "stripe"])]
    method: Annotated[str, Field(pattern=r"^[a-z_]{2,30}$", examples=["card", "cash", "bank_transfer"])] = "card"
    token: Token = Field("", description="What the provider needs: a test card number, a Stripe PaymentMethod id")
    customer: Token = ""
    amount: Amount | None = Field(None, description="Default: what the order still owes")
    charge: bool = Field(False, description="Capture at once (cash at the counter, charge at placement)")
    reason: ShortText = ""


class CaptureIn(Strict):
    amount: Amount
    final: bool = Field(False, description="Release whatever stays uncaptured")


class VoidIn(Strict):
    reason: ShortText = ""


class RefundIn(Strict):
    amount: Amount
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    payment_id: Annotated[str, Field(max_length=40)] | None = Field(None, description="Default: oldest first")


def _key(request: Request, prefix: str) -> str:
    """The provider's idempotency key: the request's Idempotency-Key, or a fresh one."""
    return request.headers.get("Idempotency-Key") or f"{prefix}-{ids.new_id('request')}"


def _render_done(done: handlers.Done) -> dict[str, Any]:
    return done.body


def _render_refund(outcome: RefundOutcome) -> dict[str, Any]:
    return {"status": outcome.status, "refunded": format_minor(outcome.refunded_minor, outcome.currency),
            "currency": outcome.currency, "credit_note_id": outcome.credit_note_id,
            "attempt_ids": list(outcome.attempt_ids), "message": outcome.message}


def _status(result: object) -> int:
    """201 when the money moved or is on its way; 402 when the provider said no (the attempt is recorded)."""
    return 402 if handlers.refused(result) else 201


# --- reading --------------------------------------------------------------------------------------------

@router.get("/orders/{order_id}/payments")
def order_payments(order_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        orders.get_order(uow, order_id, scope(who))
        return {"items": [views.render_payment(uow, p) for p in service.order_payments(uow, order_id)]}


@router.get("/orders/{order_id}/financials")
def order_financials(order_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    """Ordered, cancelled, returned, net, captured, refunded, paid and due — from the order's lines."""
    with c.reader() as uow:
        return views.render_financials(views.order_financials(uow, order_id, scope(who)))


@router.get("/payments/{payment_id}")
def get_payment(payment_id: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    """A payment and every attempt, with the provider's raw responses."""
    with c.reader() as uow:
        payment = service.get_payment(uow, payment_id)
        orders.get_order(uow, payment.order_id, scope(who))
        return views.render_payment(uow, payment, raw=True)


@router.get("/payment-providers")
def payment_providers(who: Principal = Depends(READ)) -> dict:
    return {"items": gateways.providers()}


# --- moving money ---------------------------------------------------------------------------------------

@router.post("/orders/{order_id}/payments", status_code=201, responses={402: {"description": "declined"}})
async def take_payment(order_id: str, body: PaymentIn, request: Request, who: Principal = Depends(WRITE),
                       c: Container = Depends(container)) -> JSONResponse:
    """Authorize (or with `charge`, take) a payment for the order: a card through `test` or `stripe`,
    or cash and bank transfers through `manual` (authorize = expected, capture = received)."""
    idem = await idempotency_for(request, who, _render_done)
    key = _key(request, "pay")

    def work() -> JSONResponse:
        with c.reader() as uow:
            order = orders.get_order(uow, order_id, scope(who))
            owed = order.total_minor - service.order_paid(uow, order.id).captured
            amount = to_minor(body.amount, order.currency) if body.amount is not None else owed
        result = handlers.authorize(c, order_id, provider=body.provider,
                                    source=PaymentSource(body.method, body.token, body.customer), amount_minor=amount,
                                    idempotency_key=key, actor=who.actor, charge=body.charge, reason=body.reason,
                                    idempotency=idem)
        return respond(result, _render_done, _status(result), idem)

    return await run_in_threadpool(work)


@router.post("/payments/{payment_id}/capture", status_code=201, responses={402: {"description": "refused"}})
async def capture(payment_id: str, body: CaptureIn, request: Request, who: Principal = Depends(WRITE),
                  c: Container = Depends(container)) -> JSONResponse:
    """Capture part or all of an authorization (`final` releases the rest)."""
    return await _move(request, who, c, lambda key, idem, amount: handlers.capture(
        c, payment_id, amount_minor=amount, idempotency_key=key, actor=who.actor, final=body.final,
        idempotency=idem), payment_id, body.amount, "cap")


@router.post("/payments/{payment_id}/mark-paid", status_code=201)
async def mark_paid(payment_id: str, body: CaptureIn, request: Request, who: Principal = Depends(WRITE),
                    c: Container = Depends(container)) -> JSONResponse:
    """Staff received money for a `manual` payment (cash counted, transfer on the bank statement)."""
    with c.reader() as uow:
        if service.get_payment(uow, payment_id).provider != "manual":
            raise DomainError(ErrorCode.PAYMENT_STATE, "only manual payments are marked paid; capture the others")
    return await capture(payment_id, body, request, who, c)


@router.post("/payments/{payment_id}/void", status_code=201, responses={402: {"description": "refused"}})
async def void(payment_id: str, body: VoidIn, request: Request, who: Principal = Depends(WRITE),
               c: Container = Depends(container)) -> JSONResponse:
    """Release what the authorization still holds."""
    return await _move(request, who, c, lambda key, idem, amount: handlers.void(
        c, payment_id, idempotency_key=key, actor=who.actor, reason=body.reason, idempotency=idem),
        payment_id, None, "void")


async def _move(request: Request, who: Principal, c: Container, act: Any, payment_id: str, amount: str | None,
                prefix: str) -> JSONResponse:
    idem = await idempotency_for(request, who, _render_done)
    key = _key(request, prefix)

    def work() -> JSONResponse:
        with c.reader() as uow:
            payment = service.get_payment(uow, payment_id)
            orders.get_order(uow, payment.order_id, scope(who))
            minor = to_minor(amount, payment.currency) if amount is not None else 0
        result = act(key, idem, minor)
        return respond(result, _render_done, _status(result), idem)

    return await run_in_threadpool(work)


@router.post("/orders/{order_id}/refunds", status_code=201, responses={402: {"description": "refused"}})
async def refund(order_id: str, body: RefundIn, request: Request, who: Principal = Depends(WRITE),
                 c: Container = Depends(container)) -> JSONResponse:
    """Give money back through the original payment(s), never more than was captured; a credit note
    is issued for it. 409 `refund_exceeds_captured` when more is asked."""
    idem = await idempotency_for(request, who, _render_refund)
    key = _key(request, "refund")

    def work() -> JSONResponse:
        with c.reader() as uow:
            order = orders.get_order(uow, order_id, scope(who))
            amount = to_minor(body.amount, order.currency)
        result = handlers.refund_order(c, order_id, amount_minor=amount, reason=body.reason, idempotency_key=key,
                                       actor=who.actor, payment_id=body.payment_id, idempotency=idem)
        return respond(result, _render_refund, _status(result), idem)

    return await run_in_threadpool(work)

