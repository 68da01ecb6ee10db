"""The `manual` provider: cash and bank transfer, where staff confirm what happened.

  authorize  records that a payment is expected (nothing is held, nothing expires)
  capture    staff mark the payment received (`mark_paid` says it in their words); partial
             payments add up to the expected amount
  charge     paid on the spot (cash at the counter): expected and received at once
  void       the expected payment will not come (the order was cancelled before paying)
  refund     recorded, not sent: the result says how much staff must pay back and how

Its state lives in the injected `GatewayStore`, like the test gateway's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from conveyor.payments.gateway import AuthorizeRequest, GatewayResult, Outcome
from conveyor.payments.providers.in_process import InProcessGateway, SourceRefusal
from conveyor.payments.providers.store import GatewayStore
from conveyor.shared.clock import utcnow
from conveyor.shared.money import Money

MANUAL_METHODS = frozenset({"cash", "bank_transfer", "cheque", "other"})


class ManualGateway(InProcessGateway):
    name = "manual"
    reference_prefix = "man"

    def __init__(self, store: GatewayStore | None = None, *, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(store, clock=clock, authorization_period=None)

    def mark_paid(self, reference: str, amount: Money, *, idempotency_key: str, final: bool = False) -> GatewayResult:
        """Staff received `amount` (cash counted, transfer seen on the bank statement)."""
        return self.capture(reference, amount, idempotency_key=idempotency_key, final=final)

    def _refusal(self, request: AuthorizeRequest) -> SourceRefusal | None:
        if request.source.kind not in MANUAL_METHODS:
            methods = ", ".join(sorted(MANUAL_METHODS))
            return SourceRefusal(
                Outcome.FAILED, "unsupported_method", f"manual payments take {methods}, not {request.source.kind!r}"
            )
        return None

    def _describe_source(self, request: AuthorizeRequest) -> dict[str, Any]:
        return {"source": request.source.kind, "note": request.source.token}

    def _refund_note(self, amount: Money, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        how = "by bank transfer" if state.get("source") == "bank_transfer" else f"by {state.get('source', 'hand')}"
        message = f"refund of {amount} recorded, not sent: pay it back {how}"
        return message, {"sent": False, "pay_back": amount.amount, "method": state.get("source")}
