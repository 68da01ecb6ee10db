"""Payment rows and their attempt records: lock, fold into totals, record a gateway call.

Every gateway call goes through `call`: under the payment's row lock (FOR UPDATE on PostgreSQL;
SQLite writers are serialised by BEGIN IMMEDIATE), the attempt is written *before* the call with no
outcome — so it already counts against what may still be captured or refunded — then the call is
made with the attempt's idempotency key and its answer written to the same row. A key seen before
is not called again unless its outcome is unknown (a timeout, or in flight): then the same key asks
again, and the provider replays what it did or does it now, never twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from conveyor.payments.gateway import GatewayResult, Operation, Outcome, PaymentGateway
from conveyor.payments.model import Payment, PaymentAttemptRow
from conveyor.payments.state import PaymentAttempt, PaymentTotals, payment_totals
from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.errors import NotFound
from conveyor.shared.money import Money
from conveyor.shared.uow import UnitOfWork

UNKNOWN = frozenset({None, Outcome.TIMEOUT.value})  # ask again with the same key
MAX_HISTORY = 10


def lock_payment(uow: UnitOfWork, payment_id: str) -> Payment:
    query = select(Payment).where(Payment.id == payment_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    payment = uow.session.scalar(query.execution_options(populate_existing=True))
    if payment is None:
        raise NotFound("payment", payment_id)
    return payment


def lock_order_payments(uow: UnitOfWork, order_id: str) -> list[Payment]:
    """An order's payments, locked in id order (one fixed order, so two commands never deadlock)."""
    query = select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    return list(uow.session.scalars(query.execution_options(populate_existing=True)))


def attempt_rows(uow: UnitOfWork, payment_id: str) -> list[PaymentAttemptRow]:
    return list(uow.session.scalars(
        select(PaymentAttemptRow).where(PaymentAttemptRow.payment_id == payment_id).order_by(PaymentAttemptRow.id)))


def find_attempt(uow: UnitOfWork, idempotency_key: str) -> PaymentAttemptRow | None:
    return uow.session.scalar(select(PaymentAttemptRow).where(PaymentAttemptRow.idempotency_key == idempotency_key))


def as_attempt(row: PaymentAttemptRow, provider: str) -> PaymentAttempt:
    """A stored row as `payments.state` folds it."""
    asked = Money(row.amount_minor, row.currency)
    result = None
    if row.outcome is not None:
        expires = as_utc(row.authorization_expires_at) if row.authorization_expires_at else None
        result = GatewayResult(Operation(row.operation), Outcome(row.outcome), Money(row.moved_minor, row.currency),
                               provider, provider_reference=row.provider_reference,
                               transaction_reference=row.transaction_reference, error_code=row.error_code,
                               message=row.message, authorization_expires_at=expires, retryable=row.retryable)
    return PaymentAttempt(Operation(row.operation), row.idempotency_key, asked, as_utc(row.attempted_at), result,
                          row.final)


def totals_of(uow: UnitOfWork, payment: Payment, now: datetime | None = None) -> PaymentTotals:
    attempts = [as_attempt(row, payment.provider) for row in attempt_rows(uow, payment.id)]
    return payment_totals(attempts, payment.currency, now)


@dataclass(frozen=True, slots=True)
class Ask:
    """One gateway call to make: what, how much, under which key, and why."""

    operation: Operation
    amount: Money
    idempotency_key: str
    actor: str
    cause: str = "manual"
    cause_id: str | None = None
    reason: str = ""
    final: bool = False
    detail: dict[str, Any] | None = None


def call(uow: UnitOfWork, payment: Payment, gateway: PaymentGateway, ask: Ask,
         perform: Callable[[PaymentGateway], GatewayResult],
         now: datetime | None = None) -> tuple[PaymentAttemptRow, bool]:
    """Record the attempt, make the call (unless its outcome is already known), record the answer.
    Returns the attempt and whether the gateway was called now."""
    row = find_attempt(uow, ask.idempotency_key)
    if row is not None and row.outcome not in UNKNOWN:
        return row, False  # a replay: the answer is already on record
    if row is None:
        row = PaymentAttemptRow(
            id=ids.new_id("payment_attempt"), payment_id=payment.id, order_id=payment.order_id,
            operation=ask.operation.value, amount_minor=ask.amount.minor, moved_minor=0,
            currency=ask.amount.currency, final=ask.final, idempotency_key=ask.idempotency_key, outcome=None,
            message="", retryable=False, raw={}, history=[], tries=0, actor=ask.actor, reason=ask.reason,
            cause=ask.cause, cause_id=ask.cause_id, detail=ask.detail or {}, attempted_at=now or utcnow())
        uow.session.add(row)
        uow.session.flush()  # in flight: it counts against the payment before the money moves
    result = perform(gateway)
    record_result(row, result, now)
    uow.session.flush()
    return row, True


def record_result(row: PaymentAttemptRow, result: GatewayResult, now: datetime | None = None) -> None:
    if row.outcome is not None:  # keep what an earlier try said
        earlier = {"outcome": row.outcome, "error_code": row.error_code, "message": row.message,
                   "at": row.completed_at.isoformat() if row.completed_at else None}
        row.history = [*row.history, earlier][-MAX_HISTORY:]
    row.tries += 1
    row.outcome = result.outcome.value
    row.moved_minor = result.amount.minor if result.succeeded else 0
    row.provider_reference = result.provider_reference or row.provider_reference
    row.transaction_reference = result.transaction_reference
    row.error_code = result.error_code
    row.message = result.message
    row.authorization_expires_at = result.authorization_expires_at
    row.retryable = result.retryable
    row.raw = result.raw
    row.completed_at = now or utcnow()


def refresh(uow: UnitOfWork, payment: Payment, now: datetime | None = None) -> PaymentTotals:
    """Bring the payment row's amounts and status up to date with its attempts."""
    rows = attempt_rows(uow, payment.id)
    totals = payment_totals([as_attempt(row, payment.provider) for row in rows], payment.currency, now)
    payment.authorized_minor, payment.captured_minor = totals.authorized, totals.captured
    payment.refunded_minor, payment.released_minor = totals.refunded, totals.released
    payment.authorization_expires_at = totals.authorization_expires_at
    payment.provider_reference = totals.provider_reference or payment.provider_reference
    payment.status = status_of(totals, rows)
    payment.updated_at = now or utcnow()
    return totals


def status_of(totals: PaymentTotals, rows: list[PaymentAttemptRow]) -> str:
    opening = [r for r in rows if r.operation in (Operation.AUTHORIZE.value, Operation.CHARGE.value)]
    if totals.authorized == 0:
        if totals.authorization_pending:
            return "unknown" if any(r.outcome in UNKNOWN for r in opening) else "pending"
        last = opening[-1].outcome if opening else None
        return last if last in (Outcome.DECLINED.value, Outcome.FAILED.value) else "pending"
    if totals.refunded:
        return "refunded" if totals.refunded >= totals.captured else "partially_refunded"
    if totals.captured:
        return "captured" if totals.held == 0 else "partially_captured"
    if totals.released >= totals.authorized:
        return "voided"
    if totals.expired:
        return "expired"
    return "authorized"
