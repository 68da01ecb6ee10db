"""Read models for the API and the CLI: payments with their attempts, and an order's money at a glance.

The financial view is computed from the order's lines (`billing.financials`) and its payments'
attempts, never stored, so it cannot drift from either. Credit notes tell what the lines alone
cannot: refunds without units (goodwill), shipping given back with a return, restocking fees kept.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from conveyor.billing import service as billing
from conveyor.billing.export import PayoutMovement
from conveyor.billing.financials import Adjustments, FinancialView, financial_view
from conveyor.billing.order_money import order_money
from conveyor.orders import service as orders
from conveyor.payments import attempts as records
from conveyor.payments import service
from conveyor.payments.model import Payment, PaymentAttemptRow
from conveyor.shared.clock import as_utc
from conveyor.shared.money import format_minor
from conveyor.shared.uow import UnitOfWork


def order_financials(uow: UnitOfWork, order_id: str, scope_channel_id: str | None = None,
                     now: datetime | None = None) -> FinancialView:
    order = orders.get_order(uow, order_id, scope_channel_id)
    paid = service.order_paid(uow, order.id, now)
    notes = billing.order_credit_notes(uow, order.id)
    adjustments = Adjustments(
        restocking_fees=sum(n.restocking_fee_minor for n in notes if n.cause == "return"),
        shipping_refunded=sum(n.shipping_minor for n in notes if n.cause == "return"),
        goodwill=sum(n.total_minor for n in notes if n.cause == "manual"))
    return financial_view(order_money(order), captured=paid.captured, refunded=paid.refunded, adjustments=adjustments)


def render_financials(view: FinancialView) -> dict[str, Any]:
    money = {name: format_minor(getattr(view, name), view.currency)
             for name in ("subtotal", "discounts", "tax", "shipping", "ordered", "cancelled", "returned", "net",
                          "captured", "refunded", "paid", "due")}
    lines = [{key: (value if key == "line_id" else format_minor(value, view.currency))
              for key, value in asdict(line).items()} for line in view.lines]
    return {"currency": view.currency, **money, "lines": lines}


def _amount(minor: int | None, currency: str) -> str | None:
    return None if minor is None else format_minor(minor, currency)


def render_attempt(row: PaymentAttemptRow) -> dict[str, Any]:
    return {"id": row.id, "operation": row.operation, "outcome": row.outcome or "in_flight",
            "amount": _amount(row.amount_minor, row.currency),
            "moved": _amount(row.moved_minor, row.currency), "final": row.final,
            "idempotency_key": row.idempotency_key, "provider_reference": row.provider_reference,
            "transaction_reference": row.transaction_reference, "error_code": row.error_code,
            "message": row.message, "retryable": row.retryable, "tries": row.tries, "actor": row.actor,
            "reason": row.reason, "cause": row.cause, "cause_id": row.cause_id,
            "authorization_expires_at": _iso(row.authorization_expires_at),
            "attempted_at": _iso(row.attempted_at), "completed_at": _iso(row.completed_at)}


def render_payment(uow: UnitOfWork, payment: Payment, with_attempts: bool = True,
                   raw: bool = False) -> dict[str, Any]:
    totals = records.totals_of(uow, payment)
    cur = payment.currency
    body: dict[str, Any] = {
        "id": payment.id, "order_id": payment.order_id, "provider": payment.provider, "method": payment.method,
        "status": payment.status, "currency": cur, "amount": _amount(payment.amount_minor, cur),
        "authorized": _amount(totals.authorized, cur), "captured": _amount(totals.captured, cur),
        "refunded": _amount(totals.refunded, cur), "released": _amount(totals.released, cur),
        "capturable": _amount(totals.capturable, cur), "refundable": _amount(totals.refundable, cur),
        "provider_reference": payment.provider_reference,
        "authorization_expires_at": _iso(payment.authorization_expires_at),
        "replaced_by": payment.replaced_by, "attention": payment.attention or None,
        "created_at": _iso(payment.created_at)}
    if with_attempts:
        attempts = []
        for row in records.attempt_rows(uow, payment.id):
            rendered = render_attempt(row)
            if raw:
                rendered["raw"], rendered["history"] = row.raw, row.history
            attempts.append(rendered)
        body["attempts"] = attempts
    return body


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


def payout_movements(uow: UnitOfWork, start: datetime, end: datetime) -> list[PayoutMovement]:
    """Money each provider moved in [start, end): captures (and charges) in, refunds out. Fees are
    not known to Conveyor (the provider's balance report has them) and count as zero."""
    rows = uow.session.execute(
        select(Payment.provider, PaymentAttemptRow.currency, PaymentAttemptRow.operation,
               PaymentAttemptRow.moved_minor, PaymentAttemptRow.id)
        .join(Payment, Payment.id == PaymentAttemptRow.payment_id)
        .where(PaymentAttemptRow.outcome == "succeeded", PaymentAttemptRow.completed_at >= start,
               PaymentAttemptRow.completed_at < end,
               PaymentAttemptRow.operation.in_(("capture", "charge", "refund")))
        .order_by(PaymentAttemptRow.id))
    return [PayoutMovement(provider, currency, "refund" if operation == "refund" else "capture", moved, attempt_id)
            for provider, currency, operation, moved, attempt_id in rows]
