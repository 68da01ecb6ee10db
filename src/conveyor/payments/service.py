"""Payment operations: open (authorize or charge), capture, void, refund — and `refund_order`, the
one door other areas (returns, cancellations) use to give an order's money back.

Each operation takes a unit of work and never commits. It locks the payment row, checks the amount
against the payment's attempts (`payments/state.py`), records the attempt before calling the
gateway and its answer after (`payments/attempts.py`), then tells the order: a timeline event, and
on a decline the `payment_failed` hold. Locks are taken order first, then its payments in id order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from conveyor.billing import service as billing
from conveyor.messaging.outbox import Topic
from conveyor.orders import service as orders
from conveyor.orders.lifecycle import HOLDABLE
from conveyor.orders.timeline import EventType
from conveyor.payments import attempts as records
from conveyor.payments.attempts import Ask
from conveyor.payments.gateway import AuthorizeRequest, Operation, Outcome, PaymentSource
from conveyor.payments.gateways import open_gateway
from conveyor.payments.model import Payment, PaymentAttemptRow
from conveyor.payments.policy import PAYMENT_FAILED_HOLD, Reaction, react_to
from conveyor.payments.state import PaymentTotals, check_capture, check_refund, check_void
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.money import Money
from conveyor.shared.refunds import RefundedLine
from conveyor.shared.uow import UnitOfWork

EVENTS = {
    Operation.AUTHORIZE: EventType.PAYMENT_AUTHORIZED,
    Operation.CHARGE: EventType.PAYMENT_CAPTURED,
    Operation.CAPTURE: EventType.PAYMENT_CAPTURED,
    Operation.VOID: EventType.PAYMENT_VOIDED,
    Operation.REFUND: EventType.PAYMENT_REFUNDED,
}
MAX_KEY = 200


def scoped_key(*parts: str) -> str:
    """A gateway idempotency key from its parts; hashed when it would be too long to store."""
    key = ":".join(parts)
    if len(key) <= MAX_KEY:
        return key
    return f"{parts[0]}:{hashlib.sha256(key.encode()).hexdigest()}"


# --- reading --------------------------------------------------------------------------------------------

def get_payment(uow: UnitOfWork, payment_id: str) -> Payment:
    payment = uow.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("payment", payment_id)
    return payment


def order_payments(uow: UnitOfWork, order_id: str) -> list[Payment]:
    return list(uow.session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)))


def payment_attempts(uow: UnitOfWork, payment_id: str) -> list[PaymentAttemptRow]:
    return records.attempt_rows(uow, payment_id)


@dataclass(frozen=True, slots=True)
class OrderPaid:
    captured: int
    refunded: int
    capturable: int
    refundable: int


def order_paid(uow: UnitOfWork, order_id: str, now: datetime | None = None) -> OrderPaid:
    """What the order's payments captured, refunded, and can still capture and refund."""
    totals = [records.totals_of(uow, p, now) for p in order_payments(uow, order_id)]
    return OrderPaid(sum(t.captured for t in totals), sum(t.refunded for t in totals),
                     sum(t.capturable for t in totals), sum(t.refundable for t in totals))


# --- opening a payment ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Attempted:
    """What one operation did: the payment after it and the attempt's record."""

    payment: Payment
    attempt: PaymentAttemptRow

    @property
    def outcome(self) -> str:
        return self.attempt.outcome or "in_flight"

    @property
    def succeeded(self) -> bool:
        return self.attempt.outcome == Outcome.SUCCEEDED.value


