"""Payment upkeep the worker runs on its schedule (messaging/handlers.py default_jobs):

* `retry_unknown`: an attempt whose outcome is unknown (a timeout) is asked again with the same
  idempotency key, so the provider replays what it did or does it now — never twice. A refund that
  becomes known gets its credit note then.
* `renew_authorization`: an authorization that expires within the channel's
  `renew_authorization_before` while money is still to be captured is re-authorized with the
  saved payment method (a new payment; the old one is voided once the new one holds the money), or
  flagged for staff when there is no reusable method, the channel says `flag`, or the new
  authorization is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from conveyor.orders import service as orders
from conveyor.orders.timeline import EventType
from conveyor.payments import attempts as records
from conveyor.payments import service
from conveyor.payments.attempts import Ask
from conveyor.payments.gateway import AuthorizeRequest, Operation, Outcome, PaymentSource
from conveyor.payments.model import Payment, PaymentAttemptRow
from conveyor.payments.policy import AuthorizationAction, check_authorization
from conveyor.payments.terms import MoneyTerms
from conveyor.shared.money import Money
from conveyor.shared.uow import UnitOfWork

OPEN_STATUSES = ("authorized", "partially_captured")
# Authorizations last at most this long (Stripe's online card holds: 7 days); the job looks this far
# ahead and lets each channel's `renew_authorization_before` decide which are due.
LONGEST_HOLD = timedelta(days=8)


def unknown_attempt_ids(uow: UnitOfWork, limit: int = 100) -> list[str]:
    return list(uow.session.scalars(select(PaymentAttemptRow.id).where(
        PaymentAttemptRow.outcome == Outcome.TIMEOUT.value).order_by(PaymentAttemptRow.id).limit(limit)))


def retry_unknown(uow: UnitOfWork, attempt_id: str, now: datetime | None = None) -> str:
    """Ask the provider again about one attempt, with its own key; returns the outcome now known."""
    row = uow.session.get(PaymentAttemptRow, attempt_id)
    if row is None or row.outcome != Outcome.TIMEOUT.value:
        return row.outcome or "in_flight" if row else "missing"
    order = orders.get_order(uow, row.order_id, for_update=True)
    payment = records.lock_payment(uow, row.payment_id)
    operation, amount, key = Operation(row.operation), Money(row.amount_minor, row.currency), row.idempotency_key
    ask = Ask(operation, amount, key, row.actor, row.cause, row.cause_id, row.reason, row.final, row.detail)
    done = service.attempt(uow, order, payment, ask, now, lambda g: _again(g, payment, row, amount))
    if operation is Operation.REFUND and done.attempt.outcome in ("succeeded", "pending"):
        _credit_refund_when_known(uow, order, row, now)
    return done.outcome


def _again(gateway: Any, payment: Payment, row: PaymentAttemptRow, amount: Money) -> Any:
    key, reference = row.idempotency_key, payment.provider_reference or ""
    operation = Operation(row.operation)
    if operation in (Operation.AUTHORIZE, Operation.CHARGE):
        source = PaymentSource(payment.source.get("kind", payment.method), payment.source.get("token", ""),
                               payment.source.get("customer", ""))
        request = AuthorizeRequest(amount, source, payment.order_id, row.reason)
        opener = gateway.charge if operation is Operation.CHARGE else gateway.authorize
        return opener(request, idempotency_key=key)
    if operation is Operation.CAPTURE:
        return gateway.capture(reference, amount, idempotency_key=key, final=row.final)
    if operation is Operation.VOID:
        return gateway.void(reference, idempotency_key=key)
    return gateway.refund(reference, amount, idempotency_key=key, reason=row.reason)


def _credit_refund_when_known(uow: UnitOfWork, order: Any, row: PaymentAttemptRow, now: datetime | None) -> None:
    """The credit note of a refund is issued once every part of it has a known outcome that moved money."""
    refund_key = row.detail.get("refund_key")
    if not refund_key:
        return
    parts = [r for r in uow.session.scalars(select(PaymentAttemptRow).where(
        PaymentAttemptRow.order_id == order.id, PaymentAttemptRow.operation == "refund"))
        if r.detail.get("refund_key") == refund_key]
    if any(r.outcome in records.UNKNOWN for r in parts):
        return
    moved = sum(r.moved_minor if r.outcome == "succeeded" else r.amount_minor
                for r in parts if r.outcome in ("succeeded", "pending"))
    if moved:
        service.issue_refund_credit_note(uow, order, parts, row.detail, moved, now)


# --- expiring authorizations ----------------------------------------------------------------------------

def expiring_payment_ids(uow: UnitOfWork, before: datetime, limit: int = 100) -> list[str]:
    return list(uow.session.scalars(select(Payment.id).where(
        Payment.status.in_(OPEN_STATUSES), Payment.authorization_expires_at.is_not(None),
        Payment.authorization_expires_at <= before, Payment.replaced_by.is_(None), Payment.attention == "")
        .order_by(Payment.authorization_expires_at).limit(limit)))


def renew_authorization(uow: UnitOfWork, payment_id: str, terms: MoneyTerms, now: datetime) -> str:
    """Re-authorize or flag one expiring authorization; returns what was done."""
    payment = service.get_payment(uow, payment_id)
    order = orders.get_order(uow, payment.order_id, for_update=True)
    payment = records.lock_payment(uow, payment_id)
    totals = records.totals_of(uow, payment, now)
    reusable = bool(payment.source.get("token") or payment.source.get("customer"))
    check = check_authorization(totals, now, terms.policy, can_reauthorize=reusable)
    if check.action is AuthorizationAction.NONE:
        return "none"
    if check.action is AuthorizationAction.REAUTHORIZE:
        source = PaymentSource(payment.source.get("kind", payment.method), payment.source.get("token", ""),
                               payment.source.get("customer", ""), off_session=True)
        renewed = service.open_payment(uow, order_id=order.id, provider=payment.provider, source=source,
                                       amount_minor=check.amount.minor, idempotency_key=f"reauth-{payment.id}",
                                       actor="worker", cause="reauthorization", reason=check.detail, now=now,
                                       hold_on_refusal=False)
        if renewed.succeeded:
            payment.replaced_by = renewed.payment.id
            if totals.held and not totals.expired:
                service.void(uow, payment_id=payment.id, idempotency_key="replaced", actor="worker",
                             cause="reauthorization", reason=f"re-authorized as {renewed.payment.id}", now=now)
            return "reauthorized"
        check = check.__class__(AuthorizationAction.FLAG, check.amount,
                                f"{check.detail}; re-authorizing failed: {renewed.attempt.message}")
    flag(uow, order, payment, check.detail)
    return "flagged"


def flag(uow: UnitOfWork, order: Any, payment: Payment, detail: str) -> None:
    payment.attention = detail[:300]
    orders.announce(uow, order, EventType.PAYMENT_ATTENTION, "worker",
                    {"payment_id": payment.id, "message": detail})

