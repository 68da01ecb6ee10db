"""The payment gateway interface every provider implements, and the result of one call.

Each operation takes an idempotency key chosen by the caller. Providers promise that the same key
with the same request replays the first result instead of moving money twice, so a caller that
did not learn the outcome (a timeout: `Outcome.TIMEOUT`) retries with the *same* key.

Outcomes, from the caller's point of view:
  succeeded  the money moved (authorized, captured, voided, refunded) as asked
  declined   the issuer or provider said no; retrying the same card will not help
  failed     the request was refused or broke and nothing happened; `retryable` says if a retry may help
  pending    accepted, the result comes later (a refund still processing, a payment awaited)
  timeout    unknown: the provider may or may not have done it — retry with the same idempotency key
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from conveyor.shared.money import Money


class Operation(StrEnum):
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    CHARGE = "charge"  # authorize and capture in one step


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    FAILED = "failed"
    PENDING = "pending"
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class PaymentSource:
    """How the customer pays. `kind` is e.g. "card", "cash", "bank_transfer", "stripe"; `token` is
    what the provider needs (a test card number, a Stripe PaymentMethod id such as ``pm_card_visa``)."""

    kind: str
    token: str = ""
    customer: str = ""  # the provider's customer holding a saved method (Stripe cus_…), for re-authorizing
    off_session: bool = False  # the customer is not present (a re-authorization, a later charge)


@dataclass(frozen=True, slots=True)
class AuthorizeRequest:
    amount: Money
    source: PaymentSource
    order_reference: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class GatewayResult:
    """What one gateway call did. `amount` is what moved when it succeeded, else what was asked."""

    operation: Operation
    outcome: Outcome
    amount: Money
    provider: str
    provider_reference: str | None = None  # the payment at the provider (pi_…, tst_…, man_…)
    transaction_reference: str | None = None  # this operation's own id (a refund id, a charge id)
    error_code: str | None = None  # the provider's code (e.g. Stripe decline codes), stable per provider
    message: str = ""  # for people: staff and, for declines, the customer
    authorization_expires_at: datetime | None = None
    retryable: bool = False
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.outcome is Outcome.SUCCEEDED

    @property
    def outcome_unknown(self) -> bool:
        return self.outcome is Outcome.TIMEOUT

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form, for storing the attempt and replaying it under its idempotency key."""
        expires = self.authorization_expires_at
        return {
            "operation": self.operation.value,
            "outcome": self.outcome.value,
            "amount": self.amount.minor,
            "currency": self.amount.currency,
            "provider": self.provider,
            "provider_reference": self.provider_reference,
            "transaction_reference": self.transaction_reference,
            "error_code": self.error_code,
            "message": self.message,
            "authorization_expires_at": expires.isoformat() if expires else None,
            "retryable": self.retryable,
            "raw": self.raw,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GatewayResult:
        expires = data.get("authorization_expires_at")
        return cls(
            operation=Operation(data["operation"]),
            outcome=Outcome(data["outcome"]),
            amount=Money(int(data["amount"]), data["currency"]),
            provider=data["provider"],
            provider_reference=data.get("provider_reference"),
            transaction_reference=data.get("transaction_reference"),
            error_code=data.get("error_code"),
            message=data.get("message", ""),
            authorization_expires_at=datetime.fromisoformat(expires) if expires else None,
            retryable=bool(data.get("retryable", False)),
            raw=dict(data.get("raw") or {}),
        )


def timeout_result(
    operation: Operation, amount: Money, provider: str, detail: str, reference: str | None = None
) -> GatewayResult:
    """The provider did not answer in time: the money may or may not have moved."""
    return GatewayResult(
        operation=operation,
        outcome=Outcome.TIMEOUT,
        amount=amount,
        provider=provider,
        provider_reference=reference,
        error_code="timeout",
        message=f"{provider} did not answer in time ({detail}); the outcome is unknown — "
        "retry with the same idempotency key to learn it",
        retryable=True,
        raw={"timeout": detail},
    )


class PaymentGateway(Protocol):
    """One payment provider. Every call is idempotent per `idempotency_key`."""

    name: str

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult: ...

    def charge(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult: ...

    def capture(self, reference: str, amount: Money, *, idempotency_key: str, final: bool = False) -> GatewayResult:
        """Capture `amount` of an authorization. `final` releases whatever stays uncaptured."""
        ...

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult: ...

    def refund(self, reference: str, amount: Money, *, idempotency_key: str, reason: str = "") -> GatewayResult: ...