def open_payment(uow: UnitOfWork, *, order_id: str, provider: str, source: PaymentSource, amount_minor: int,
                 idempotency_key: str, actor: str, charge: bool = False, cause: str = "placement",
                 reason: str = "", now: datetime | None = None, hold_on_refusal: bool = True) -> Attempted:
    """Authorize (or, with `charge`, authorize and capture) `amount_minor` of the order's currency.
    A decline puts the order on hold `payment_failed` (unless `hold_on_refusal` is off: a
    re-authorization's refusal is flagged instead, the order keeps its first payment)."""
    order = orders.get_order(uow, order_id, for_update=True)
    key = scoped_key(order.id, "open", idempotency_key)
    earlier = records.find_attempt(uow, key)
    if earlier is not None:
        payment = records.lock_payment(uow, earlier.payment_id)
    else:
        if amount_minor <= 0:
            raise ValidationFailed("a payment must be for more than zero")
        payment = Payment(id=ids.new_id("payment"), order_id=order.id, provider=provider, method=source.kind,
                          currency=order.currency, amount_minor=amount_minor, status="pending",
                          source=_saved_source(source), attention="", created_at=now or utcnow(),
                          updated_at=now or utcnow())
        open_gateway(uow, provider)  # refuse an unknown provider before anything is written
        uow.session.add(payment)
        uow.session.flush()
    operation = Operation.CHARGE if charge else Operation.AUTHORIZE
    amount = Money(payment.amount_minor, payment.currency)
    request = AuthorizeRequest(amount, source, order.id, reason)
    ask = Ask(operation, amount, key, actor, cause, None, reason)
    return attempt(uow, order, payment, ask, now, lambda g: (g.charge if charge else g.authorize)(
        request, idempotency_key=key), hold_on_refusal)


def _saved_source(source: PaymentSource) -> dict[str, Any]:
    """What asking again (a timeout) and re-authorizing need later: a provider's token (Stripe pm_…,
    the test gateway's test cards). Real card numbers never reach Conveyor: card data stays at the
    provider, which hands out tokens."""
    return {"kind": source.kind, "token": source.token, "customer": source.customer}


# --- capture, void, refund of one payment ---------------------------------------------------------------

def capture(uow: UnitOfWork, *, payment_id: str, amount_minor: int, idempotency_key: str, actor: str,
            final: bool = False, cause: str = "manual", cause_id: str | None = None,
            now: datetime | None = None) -> Attempted:
    payment = get_payment(uow, payment_id)
    order = orders.get_order(uow, payment.order_id, for_update=True)
    payment = records.lock_payment(uow, payment_id)
    key = scoped_key(payment.id, "capture", idempotency_key)
    amount = Money(amount_minor, payment.currency)
    if records.find_attempt(uow, key) is None:
        check_capture(records.totals_of(uow, payment, now), amount, now or utcnow())
    ask = Ask(Operation.CAPTURE, amount, key, actor, cause, cause_id, final=final)
    reference = _reference(payment)
    return attempt(uow, order, payment, ask, now,
                    lambda g: g.capture(reference, amount, idempotency_key=key, final=final))


def void(uow: UnitOfWork, *, payment_id: str, idempotency_key: str, actor: str, cause: str = "manual",
         reason: str = "", now: datetime | None = None) -> Attempted:
    payment = get_payment(uow, payment_id)
    order = orders.get_order(uow, payment.order_id, for_update=True)
    payment = records.lock_payment(uow, payment_id)
    key = scoped_key(payment.id, "void", idempotency_key)
    totals = records.totals_of(uow, payment, now)
    if records.find_attempt(uow, key) is None:
        check_void(totals)
    ask = Ask(Operation.VOID, Money(0, payment.currency), key, actor, cause, None, reason)
    reference = _reference(payment)
    return attempt(uow, order, payment, ask, now, lambda g: g.void(reference, idempotency_key=key))


def _reference(payment: Payment) -> str:
    if not payment.provider_reference:
        raise DomainError(ErrorCode.PAYMENT_STATE, f"payment {payment.id} was never authorized ({payment.status})")
    return payment.provider_reference


def attempt(uow: UnitOfWork, order: Any, payment: Payment, ask: Ask, now: datetime | None,
            perform: Any, hold_on_refusal: bool = True) -> Attempted:
    """Make one gateway call for the payment (recorded before and after) and tell the order."""
    gateway = open_gateway(uow, payment.provider, now)
    row, called = records.call(uow, payment, gateway, ask, perform, now)
    totals = records.refresh(uow, payment, now)
    if called:
        _tell_order(uow, order, payment, row, totals, hold_on_refusal)
    return Attempted(payment, row)


