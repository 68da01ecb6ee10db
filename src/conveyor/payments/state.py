"""A payment's money, computed from its attempt records, and the rules every new attempt must pass.

One payment is one authorization (or charge) at one provider. Each gateway call is an attempt,
recorded twice by the caller: *before* the call, with no result (in the same transaction that
checked the amount, under the payment's row lock), and *after* it, with the result. An attempt
without a result, or whose result is pending or unknown (a timeout), still counts against what may
be captured or refunded — that is what keeps 32 concurrent refunds from refunding more than was
captured. A retry reuses the idempotency key; the newest attempt per key is the one that counts.

    capturable = authorized − captured − released − expired − captures in flight
    refundable = captured − refunded − refunds in flight
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from conveyor.payments.gateway import GatewayResult, Operation, Outcome
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.money import Money

IN_FLIGHT = "in_flight"


@dataclass(frozen=True, slots=True)
class PaymentAttempt:
    """One gateway call. `result` is None while the call is in flight (or the process died in it)."""

    operation: Operation
    idempotency_key: str
    amount: Money  # what was asked
    attempted_at: datetime
    result: GatewayResult | None = None
    final: bool = False  # a capture that releases whatever stays uncaptured

    @property
    def status(self) -> str:
        return IN_FLIGHT if self.result is None else self.result.outcome.value

    def resolved(self, result: GatewayResult) -> PaymentAttempt:
        return PaymentAttempt(self.operation, self.idempotency_key, self.amount, self.attempted_at, result, self.final)


def attempt_key(payment_id: str, operation: Operation, sequence: int) -> str:
    """A deterministic idempotency key: the n-th capture of a payment is always the same request, so a
    retry after a crash can never capture twice."""
    return f"{payment_id}:{operation.value}:{sequence}"


@dataclass(frozen=True, slots=True)
class PaymentTotals:
    currency: str
    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    released: int = 0  # authorized but let go: voided, or the rest after a final capture
    expired: int = 0  # authorized, never captured, and the authorization lapsed
    authorization_pending: int = 0
    capture_pending: int = 0
    refund_pending: int = 0
    authorization_expires_at: datetime | None = None
    provider_reference: str | None = None

    @property
    def held(self) -> int:
        """Still reserved on the customer's card."""
        return max(self.authorized - self.captured - self.released - self.expired, 0)

    @property
    def capturable(self) -> int:
        return max(self.held - self.capture_pending, 0)

    @property
    def refundable(self) -> int:
        return max(self.captured - self.refunded - self.refund_pending, 0)

    @property
    def net_paid(self) -> int:
        return self.captured - self.refunded

    @property
    def outcome_unknown(self) -> bool:
        return bool(self.authorization_pending or self.capture_pending or self.refund_pending)


def latest_per_key(attempts: Iterable[PaymentAttempt]) -> list[PaymentAttempt]:
    """The newest attempt for each idempotency key, oldest first (a retry supersedes what it retried)."""
    newest: dict[str, PaymentAttempt] = {}
    for attempt in sorted(attempts, key=lambda a: a.attempted_at):  # stable: equal times keep list order
        newest.pop(attempt.idempotency_key, None)
        newest[attempt.idempotency_key] = attempt
    return list(newest.values())


def payment_totals(attempts: Iterable[PaymentAttempt], currency: str, now: datetime | None = None) -> PaymentTotals:
    """Fold a payment's attempts into its totals; with `now`, a lapsed authorization counts as expired."""
    sums = {
        name: 0
        for name in (
            "authorized",
            "captured",
            "refunded",
            "released",
            "authorization_pending",
            "capture_pending",
            "refund_pending",
        )
    }
    expires_at: datetime | None = None
    reference: str | None = None
    for attempt in latest_per_key(attempts):
        if attempt.amount.currency != currency:
            raise DomainError(
                ErrorCode.CURRENCY_MISMATCH,
                f"a {attempt.amount.currency} attempt on a {currency} payment",
                key=attempt.idempotency_key,
            )
        result = attempt.result
        if result is None or result.outcome in (Outcome.PENDING, Outcome.TIMEOUT):
            _count_pending(sums, attempt)
        elif result.succeeded:
            reference = reference or result.provider_reference
            if attempt.operation in (Operation.AUTHORIZE, Operation.CHARGE):
                expires_at = result.authorization_expires_at
            lapsed = expires_at is not None and attempt.attempted_at >= expires_at
            _count_success(sums, attempt, result, lapsed)
    expired = 0
    if now is not None and expires_at is not None and now >= expires_at:
        expired = max(sums["authorized"] - sums["captured"] - sums["released"], 0)
    return PaymentTotals(
        currency=currency, expired=expired, authorization_expires_at=expires_at, provider_reference=reference, **sums
    )


