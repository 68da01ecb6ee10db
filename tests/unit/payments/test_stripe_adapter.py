"""The Stripe adapter against recorded responses (tests/fixtures/payments/stripe, sources in its
README) through httpx.MockTransport: what it sends, and what each answer means for the caller."""

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from conveyor.payments.gateway import AuthorizeRequest, GatewayResult, Operation, Outcome, PaymentSource
from conveyor.payments.policy import PAYMENT_FAILED_HOLD, Reaction, react_to
from conveyor.payments.providers.stripe import StripeGateway, form_fields
from conveyor.shared.money import Money

FIXTURES = Path(__file__).parents[2] / "fixtures" / "payments" / "stripe"
PI = "pi_3QbW2nLkdIwHu7ix0mC8hN1a"


def recorded(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class Stripe:
    """A scripted Stripe: answers each request with the next recorded response, and keeps the requests."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, name = answer
        return httpx.Response(status, json=recorded(name))

    def form(self, index=-1) -> dict[str, str]:
        return dict(parse_qsl(self.requests[index].content.decode()))


def gateway(stripe: Stripe) -> StripeGateway:
    return StripeGateway("sk_test_123", transport=httpx.MockTransport(stripe), api_version="2025-04-30.basil")


def request(minor=10_000, token="pm_card_visa"):
    return AuthorizeRequest(Money(minor, "EUR"), PaymentSource("stripe", token), "ord_01jd3k", "ord_01jd3k")


def test_form_encoding_follows_stripes_conventions():
    assert form_fields({"a": 1, "b": {"c": True, "d": ["x", "y"]}, "e": None}) == {
        "a": "1",
        "b[c]": "true",
        "b[d][0]": "x",
        "b[d][1]": "y",
    }


def test_authorize_sends_a_manual_capture_confirm_with_the_idempotency_key():
    stripe = Stripe((200, "pi_requires_capture.json"))
    result = gateway(stripe).authorize(request(), idempotency_key="ord_1:authorize:1")
    sent = stripe.requests[0]
    assert sent.method == "POST" and sent.url.path == "/v1/payment_intents"
    assert sent.headers["Idempotency-Key"] == "ord_1:authorize:1"
    assert sent.headers["Authorization"] == "Bearer sk_test_123"
    assert sent.headers["Stripe-Version"] == "2025-04-30.basil"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = stripe.form()
    assert form["amount"] == "10000" and form["currency"] == "eur" and form["capture_method"] == "manual"
    assert form["confirm"] == "true" and form["payment_method"] == "pm_card_visa"
    assert form["expand[0]"] == "latest_charge" and form["metadata[order_reference]"] == "ord_01jd3k"
    assert form["payment_method_options[card][request_multicapture]"] == "if_available"
    assert result.outcome is Outcome.SUCCEEDED and result.amount == Money(10_000, "EUR")
    assert result.provider_reference == PI and result.transaction_reference == "ch_3QbW2nLkdIwHu7ix0aT4kQ2c"
    assert result.authorization_expires_at == datetime.fromtimestamp(1765099800, UTC)  # the charge's capture_before


def test_charge_uses_automatic_capture():
    stripe = Stripe((200, "pi_charged.json"))
    result = gateway(stripe).charge(request(), idempotency_key="k")
    assert stripe.form()["capture_method"] == "automatic"
    assert "payment_method_options[card][request_multicapture]" not in stripe.form()
    assert result.succeeded and result.amount == Money(10_000, "EUR") and result.authorization_expires_at is None


def test_declined_card_is_a_decline_with_stripes_decline_code_and_puts_the_order_on_hold():
    stripe = Stripe((402, "error_insufficient_funds.json"))
    result = gateway(stripe).authorize(
        request(token="pm_card_visa_chargeDeclinedInsufficientFunds"), idempotency_key="k"
    )
    assert result.outcome is Outcome.DECLINED and result.error_code == "insufficient_funds"
    assert result.message == "Your card has insufficient funds."
    assert result.provider_reference == "pi_3QbW3aLkdIwHu7ix1Fh7jK2b" and not result.retryable
    assert result.raw["error"]["type"] == "card_error"
    assert react_to(result).hold_reason == PAYMENT_FAILED_HOLD


def test_expired_card_decline_uses_the_error_code():
    result = gateway(Stripe((402, "error_expired_card.json"))).authorize(request(), idempotency_key="k")
    assert result.outcome is Outcome.DECLINED and result.error_code == "expired_card"


def test_3d_secure_required_is_pending_authentication():
    result = gateway(Stripe((200, "pi_requires_action.json"))).authorize(request(), idempotency_key="k")
    assert result.outcome is Outcome.PENDING and result.error_code == "authentication_required"
    assert react_to(result).reaction is Reaction.AWAIT


def test_partial_capture_keeps_the_rest_and_the_final_one_releases_it():
    stripe = Stripe((200, "pi_partially_captured.json"), (200, "pi_succeeded.json"))
    partial = gateway(stripe).capture(PI, Money(3_000, "EUR"), idempotency_key="c1")
    assert stripe.requests[0].url.path == f"/v1/payment_intents/{PI}/capture"
    assert stripe.form(0)["amount_to_capture"] == "3000" and stripe.form(0)["final_capture"] == "false"
    assert partial.succeeded and partial.amount == Money(3_000, "EUR")
    final = gateway(stripe).capture(PI, Money(3_000, "EUR"), idempotency_key="c2", final=True)
    assert "final_capture" not in stripe.form(1)  # Stripe's default releases the rest
    assert final.succeeded


def test_capture_after_the_hold_lapsed_reports_an_expired_authorization():
    result = gateway(Stripe((400, "error_capture_expired.json"))).capture(PI, Money(1_000, "EUR"), idempotency_key="c")
    assert result.outcome is Outcome.FAILED and result.error_code == "authorization_expired"
    assert "status of canceled" in result.message and react_to(result).reaction is Reaction.HOLD


def test_void_cancels_and_reports_what_was_released():
    stripe = Stripe((200, "pi_canceled.json"))
    result = gateway(stripe).void(PI, idempotency_key="v")
    assert stripe.requests[0].url.path == f"/v1/payment_intents/{PI}/cancel"
    assert result.succeeded and result.amount == Money(10_000, "EUR")


def test_refund_posts_to_refunds_and_maps_our_reason():
    stripe = Stripe((200, "refund_succeeded.json"))
    result = gateway(stripe).refund(PI, Money(2_500, "EUR"), idempotency_key="r", reason="return rma_1")
    form = stripe.form()
    assert stripe.requests[0].url.path == "/v1/refunds"
    assert form == {
        "payment_intent": PI,
        "amount": "2500",
        "reason": "requested_by_customer",
        "metadata[conveyor_reason]": "return rma_1",
    }
    assert result.succeeded and result.amount == Money(2_500, "EUR")
    assert result.transaction_reference == "re_3QbW2nLkdIwHu7ix0p3Rz8Yd" and result.provider_reference == PI


def test_pending_refund_is_pending():
    result = gateway(Stripe((200, "refund_pending.json"))).refund(PI, Money(2_500, "EUR"), idempotency_key="r")
    assert result.outcome is Outcome.PENDING


def test_refund_beyond_the_charge_is_a_failure_not_retryable():
    result = gateway(Stripe((400, "error_refund_too_large.json"))).refund(PI, Money(12_000, "EUR"), idempotency_key="r")
    assert result.outcome is Outcome.FAILED and result.error_code == "amount_too_large" and not result.retryable


def test_reused_idempotency_key_is_named():
    result = gateway(Stripe((400, "error_idempotency.json"))).authorize(request(), idempotency_key="k")
    assert result.outcome is Outcome.FAILED and result.error_code == "idempotency_key_reused"


def test_rate_limit_is_retryable():
    result = gateway(Stripe((429, "error_rate_limit.json"))).authorize(request(), idempotency_key="k")
    assert result.outcome is Outcome.FAILED and result.retryable


@pytest.mark.parametrize(
    "answer", [httpx.ReadTimeout("read timed out"), httpx.ConnectError("reset"), (500, "error_api.json")]
)
def test_timeouts_and_server_errors_are_unknown_outcomes_retried_with_the_same_key(answer):
    stripe = Stripe(answer, (200, "pi_requires_capture.json"))
    client = gateway(stripe)
    first = client.authorize(request(), idempotency_key="ord_1:authorize:1")
    assert first.outcome is Outcome.TIMEOUT and first.outcome_unknown
    assert react_to(first).reaction is Reaction.RETRY_SAME_KEY
    second = client.authorize(request(), idempotency_key="ord_1:authorize:1")
    assert second.succeeded
    assert [r.headers["Idempotency-Key"] for r in stripe.requests] == ["ord_1:authorize:1"] * 2
    assert stripe.requests[0].content == stripe.requests[1].content  # the very same request


def test_results_survive_a_json_round_trip_for_storage():
    result = gateway(Stripe((200, "pi_requires_capture.json"))).authorize(request(), idempotency_key="k")
    assert GatewayResult.from_json(json.loads(json.dumps(result.to_json()))) == result
    assert result.operation is Operation.AUTHORIZE


def test_processing_error_is_a_retryable_failure_not_a_decline():
    body = {
        "error": {
            "type": "card_error",
            "code": "processing_error",
            "message": "An error occurred while processing your card. Try again in a little bit.",
        }
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(402, json=body))
    result = StripeGateway("sk_test_123", transport=transport).authorize(request(), idempotency_key="k")
    assert result.outcome is Outcome.FAILED and result.retryable
    assert react_to(result).reaction is Reaction.RETRY_NEW_KEY


def test_reauthorizing_with_a_saved_method_is_off_session():
    stripe = Stripe((200, "pi_requires_capture.json"))
    source = PaymentSource("stripe", "pm_1QbW2mLkdIwHu7ixlL6m8c1T", customer="cus_R4nd0m", off_session=True)
    gateway(stripe).authorize(AuthorizeRequest(Money(6_000, "EUR"), source, "ord_1"), idempotency_key="ord_1:reauth")
    form = stripe.form()
    assert form["customer"] == "cus_R4nd0m" and form["off_session"] == "true" and form["capture_method"] == "manual"