def _tell_order(uow: UnitOfWork, order: Any, payment: Payment, row: PaymentAttemptRow,
                totals: PaymentTotals, hold_on_refusal: bool = True) -> None:
    operation = Operation(row.operation)
    data = {"payment_id": payment.id, "attempt_id": row.id, "provider": payment.provider,
            "operation": row.operation, "outcome": row.outcome, "currency": row.currency,
            "amount_minor": row.moved_minor if row.outcome == Outcome.SUCCEEDED.value else row.amount_minor,
            "error_code": row.error_code, "message": row.message}
    if row.outcome != Outcome.SUCCEEDED.value:
        orders.announce(uow, order, EventType.PAYMENT_FAILED if row.outcome in ("declined", "failed")
                        else EventType.PAYMENT_PENDING, row.actor, data)
        if hold_on_refusal:
            _hold_if_refused(uow, order, row)
        return
    topic = None
    if operation is Operation.REFUND:
        topic = Topic.REFUND_ISSUED
        data["method"] = payment.method
    elif operation in (Operation.CAPTURE, Operation.CHARGE) and _fully_paid(uow, order):
        topic = Topic.ORDER_PAID
    orders.announce(uow, order, EVENTS[operation], row.actor, data, topic)


def _fully_paid(uow: UnitOfWork, order: Any) -> bool:
    return order_paid(uow, order.id).captured >= order.total_minor


def _hold_if_refused(uow: UnitOfWork, order: Any, row: PaymentAttemptRow) -> None:
    """A declined or failed authorization puts the order on hold `payment_failed` (docs/money.md)."""
    if row.operation not in (Operation.AUTHORIZE.value, Operation.CHARGE.value):
        return
    result = records.as_attempt(row, "").result
    if result is None:
        return
    reaction = react_to(result)
    if reaction.reaction is not Reaction.HOLD or order.status not in HOLDABLE:
        return
    orders.hold_order(uow, order.id, f"{PAYMENT_FAILED_HOLD}: {reaction.detail}"[:200], row.actor)


# --- refunds --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RefundOutcome:
    """What `refund_order` did.

    status: succeeded (the money went back), pending (the provider will finish it), unknown (a
    timeout: the worker asks again with the same key), declined / failed (nothing was refunded).
    `refunded_minor` is what went back or is on its way; `credit_note_id` the credit note issued
    for it (None until the money has moved)."""

    status: str
    refunded_minor: int
    credit_note_id: str | None
    currency: str
    attempt_ids: tuple[str, ...] = ()
    message: str = ""


def refund(uow: UnitOfWork, *, payment_id: str, amount_minor: int, idempotency_key: str, actor: str,
           reason: str = "", now: datetime | None = None) -> RefundOutcome:
    """Refund part of one payment (staff choosing the payment); its credit note as `refund_order`'s."""
    payment = get_payment(uow, payment_id)
    return refund_order(uow, order_id=payment.order_id, amount_minor=amount_minor, reason=reason,
                        idempotency_key=idempotency_key, actor=actor, only_payment=payment_id, now=now)


def refund_order(uow: UnitOfWork, *, order_id: str, amount_minor: int, reason: str, idempotency_key: str,
                 actor: str, source: str = "manual", source_id: str | None = None,
                 lines: Sequence[RefundedLine] | None = None, only_payment: str | None = None,
                 now: datetime | None = None) -> RefundOutcome:
    """Give `amount_minor` of the order's money back through its original payments (oldest first),
    never more than was captured and not yet refunded — also when refunds run at the same time: the
    order and its payments are locked, and refunds in flight count as refunded. Raises
    `refund_exceeds_captured` when more is asked. The same `idempotency_key` replays the first
    refund (asking again where its outcome was unknown). Every refund that moved money gets its
    credit note; `lines` (a return's refunded lines) become its lines, the rest of the amount is
    shipping given back."""
    order = orders.get_order(uow, order_id, for_update=True)
    payments = records.lock_order_payments(uow, order.id)
    if only_payment is not None:
        payments = [p for p in payments if p.id == only_payment]
    refund_key = scoped_key(order.id, "refund", idempotency_key)
    detail = _refund_detail(refund_key, amount_minor, reason, source, source_id, lines)
    earlier = _refund_attempts(uow, payments, refund_key)
    if earlier:
        if sum(row.amount_minor for row in earlier) != amount_minor:
            raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED,
                              "this refund key was used for a different amount", key=idempotency_key)
        parts = [(next(p for p in payments if p.id == row.payment_id), row.amount_minor) for row in earlier]
    else:
        parts = _split_refund(uow, payments, Money(amount_minor, order.currency), now)
    rows = []
    for payment, part in parts:
        key = scoped_key(refund_key, payment.id)
        ask = Ask(Operation.REFUND, Money(part, payment.currency), key, actor, source, source_id, reason,
                  detail=detail)
        reference = _reference(payment)
        money = Money(part, payment.currency)
        rows.append(attempt(uow, order, payment, ask, now, lambda g, r=reference, m=money, k=key: g.refund(
            r, m, idempotency_key=k, reason=reason)).attempt)
    return _refund_outcome(uow, order, rows, detail, now)


