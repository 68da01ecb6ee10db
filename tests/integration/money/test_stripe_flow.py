"""The Stripe adapter behind the payment flow, against recorded Stripe responses (tests/fixtures/payments/
stripe) through an injected HTTP transport: authorize at placement, capture per shipment (the last one
final), refund — each call with its idempotency key, each answer recorded as an attempt."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from conveyor.billing import service as billing
from conveyor.orders.commands import LineInput, PaymentInput, PlaceOrder
from conveyor.orders.handlers import place_order, ship_order
from conveyor.payments import flows, gateways, handlers, service
from conveyor.payments.providers.stripe import StripeGateway
from tests.helpers import seed_world
from tests.unit.payments.test_stripe_adapter import Stripe

PI = "pi_3QbW2nLkdIwHu7ix0mC8hN1a"


# When the responses were recorded: Stripe's hold (capture_before) runs 7 days from then.
RECORDED_AT = datetime.fromtimestamp(1764495000 + 600, UTC)


@pytest.fixture
def stripe(monkeypatch):
    monkeypatch.setattr(flows, "utcnow", lambda: RECORDED_AT)
    scripted = Stripe((200, "pi_requires_capture.json"), (200, "pi_partially_captured.json"),
                      (200, "pi_succeeded.json"), (200, "refund_succeeded.json"))
    gateway = StripeGateway("sk_test_123", transport=httpx.MockTransport(scripted))
    monkeypatch.setitem(gateways._FACTORIES, "stripe", lambda store, clock: gateway)
    return scripted


def test_authorize_capture_per_shipment_and_refund_through_stripe(container, stripe):
    seed_world(container, {"SKU-A": 5, "SKU-B": 5})
    order = place_order(container, PlaceOrder(
        channel="web", currency="EUR", external_id="st-1",
        lines=[LineInput(sku="SKU-A", quantity=1, unit_price_minor=3000),
               LineInput(sku="SKU-B", quantity=1, unit_price_minor=7000)],
        payment=PaymentInput("stripe", "card", "pm_card_visa")), actor="shop").order
    lines = {li.sku_code: li.id for li in order.lines}

    ship_order(container, order.id, location="WH1", lines={lines["SKU-A"]: 1}, actor="test")
    ship_order(container, order.id, location="WH1", actor="test")
    outcome = handlers.refund_order(container, order.id, amount_minor=2500, reason="requested_by_customer",
                                    idempotency_key="r-1", actor="test")

    paths = [r.url.path for r in stripe.requests]
    assert paths == ["/v1/payment_intents", f"/v1/payment_intents/{PI}/capture",
                     f"/v1/payment_intents/{PI}/capture", "/v1/refunds"]
    keys = [r.headers["Idempotency-Key"] for r in stripe.requests]
    assert len(set(keys)) == 4 and keys[0] == f"{order.id}:open:placement"
    assert stripe.form(0)["capture_method"] == "manual"
    assert (stripe.form(1)["amount_to_capture"], stripe.form(1)["final_capture"]) == ("3000", "false")
    assert stripe.form(2)["amount_to_capture"] == "7000" and "final_capture" not in stripe.form(2)
    assert (stripe.form(3)["amount"], stripe.form(3)["payment_intent"]) == ("2500", PI)

    assert (outcome.status, outcome.refunded_minor) == ("succeeded", 2500)
    with container.reader() as uow:
        [payment] = service.order_payments(uow, order.id)
        attempts = service.payment_attempts(uow, payment.id)
        invoices = billing.order_invoices(uow, order.id)
        [note] = billing.order_credit_notes(uow, order.id)
    assert (payment.provider_reference, payment.status) == (PI, "partially_refunded")
    assert (payment.captured_minor, payment.refunded_minor) == (10_000, 2500)
    assert [a.operation for a in attempts] == ["authorize", "capture", "capture", "refund"]
    assert attempts[0].raw["id"] == PI and attempts[-1].transaction_reference == "re_3QbW2nLkdIwHu7ix0p3Rz8Yd"
    assert [i.total_minor for i in invoices] == [3000, 7000] and note.total_minor == 2500