def _count_pending(sums: dict[str, int], attempt: PaymentAttempt) -> None:
    bucket = {
        Operation.AUTHORIZE: "authorization_pending",
        Operation.CHARGE: "authorization_pending",
        Operation.CAPTURE: "capture_pending",
        Operation.REFUND: "refund_pending",
    }.get(attempt.operation)
    if bucket is not None:  # a void in flight holds no money of its own
        sums[bucket] += attempt.amount.minor


def _count_success(sums: dict[str, int], attempt: PaymentAttempt, result: GatewayResult, lapsed: bool) -> None:
    moved = result.amount.minor
    held = sums["authorized"] - sums["captured"] - sums["released"]
    if attempt.operation is Operation.AUTHORIZE:
        sums["authorized"] += moved
    elif attempt.operation is Operation.CHARGE:
        sums["authorized"] += moved
        sums["captured"] += moved
    elif attempt.operation is Operation.CAPTURE:
        sums["captured"] += moved
        if attempt.final:
            sums["released"] += max(held - moved, 0)
    elif attempt.operation is Operation.VOID and not lapsed:  # voiding a lapsed authorization frees nothing
        sums["released"] += max(held, 0)
    elif attempt.operation is Operation.REFUND:
        sums["refunded"] += moved


def _same_currency(totals: PaymentTotals, amount: Money) -> None:
    if amount.currency != totals.currency:
        raise DomainError(ErrorCode.CURRENCY_MISMATCH, f"the payment is in {totals.currency}, not {amount.currency}")


def check_capture(totals: PaymentTotals, amount: Money, now: datetime | None = None) -> None:
    """Refuse a capture the payment cannot cover: capture ≤ authorized − captured − released − in flight."""
    _same_currency(totals, amount)
    if amount.minor <= 0:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "a capture must be more than zero")
    expires = totals.authorization_expires_at
    if totals.expired or (now is not None and expires is not None and now >= expires):
        raise DomainError(
            ErrorCode.AUTHORIZATION_EXPIRED,
            f"the authorization expired at {expires:%Y-%m-%d %H:%M} UTC; authorize again before capturing",
            expired_at=str(expires),
        )
    if amount.minor > totals.capturable:
        raise DomainError(
            ErrorCode.CAPTURE_EXCEEDS_AUTHORIZED,
            f"cannot capture {amount}: only {Money(totals.capturable, totals.currency)} is capturable"
            + _pending_note(totals.capture_pending, totals.currency, "captures"),
            requested=amount.amount,
            capturable=Money(totals.capturable, totals.currency).amount,
        )


def check_refund(totals: PaymentTotals, amount: Money) -> None:
    """Refuse a refund beyond what was captured: refund ≤ captured − refunded − refunds in flight."""
    _same_currency(totals, amount)
    if amount.minor <= 0:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "a refund must be more than zero")
    if amount.minor > totals.refundable:
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_CAPTURED,
            f"cannot refund {amount}: only {Money(totals.refundable, totals.currency)} of the captured "
            f"{Money(totals.captured, totals.currency)} is left to refund"
            + _pending_note(totals.refund_pending, totals.currency, "refunds"),
            requested=amount.amount,
            refundable=Money(totals.refundable, totals.currency).amount,
        )


def check_void(totals: PaymentTotals) -> None:
    """A void needs something still held and no capture in flight that might take it."""
    if totals.held <= 0:
        raise DomainError(
            ErrorCode.PAYMENT_STATE, "nothing is held on this payment: it was fully captured, released or has expired"
        )
    if totals.capture_pending:
        raise DomainError(ErrorCode.PAYMENT_STATE, "a capture is in flight; void once its outcome is known")


def _pending_note(pending: int, currency: str, what: str) -> str:
    return f" ({Money(pending, currency)} of {what} still in flight or unknown)" if pending else ""
