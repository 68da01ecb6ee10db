"""A declined payment, a gateway timeout and an expiring authorization each end in a clear outcome for
the order (issue 12, must show 5)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from conveyor.automation.handlers import cancel_unpaid_orders
from conveyor.channels.handlers import update_channel
from conveyor.orders import service as orders
from conveyor.orders.commands import LineInput, PaymentInput, PlaceOrder
from conveyor.orders.handlers import place_order, ship_order
from conveyor.payments import flows, handlers, service
from conveyor.payments.gateways import DatabaseGatewayStore
from conveyor.payments.model import GatewayState, PaymentAttemptRow
from conveyor.shared.clock import utcnow
from tests.helpers import seed_world
from tests.integration.money.helpers import VISA

INSUFFICIENT_FUNDS = "4000000000009995"
ANSWER_LOST = "4000000000000408"


def place(c, card: str, external_id: str = "o-1"):
    cmd = PlaceOrder(channel="web", currency="USD", external_id=external_id,
                     lines=[LineInput(sku="SKU-A", quantity=2, unit_price_minor=2500, tax_minor=400)],
                     shipping_minor=500, payment=PaymentInput(provider="test", token=card))
    return place_order(c, cmd, actor="shop").order


def events(c, order_id):
    with c.reader() as uow:
        return [(e.type, e.data) for e in orders.order_timeline(uow, order_id)]


def the_payment(c, order_id):
    with c.reader() as uow:
        [payment] = service.order_payments(uow, order_id)
        return payment


def test_a_declined_card_holds_the_order_then_it_is_cancelled_unpaid(container):
    seed_world(container, {"SKU-A": 5})
    order = place(container, INSUFFICIENT_FUNDS)
    assert order.status == "on_hold"
    assert order.hold_reason == ("payment_failed: payment declined (insufficient_funds): "
                                 "Your card has insufficient funds.")
    assert the_payment(container, order.id).status == "declined"
    failures = [d.get("error_code") for t, d in events(container, order.id) if t == "payment.failed"]
    assert failures == ["insufficient_funds"]

    assert cancel_unpaid_orders(container, utcnow() + timedelta(hours=73)) == 1
    with container.reader() as uow:
        cancelled = orders.get_order(uow, order.id)
        assert cancelled.status == "cancelled" and all(li.allocated == 0 for li in cancelled.lines)


def test_a_gateway_timeout_is_asked_again_with_the_same_key_and_charges_once(container):
    seed_world(container, {"SKU-A": 5})
    order = place(container, ANSWER_LOST)
    assert order.status == "allocated"  # not held: the outcome is unknown, not refused
    assert the_payment(container, order.id).status == "unknown"
    assert "payment.pending" in [t for t, _ in events(container, order.id)]

    assert handlers.retry_unknown_payments(container, utcnow()) == 1
    payment = the_payment(container, order.id)
    assert (payment.status, payment.authorized_minor) == ("authorized", order.total_minor)
    with container.reader() as uow:
        [attempt] = uow.session.scalars(select(PaymentAttemptRow)).all()
        provider_payments = [k for k in uow.session.scalars(select(GatewayState.key)) if ":payment:" in k]
    assert (attempt.tries, attempt.outcome, attempt.history[0]["outcome"]) == (2, "succeeded", "timeout")
    assert len(provider_payments) == 1  # asked twice, authorized once
    assert handlers.retry_unknown_payments(container, utcnow()) == 0

    ship_order(container, order.id, location="WH1", actor="test")
    assert the_payment(container, order.id).captured_minor == order.total_minor


def test_an_expiring_authorization_is_renewed_and_the_shipment_captures_from_the_new_one(container):
    seed_world(container, {"SKU-A": 5})
    order = place(container, VISA)
    first = the_payment(container, order.id)

    assert handlers.renew_authorizations(container, utcnow() + timedelta(days=5)) == 0  # not due yet
    assert handlers.renew_authorizations(container, utcnow() + timedelta(days=6, hours=12)) == 1
    with container.reader() as uow:
        old, new = service.order_payments(uow, order.id)
    assert (old.id, old.status, old.replaced_by) == (first.id, "voided", new.id)
    assert (new.status, new.authorized_minor) == ("authorized", order.total_minor)

    ship_order(container, order.id, location="WH1", actor="test")
    with container.reader() as uow:
        old, new = service.order_payments(uow, order.id)
    assert (old.captured_minor, new.captured_minor, new.status) == (0, order.total_minor, "captured")


def test_an_authorization_that_expires_is_flagged_and_its_shipment_reports_the_shortfall(container, monkeypatch):
    seed_world(container, {"SKU-A": 5})
    update_channel(container, "web", {"config": {"payments": {"on_expiring_authorization": "flag"}}})
    order = place(container, VISA)

    assert handlers.renew_authorizations(container, utcnow() + timedelta(days=6, hours=12)) == 1
    payment = the_payment(container, order.id)
    assert "expires at" in payment.attention and "ask the customer to pay again" in payment.attention
    assert "payment.attention" in [t for t, _ in events(container, order.id)]

    later = utcnow() + timedelta(days=8)
    monkeypatch.setattr(flows, "utcnow", lambda: later)
    ship_order(container, order.id, location="WH1", actor="test")  # the goods still ship
    payment = the_payment(container, order.id)
    assert payment.captured_minor == 0
    shortfalls = [d for t, d in events(container, order.id) if t == "payment.attention" and "shortfall_minor" in d]
    assert [s["shortfall_minor"] for s in shortfalls] == [order.total_minor]
    with container.reader() as uow:
        state = DatabaseGatewayStore(uow).get(f"test:payment:{payment.provider_reference}")
    assert state is not None and state["captured"] == 0