def _refund_attempts(uow: UnitOfWork, payments: list[Payment], refund_key: str) -> list[PaymentAttemptRow]:
    found = [records.find_attempt(uow, scoped_key(refund_key, p.id)) for p in payments]
    return [row for row in found if row is not None]


def _split_refund(uow: UnitOfWork, payments: list[Payment], amount: Money,
                  now: datetime | None) -> list[tuple[Payment, int]]:
    totals = [records.totals_of(uow, p, now) for p in payments]
    if amount.minor <= 0 or len(payments) == 1:
        check_refund(totals[0] if totals else PaymentTotals(amount.currency), amount)
    refundable = sum(t.refundable for t in totals)
    if amount.minor > refundable:
        pending = sum(t.refund_pending for t in totals)
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_CAPTURED,
            f"cannot refund {amount}: only {Money(refundable, amount.currency)} of the captured "
            f"{Money(sum(t.captured for t in totals), amount.currency)} is left to refund"
            + (f" ({Money(pending, amount.currency)} of refunds still in flight)" if pending else ""),
            requested=amount.amount, refundable=Money(refundable, amount.currency).amount)
    parts, left = [], amount.minor
    for payment, total in zip(payments, totals, strict=True):
        take = min(left, total.refundable)
        if take:
            parts.append((payment, take))
            left -= take
    return parts


def _refund_detail(refund_key: str, amount: int, reason: str, source: str, source_id: str | None,
                   lines: Sequence[RefundedLine] | None) -> dict[str, Any]:
    return {"refund_key": refund_key, "amount": amount, "reason": reason, "source": source, "source_id": source_id,
            "lines": [{"line_id": li.line_id, "sku": li.sku, "quantity": li.quantity, "goods": li.goods,
                       "fee": li.fee, "tax_refunded": li.tax_refunded} for li in (lines or ())]}


def _refund_outcome(uow: UnitOfWork, order: Any, rows: list[PaymentAttemptRow], detail: dict[str, Any],
                    now: datetime | None) -> RefundOutcome:
    outcomes = [row.outcome for row in rows]
    moved = sum(row.moved_minor if row.outcome == "succeeded" else row.amount_minor
                for row in rows if row.outcome in ("succeeded", "pending"))
    if any(o in records.UNKNOWN for o in outcomes):
        status = "unknown"
    elif all(o == "succeeded" for o in outcomes):
        status = "succeeded"
    elif all(o in ("succeeded", "pending") for o in outcomes):
        status = "pending"
    else:
        status = next(o for o in outcomes if o in ("declined", "failed")) or "failed"
    note_id = None
    if status in ("succeeded", "pending") and moved:
        note_id = issue_refund_credit_note(uow, order, rows, detail, moved, now)
    message = "; ".join(row.message for row in rows if row.message)
    return RefundOutcome(status, moved, note_id, order.currency, tuple(row.id for row in rows), message)


def issue_refund_credit_note(uow: UnitOfWork, order: Any, rows: list[PaymentAttemptRow], detail: dict[str, Any],
                             moved: int, now: datetime | None = None) -> str:
    lines = tuple(billing.RefundedLine(**line) for line in detail.get("lines", []))
    provider = get_payment(uow, rows[0].payment_id).provider if rows else ""
    facts = billing.RefundFacts(detail["refund_key"], moved, detail.get("reason", ""), detail.get("source", "manual"),
                                detail.get("source_id"), provider, lines)
    if (existing := billing.credit_note_for(uow, facts.refund_key)) is not None:
        return existing.id
    note = billing.issue_credit_note(uow, order, facts, now)
    orders.announce(uow, order, EventType.CREDIT_NOTE_ISSUED, rows[0].actor if rows else "system",
                    {"credit_note_id": note.id, "number": note.number, "total_minor": note.total_minor,
                     "currency": note.currency, "refers_to": note.refers_to})
    return note.id
