"""The payments half of issue 12's end-to-end (must show 1): authorize at placement, a partial
shipment captures exactly its part, the rest ships and is captured, a refund, and the invoices and
credit notes add up to the captured and refunded money to the cent — on both databases."""

from __future__ import annotations

from conveyor.audit import run_audit
from conveyor.billing import service as billing
from conveyor.billing.financials import allocate
from conveyor.billing.order_money import order_money
from conveyor.orders.commands import LineInput, PaymentInput, PlaceOrder
from conveyor.orders.handlers import cancel_order, place_order, ship_order
from conveyor.payments import handlers, service
from tests.helpers import seed_world
from tests.integration.money.helpers import VISA


def place(c, *, lines=None, charge_config=None, external_id="flow-1"):
    seed_world(c, {"SKU-A": 20, "SKU-B": 20})
    if charge_config:
        from conveyor.channels.handlers import update_channel  # noqa: PLC0415 - only this test changes config
        update_channel(c, "web", {"config": {"payments": charge_config}})
    cmd = PlaceOrder(
        channel="web", currency="EUR", external_id=external_id, customer_name="Bea Kunde", locale="de-DE",
        lines=lines or [LineInput(sku="SKU-A", quantity=3, unit_price_minor=1999, tax_minor=1139, name="Becher"),
                        LineInput(sku="SKU-B", quantity=2, unit_price_minor=1000, discount_minor=101, tax_minor=140,
                                  name="Teller")],
        shipping_minor=495, shipping_tax_minor=94, order_discount_minor=500,
        payment=PaymentInput(provider="test", method="card", token=VISA))
    return place_order(c, cmd, actor="test").order


def lines_of(order):
    return {li.sku_code: li.id for li in order.lines}


def test_authorize_capture_per_shipment_refund_and_documents_match(container):
    order = place(container)
    ids = lines_of(order)
    with container.reader() as uow:
        [payment] = service.order_payments(uow, order.id)
        assert (payment.status, payment.authorized_minor, payment.captured_minor) == (
            "authorized", order.total_minor, 0)

    ship_order(container, order.id, location="WH1", lines={ids["SKU-A"]: 1, ids["SKU-B"]: 1}, actor="test")
    with container.reader() as uow:
        [payment] = service.order_payments(uow, order.id)
        [first_invoice] = billing.order_invoices(uow, order.id)
        first_capture = payment.captured_minor
        assert payment.status == "partially_captured"
        assert first_invoice.total_minor == first_capture  # the invoice is exactly what was captured
        assert first_invoice.shipping_minor == 495 + 94  # shipping goes with the first shipment

    ship_order(container, order.id, location="WH1", actor="test")  # the rest
    with container.reader() as uow:
        [payment] = service.order_payments(uow, order.id)
        invoices = billing.order_invoices(uow, order.id)
        assert (payment.status, payment.captured_minor) == ("captured", order.total_minor)
        assert sum(i.total_minor for i in invoices) == order.total_minor == payment.captured_minor
        assert [i.seq for i in invoices] == [1, 2]
        assert sum(i.tax_minor for i in invoices) == order.tax_minor

    outcome = handlers.refund_order(container, order.id, amount_minor=2500, reason="goodwill",
                                    idempotency_key="refund-1", actor="test")
    assert (outcome.status, outcome.refunded_minor) == ("succeeded", 2500)
    with container.reader() as uow:
        [payment] = service.order_payments(uow, order.id)
        [note] = billing.order_credit_notes(uow, order.id)
        invoices = billing.order_invoices(uow, order.id)
        assert payment.refunded_minor == note.total_minor == 2500
        assert note.refers_to == invoices[-1].number
        assert billing.documents_total([*invoices, note]) == payment.captured_minor - payment.refunded_minor
        assert run_audit(uow) == []


def test_charge_at_placement_refunds_cancelled_units(container):
    order = place(container, charge_config={"capture": "charge_at_placement", "invoice_at": "at_capture"})
    ids = lines_of(order)
    with container.reader() as uow:
        [payment] = service.order_payments(uow, order.id)
        [invoice] = billing.order_invoices(uow, order.id)
        assert payment.captured_minor == invoice.total_minor == order.total_minor

    cancel_order(container, order.id, lines={ids["SKU-B"]: 2}, reason="out of stock", actor="test")
    with container.reader() as uow:
        [payment] = service.order_payments(uow, order.id)
        [note] = billing.order_credit_notes(uow, order.id)
        order_now = service.orders.get_order(uow, order.id)
        cancelled_value = allocate(order_money(order_now)).lines[ids["SKU-B"]].total(0, 2)
        assert note.total_minor == payment.refunded_minor == cancelled_value
        assert payment.captured_minor - payment.refunded_minor == order.total_minor - cancelled_value
        assert [(line.order_line_id, line.quantity) for line in note.lines] == [(ids["SKU-B"], 2)]
