"""What the manual and test providers share: a payment processor kept in a `GatewayStore`.

A payment is one JSON document: authorized, captured and refunded amounts, whether the rest of the
authorization was released, when it expires, and each capture and refund. The rules are a card
processor's: capture up to what is authorized and still held, several partial captures allowed
(`final=True` releases the rest), no capture after expiry, refunds up to what was captured, and an
idempotency key replays its first result. Subclasses decide which sources they accept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from conveyor.payments.gateway import AuthorizeRequest, GatewayResult, Operation, Outcome, timeout_result
from conveyor.payments.providers.store import (
    GatewayStore,
    IdempotencyLedger,
    InMemoryGatewayStore,
    fingerprint,
    reference_for,
)
from conveyor.shared.clock import utcnow
from conveyor.shared.money import Money


class SourceRefusal:
    """Why a payment source is refused at authorization, in the provider's words."""

    def __init__(self, outcome: Outcome, code: str, message: str, retryable: bool = False) -> None:
        self.outcome, self.code, self.message, self.retryable = outcome, code, message, retryable


class InProcessGateway:
    name = "in_process"
    reference_prefix = "inp"

    def __init__(
        self,
        store: GatewayStore | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        authorization_period: timedelta | None = None,
    ) -> None:
        self._store: GatewayStore = store if store is not None else InMemoryGatewayStore()
        self._clock = clock
        self._authorization_period = authorization_period
        self._ledger = IdempotencyLedger(self._store, self.name)
        self._lose_next_answer: set[Operation] = set()

    def simulate_timeout(self, operation: Operation) -> None:
        """The next `operation` happens, but its answer is lost: the caller sees a timeout."""
        self._lose_next_answer.add(operation)

    def payment(self, reference: str) -> dict[str, Any] | None:
        """The provider-side state of a payment (for demos, tests and support)."""
        return self._store.get(f"{self.name}:payment:{reference}")

    # -- what subclasses decide --------------------------------------------------------------

    def _refusal(self, request: AuthorizeRequest) -> SourceRefusal | None:
        return None

    def _answer_is_lost(self, request: AuthorizeRequest) -> bool:
        return False

    def _describe_source(self, request: AuthorizeRequest) -> dict[str, Any]:
        return {"source": request.source.kind}

    def _refund_note(self, amount: Money, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "refunded", {}

    # -- the gateway interface --------------------------------------------------------------

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        return self._open(Operation.AUTHORIZE, request, idempotency_key)

    def charge(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        return self._open(Operation.CHARGE, request, idempotency_key)

    def capture(self, reference: str, amount: Money, *, idempotency_key: str, final: bool = False) -> GatewayResult:
        digest = fingerprint(
            op="capture", reference=reference, amount=amount.minor, currency=amount.currency, final=final
        )
        return self._run(
            Operation.CAPTURE, idempotency_key, digest, amount, lambda: self._capture(reference, amount, final)
        )

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        state = self.payment(reference)
        nothing = Money(0, state["currency"] if state else "XXX")
        digest = fingerprint(op="void", reference=reference)
        return self._run(Operation.VOID, idempotency_key, digest, nothing, lambda: self._void(reference, nothing))

    def refund(self, reference: str, amount: Money, *, idempotency_key: str, reason: str = "") -> GatewayResult:
        digest = fingerprint(op="refund", reference=reference, amount=amount.minor, currency=amount.currency)
        return self._run(
            Operation.REFUND,
            idempotency_key,
            digest,
            amount,
            lambda: self._refund(reference, amount, idempotency_key, reason),
        )

    # -- the machinery -----------------------------------------------------------------------

    def _run(
        self,
        operation: Operation,
        key: str,
        digest: str,
        amount: Money,
        perform: Callable[[], GatewayResult],
        lose_answer: bool = False,
    ) -> GatewayResult:
        replayed = self._ledger.replay(key, digest, operation, amount)
        if replayed is not None:
            return replayed
        result = perform()
        self._ledger.remember(key, digest, result)  # the work is done even if the answer gets lost
        if lose_answer or operation in self._lose_next_answer:
            self._lose_next_answer.discard(operation)
            return timeout_result(operation, amount, self.name, "simulated: the answer was lost")
        return result

    def _open(self, operation: Operation, request: AuthorizeRequest, key: str) -> GatewayResult:
        digest = fingerprint(
            op=operation.value,
            amount=request.amount.minor,
            currency=request.amount.currency,
            source=[request.source.kind, request.source.token],
            order=request.order_reference,
        )
        return self._run(
            operation,
            key,
            digest,
            request.amount,
            lambda: self._open_payment(operation, request, key),
            self._answer_is_lost(request),
        )

    def _open_payment(self, operation: Operation, request: AuthorizeRequest, key: str) -> GatewayResult:
        amount = request.amount
        raw = {**self._describe_source(request), "order_reference": request.order_reference}
        refusal = self._refusal(request)
        if refusal is None and amount.minor <= 0:
            refusal = SourceRefusal(Outcome.FAILED, "amount_too_small", "The amount must be greater than zero.")
        if refusal is not None:
            return GatewayResult(
                operation,
                refusal.outcome,
                amount,
                self.name,
                error_code=refusal.code,
                message=refusal.message,
                retryable=refusal.retryable,
                raw=raw,
            )
        reference = reference_for(self.reference_prefix, self.name, key)
        state = self._new_payment(reference, amount, captured=operation is Operation.CHARGE, source=raw)
        self._save(state)
        expires = datetime.fromisoformat(state["expires_at"]) if state["expires_at"] else None
        return GatewayResult(
            operation,
            Outcome.SUCCEEDED,
            amount,
            self.name,
            provider_reference=reference,
            transaction_reference=f"{reference}_open",
            message="approved",
            authorization_expires_at=expires,
            raw=state,
        )

    def _new_payment(self, reference: str, amount: Money, *, captured: bool, source: dict[str, Any]) -> dict[str, Any]:
        now = self._clock()
        period = self._authorization_period
        expires = None if captured or period is None else now + period
        return {
            **source,
            "reference": reference,
            "currency": amount.currency,
            "authorized": amount.minor,
            "captured": amount.minor if captured else 0,
            "refunded": 0,
            "released": captured,
            "authorized_at": now.isoformat(),
            "expires_at": expires.isoformat() if expires else None,
            "captures": [],
            "refunds": [],
        }

    def _capture(self, reference: str, amount: Money, final: bool) -> GatewayResult:
        state, problem = self._open_authorization(Operation.CAPTURE, reference, amount)
        if problem is not None:
            return problem
        capturable = state["authorized"] - state["captured"]
        if amount.minor <= 0 or amount.minor > capturable:
            return self._refused(
                Operation.CAPTURE,
                amount,
                reference,
                "amount_too_large",
                f"cannot capture {amount}: {Money(capturable, amount.currency)} is capturable",
            )
        state["captured"] += amount.minor
        state["released"] = final or state["captured"] == state["authorized"]
        transaction = f"{reference}_cap{len(state['captures']) + 1}"
        state["captures"].append({"id": transaction, "amount": amount.minor, "at": self._clock().isoformat()})
        self._save(state)
        return GatewayResult(
            Operation.CAPTURE,
            Outcome.SUCCEEDED,
            amount,
            self.name,
            provider_reference=reference,
            transaction_reference=transaction,
            message="captured",
            raw=state,
        )

    def _void(self, reference: str, nothing: Money) -> GatewayResult:
        state, problem = self._open_authorization(Operation.VOID, reference, nothing)
        if problem is not None:
            return problem
        held = 0 if self._expired(state) else state["authorized"] - state["captured"]
        state["released"] = True
        self._save(state)
        released = Money(held, state["currency"])
        return GatewayResult(
            Operation.VOID,
            Outcome.SUCCEEDED,
            released,
            self.name,
            provider_reference=reference,
            message=f"released {released}",
            raw=state,
        )

    def _refund(self, reference: str, amount: Money, key: str, reason: str) -> GatewayResult:
        state = self.payment(reference)
        if state is None or state["currency"] != amount.currency:
            return self._refused(
                Operation.REFUND, amount, reference, "resource_missing", f"no {amount.currency} payment {reference!r}"
            )
        refundable = state["captured"] - state["refunded"]
        if amount.minor <= 0 or amount.minor > refundable:
            return self._refused(
                Operation.REFUND,
                amount,
                reference,
                "amount_too_large",
                f"cannot refund {amount}: {Money(refundable, amount.currency)} is refundable",
            )
        state["refunded"] += amount.minor
        transaction = reference_for(f"{self.reference_prefix}re", self.name, key)
        message, extra = self._refund_note(amount, state)
        state["refunds"].append({"id": transaction, "amount": amount.minor, "reason": reason, **extra})
        self._save(state)
        return GatewayResult(
            Operation.REFUND,
            Outcome.SUCCEEDED,
            amount,
            self.name,
            provider_reference=reference,
            transaction_reference=transaction,
            message=message,
            raw={**state, **extra},
        )

    def _open_authorization(
        self, operation: Operation, reference: str, amount: Money
    ) -> tuple[dict[str, Any], GatewayResult | None]:
        """The payment's state if its authorization is still open, else the refusal to return."""
        state = self.payment(reference)
        if state is None or (operation is Operation.CAPTURE and state["currency"] != amount.currency):
            return {}, self._refused(
                operation, amount, reference, "resource_missing", f"no {amount.currency} payment {reference!r}"
            )
        if self._expired(state) and operation is Operation.CAPTURE:
            return state, self._refused(
                operation,
                amount,
                reference,
                "authorization_expired",
                f"the authorization expired at {state['expires_at']}; authorize again",
            )
        if state["released"]:
            return state, self._refused(
                operation,
                amount,
                reference,
                "payment_intent_unexpected_state",
                "nothing is left to capture or release on this payment",
            )
        return state, None

    def _expired(self, state: dict[str, Any]) -> bool:
        expires = state["expires_at"]
        return bool(not state["released"] and expires and self._clock() >= datetime.fromisoformat(expires))

    def _refused(self, operation: Operation, amount: Money, reference: str, code: str, message: str) -> GatewayResult:
        return GatewayResult(
            operation, Outcome.FAILED, amount, self.name, provider_reference=reference, error_code=code, message=message
        )

    def _save(self, state: dict[str, Any]) -> None:
        self._store.put(f"{self.name}:payment:{state['reference']}", state)
