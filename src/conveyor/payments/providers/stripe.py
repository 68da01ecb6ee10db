"""The Stripe adapter, written against Stripe's documented REST API (https://docs.stripe.com/api).

Why httpx and not the `stripe` package: the calls are five form-encoded POSTs; httpx is already a
dependency, takes an injected transport (tests replay recorded responses through
`httpx.MockTransport`, as the channel adapters do), and keeps timeouts, the Idempotency-Key header
and error mapping in plain sight. No global API key, no extra package.

  authorize  POST /v1/payment_intents  confirm=true, capture_method=manual, expand[]=latest_charge
             (the charge's payment_method_details.card.capture_before says when the hold expires),
             payment_method_options[card][request_multicapture]=if_available (several shipments)
  charge     the same with capture_method=automatic
  capture    POST /v1/payment_intents/{id}/capture  amount_to_capture, final_capture
  void       POST /v1/payment_intents/{id}/cancel
  refund     POST /v1/refunds  payment_intent, amount, reason

Outcomes: a PaymentIntent in requires_capture/succeeded is a success; requires_action or processing
is pending; HTTP 402 card errors are declines (decline_code, else code); other 4xx are failures
(429 retryable); 409 (the same key is still in progress), 5xx and network timeouts are unknown
outcomes — retry with the same idempotency key, which Stripe replays
(https://docs.stripe.com/api/idempotent_requests, https://docs.stripe.com/error-handling).

Several partial captures need Stripe's multicapture; without it the first capture releases the
rest (https://docs.stripe.com/payments/multicapture), and later shipments show a shortfall.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from conveyor.payments.gateway import (
    AuthorizeRequest,
    GatewayResult,
    Operation,
    Outcome,
    timeout_result,
)
from conveyor.shared.money import Money

STRIPE_API = "https://api.stripe.com"
REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
# Used only when Stripe does not say (capture_before missing): its default for online card payments.
DEFAULT_HOLD = timedelta(days=7)


def form_fields(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Stripe's form encoding: nested keys as a[b][c], lists as a[0], booleans as true/false."""
    fields: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            fields.update(form_fields(value, name))
        elif isinstance(value, list | tuple):
            fields.update(form_fields({str(i): item for i, item in enumerate(value)}, name))
        elif isinstance(value, bool):
            fields[name] = "true" if value else "false"
        else:
            fields[name] = str(value)
    return fields


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        base_url: str = STRIPE_API,
        timeout: float = 30.0,
        api_version: str | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"}
        if api_version:
            headers["Stripe-Version"] = api_version
        self._client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._client.close()

    def authorize(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        return self._create_intent(Operation.AUTHORIZE, request, idempotency_key, "manual")

    def charge(self, request: AuthorizeRequest, *, idempotency_key: str) -> GatewayResult:
        return self._create_intent(Operation.CHARGE, request, idempotency_key, "automatic")

    def capture(self, reference: str, amount: Money, *, idempotency_key: str, final: bool = False) -> GatewayResult:
        params = {"amount_to_capture": amount.minor, "expand": ["latest_charge"]}
        if not final:
            params["final_capture"] = False  # keep the rest authorized (multicapture)
        return self._call(
            Operation.CAPTURE, amount, f"/v1/payment_intents/{reference}/capture", params, idempotency_key, reference
        )

    def void(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        return self._call(
            Operation.VOID, None, f"/v1/payment_intents/{reference}/cancel", {}, idempotency_key, reference
        )

    def refund(self, reference: str, amount: Money, *, idempotency_key: str, reason: str = "") -> GatewayResult:
        params: dict[str, Any] = {"payment_intent": reference, "amount": amount.minor}
        if reason in REFUND_REASONS:
            params["reason"] = reason
        elif reason:
            params["reason"] = "requested_by_customer"
            params["metadata"] = {"conveyor_reason": reason}
        return self._call(Operation.REFUND, amount, "/v1/refunds", params, idempotency_key, reference)

    # -- requests and answers -----------------------------------------------------------------

    def _create_intent(
        self, operation: Operation, request: AuthorizeRequest, key: str, capture_method: str
    ) -> GatewayResult:
        params: dict[str, Any] = {
            "amount": request.amount.minor,
            "currency": request.amount.currency.lower(),
            "payment_method": request.source.token,
            "payment_method_types": ["card"],
            "confirm": True,
            "capture_method": capture_method,
            "metadata": {"order_reference": request.order_reference},
            "expand": ["latest_charge"],
        }
        if request.description:
            params["description"] = request.description
        if request.source.customer:
            params["customer"] = request.source.customer
        if request.source.off_session:
            params["off_session"] = True  # Stripe then declines with authentication_required instead of asking
        if capture_method == "manual":
            params["payment_method_options"] = {"card": {"request_multicapture": "if_available"}}
        return self._call(operation, request.amount, "/v1/payment_intents", params, key, None)

    def _call(
        self,
        operation: Operation,
        amount: Money | None,
        path: str,
        params: Mapping[str, Any],
        key: str,
        reference: str | None,
    ) -> GatewayResult:
        asked = amount or Money(0, "XXX")
        try:
            response = self._client.post(path, data=form_fields(params), headers={"Idempotency-Key": key})
        except httpx.TransportError as exc:  # timeouts, resets: Stripe may or may not have done it
            return timeout_result(operation, asked, self.name, type(exc).__name__, reference)
        try:
            body = response.json()
        except ValueError:
            body = {"unparsed": response.text[:500]}
        if response.status_code == 409 or response.status_code >= 500:
            return timeout_result(operation, asked, self.name, f"HTTP {response.status_code}", reference)
        if response.is_error:
            return _error_result(operation, asked, response.status_code, body, reference)
        if body.get("object") == "refund":
            return _refund_result(asked, body, reference)
        return _intent_result(operation, amount, body)


def _error_result(
    operation: Operation, asked: Money, status: int, body: dict[str, Any], reference: str | None
) -> GatewayResult:
    error = body.get("error") or {}
    intent = error.get("payment_intent") or {}
    code = error.get("decline_code") or error.get("code") or error.get("type")
    # A processing error is the issuer's hiccup, not a no: it may be tried again (as a new attempt).
    declined = (status == 402 or error.get("type") == "card_error") and code != "processing_error"
    if error.get("type") == "idempotency_error":
        code = "idempotency_key_reused"
    elif intent.get("status") == "canceled" and intent.get("cancellation_reason") == "automatic":
        code = "authorization_expired"  # Stripe cancels an uncaptured PaymentIntent when its hold lapses
    return GatewayResult(
        operation,
        Outcome.DECLINED if declined else Outcome.FAILED,
        asked,
        "stripe",
        provider_reference=intent.get("id") or reference,
        error_code=code,
        message=error.get("message") or f"Stripe answered HTTP {status}",
        retryable=status == 429 or code == "processing_error",
        raw=body,
    )


def _intent_result(operation: Operation, asked: Money | None, intent: dict[str, Any]) -> GatewayResult:
    currency = str(intent.get("currency", "")).upper()
    status = intent.get("status")
    amount = asked
    if operation is Operation.AUTHORIZE:
        amount = Money(int(intent.get("amount_capturable", 0)), currency)
    elif operation is Operation.CHARGE:
        amount = Money(int(intent.get("amount_received", 0)), currency)
    elif operation is Operation.VOID:
        amount = Money(int(intent.get("amount", 0)) - int(intent.get("amount_received", 0)), currency)
    assert amount is not None
    expected = {
        Operation.AUTHORIZE: {"requires_capture"},
        Operation.CHARGE: {"succeeded"},
        Operation.CAPTURE: {"succeeded", "requires_capture"},
        Operation.VOID: {"canceled"},
    }[operation]
    outcome = Outcome.SUCCEEDED if status in expected else Outcome.PENDING
    last_error = intent.get("last_payment_error") or {}
    if status == "requires_payment_method" and last_error:
        outcome = Outcome.DECLINED
    code = last_error.get("decline_code") or last_error.get("code")
    if status == "requires_action":
        code = "authentication_required"
    return GatewayResult(
        operation,
        outcome,
        amount,
        "stripe",
        provider_reference=intent.get("id"),
        transaction_reference=_charge_id(intent),
        error_code=code if outcome is not Outcome.SUCCEEDED else None,
        message=last_error.get("message") or f"payment intent {status}",
        authorization_expires_at=_hold_expiry(intent) if operation is Operation.AUTHORIZE else None,
        raw=intent,
    )


def _refund_result(asked: Money, refund: dict[str, Any], reference: str | None) -> GatewayResult:
    status = refund.get("status")
    outcome = {"succeeded": Outcome.SUCCEEDED, "pending": Outcome.PENDING, "requires_action": Outcome.PENDING}.get(
        str(status), Outcome.FAILED
    )
    amount = Money(int(refund.get("amount", asked.minor)), str(refund.get("currency", asked.currency)).upper())
    return GatewayResult(
        Operation.REFUND,
        outcome,
        amount,
        "stripe",
        provider_reference=refund.get("payment_intent") or reference,
        transaction_reference=refund.get("id"),
        error_code=refund.get("failure_reason"),
        message=f"refund {status}",
        raw=refund,
    )


def _charge_id(intent: dict[str, Any]) -> str | None:
    charge = intent.get("latest_charge")
    return charge.get("id") if isinstance(charge, dict) else charge


def _hold_expiry(intent: dict[str, Any]) -> datetime | None:
    charge = intent.get("latest_charge")
    card = (charge.get("payment_method_details") or {}).get("card") or {} if isinstance(charge, dict) else {}
    if card.get("capture_before"):
        return datetime.fromtimestamp(int(card["capture_before"]), UTC)
    created = intent.get("created")
    return datetime.fromtimestamp(int(created), UTC) + DEFAULT_HOLD if created else None
