"""An order's money on its page: the financial view, payments with their attempts, invoices and
credit notes (their PDFs), the refund action — and the order's returns with what may still come back.

Everything is read through the same functions as the API (`payments.views`, `billing.service`,
`returns.service`); the refund is `payments.handlers.refund_order`, one transaction."""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from conveyor.billing import service as billing
from conveyor.billing.api import render_document
from conveyor.billing.documents import render_pdf
from conveyor.billing.model import CreditNote, Invoice
from conveyor.bootstrap import Container
from conveyor.orders.service import get_order
from conveyor.payments import handlers as payment_handlers
from conveyor.payments import service as payments
from conveyor.payments import views as payment_views
from conveyor.returns import handlers as return_handlers
from conveyor.returns import service as returns
from conveyor.returns.api import return_out
from conveyor.returns.policy import ReturnReason
from conveyor.shared.errors import DomainError, ValidationFailed
from conveyor.shared.money import format_minor, to_minor
from conveyor.shared.uow import UnitOfWork
from conveyor.web.session import Posted, Viewer, allowed, container_of, posted
from conveyor.web.templating import redirect

router = APIRouter(include_in_schema=False)
PDF = "application/pdf"
# The refund form carries a key made when the page was drawn: a double click (or a resent form)
# replays the first refund instead of paying twice (payments.service.refund_order).
REFUND_KEY = re.compile(r"^dash-[A-Za-z0-9_-]{16,60}$")


def panel(c: Container, order_id: str, who: Viewer) -> dict[str, Any]:
    """What the order page shows of money and returns, limited to what the viewer's role may read."""
    found: dict[str, Any] = {"money": None, "order_returns": None, "returnable": []}
    with c.reader() as uow:
        if who.can("payments:read"):
            found["money"] = _money(uow, order_id, who)
        if who.can("returns:read"):
            found["order_returns"] = [return_out(r) for r in returns.returns_of_order(uow, order_id)]
        if who.can("returns:write"):
            found["returnable"] = _returnable(uow, order_id)
    found["return_reasons"] = [r.value for r in ReturnReason]
    return found


def _money(uow: UnitOfWork, order_id: str, who: Viewer) -> dict[str, Any]:
    documents: list[dict[str, Any]] = []
    if who.can("billing:read"):
        records: list[Invoice | CreditNote] = [*billing.order_invoices(uow, order_id),
                                               *billing.order_credit_notes(uow, order_id)]
        documents = [_document(record) for record in records]
    return {"financials": payment_views.render_financials(payment_views.order_financials(uow, order_id)),
            "payments": [payment_views.render_payment(uow, p) for p in payments.order_payments(uow, order_id)],
            "documents": documents, "refund_key": f"dash-{secrets.token_urlsafe(18)}"}


def _document(record: Invoice | CreditNote) -> dict[str, Any]:
    """The API's rendering, with the PDF link the dashboard's session can open."""
    body = render_document(record, with_lines=False)
    body["pdf"] = f"/billing/{'invoices' if body['kind'] == 'invoice' else 'credit-notes'}/{record.id}.pdf"
    return body


def _returnable(uow: UnitOfWork, order_id: str) -> list[dict[str, Any]]:
    """The order's shipped lines with units that may still be returned (the customer's link shows the same)."""
    order = get_order(uow, order_id)
    summary = returns.returnable_summary(uow, order_id, return_handlers.settings_for(uow, order.channel_id))
    return [line for line in summary["lines"] if line["returnable"] > 0]


@router.post("/orders/{order_id}/refund")
async def refund(order_id: str, request: Request, p: Posted = Depends(posted("payments:write"))) -> Response:
    """Give money back through the order's original payments; the outcome is shown as it came."""
    who, form = p
    to = f"/orders/{order_id}"
    reason = form.get("reason", "").strip()[:500]
    key = form.get("refund_key", "")
    if not reason:
        return redirect(request, to, "A refund needs a reason.", "error")
    if not REFUND_KEY.match(key):
        return redirect(request, to, "The refund form is out of date: reload the page and try again.", "error")
    c = container_of(request)

    def work() -> str:
        with c.reader() as uow:
            currency = get_order(uow, order_id).currency
        amount = to_minor(form.get("amount", "").strip(), currency)
        if amount <= 0:
            raise ValidationFailed("the refund amount must be more than zero", field="amount")
        outcome = payment_handlers.refund_order(c, order_id, amount_minor=amount, reason=reason,
                                                idempotency_key=key, actor=who.actor)
        if not isinstance(outcome, payments.RefundOutcome):  # a replay never happens without `idempotency`
            return "Refund recorded."
        said = f" ({outcome.message})" if outcome.message else ""
        return f"Refund {outcome.status}: {format_minor(outcome.refunded_minor, outcome.currency)} " \
               f"{outcome.currency}{said}."

    try:
        message = await run_in_threadpool(work)
    except DomainError as exc:
        return redirect(request, to, exc.detail, "error")
    failed = message.startswith(("Refund declined", "Refund failed"))
    return redirect(request, to, message, "error" if failed else "ok")


def _pdf(record: Invoice | CreditNote) -> Response:
    return Response(render_pdf(billing.document_of(record)), media_type=PDF,
                    headers={"Content-Disposition": f'inline; filename="{record.number}.pdf"'})


@router.get("/billing/invoices/{invoice_id}.pdf")
async def invoice_pdf(invoice_id: str, request: Request, _: Viewer = Depends(allowed("billing:read"))) -> Response:
    c = container_of(request)

    def read() -> Response:
        with c.reader() as uow:
            return _pdf(billing.get_invoice(uow, invoice_id))

    return await run_in_threadpool(read)


@router.get("/billing/credit-notes/{credit_note_id}.pdf")
async def credit_note_pdf(credit_note_id: str, request: Request,
                          _: Viewer = Depends(allowed("billing:read"))) -> Response:
    c = container_of(request)

    def read() -> Response:
        with c.reader() as uow:
            return _pdf(billing.get_credit_note(uow, credit_note_id))

    return await run_in_threadpool(read)
