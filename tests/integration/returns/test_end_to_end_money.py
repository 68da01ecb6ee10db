"""Issue 12, must show 1, end to end on both databases: authorize at placement → a partial shipment
captures its part → the rest ships and is captured → one unit comes back resellable (back in stock)
and one damaged (quarantined) → the refund goes back through the original payment and its credit
note matches it to the cent; ledger and audit clean. And a refund the card refuses stays due."""

from __future__ import annotations

import pytest

from conveyor.audit import run_audit
from conveyor.billing import service as billing
from conveyor.billing.financials import allocate
from conveyor.billing.order_money import order_money
from conveyor.orders import handlers as orders
from conveyor.orders.commands import LineInput, PaymentInput, PlaceOrder
from conveyor.orders.service import get_order
from conveyor.payments import service as payments
from conveyor.returns import handlers as returns
from conveyor.returns.service import Grading, ReturnItem
from conveyor.shared.errors import DomainError
from tests.integration.fulfilment.support import CUSTOMER_ADDRESS
from tests.integration.returns.support import fulfilment_orders, level, seed_shop, ship_through_floor

VISA = "4242424242424242"


def _paid_order(c) -> str:
    """3 mugs (Newark) at 19.99 + 6.00 tax, a cap (Los Angeles) at 15.00 + 1.50 tax, 4.90 + 0.49 shipping."""
    cmd = PlaceOrder(channel="web", currency="USD", customer_name="Ada Lovelace", customer_email="ada@example.com",
                     shipping_address=CUSTOMER_ADDRESS, shipping_minor=490, shipping_tax_minor=49,
                     lines=[LineInput("MUG", 3, 1999, 0, 600, name="Blue mug"),
                            LineInput("CAP", 1, 1500, 0, 150, name="Grey cap")],
                     payment=PaymentInput(provider="test", method="card", token=VISA))
    return orders.place_order(c, cmd, actor="test").order.id


def _payment(c, order_id):
    with c.reader() as uow:
        [payment] = payments.order_payments(uow, order_id)
        return payment


def test_capture_per_shipment_then_return_one_resellable_one_damaged_refund_and_credit_note(container):
    seed_shop(container)
    order_id = _paid_order(container)
    assert _payment(container, order_id).status == "authorized"

    newark = next(fo for fo in fulfilment_orders(container, order_id) if fo.lines[0].sku_code == "MUG")
    ship_through_floor(container, order_id, only=newark.id)  # a partial shipment: the mugs
    first = _payment(container, order_id)
    assert first.status == "partially_captured" and 0 < first.captured_minor < first.authorized_minor
    ship_through_floor(container, order_id)  # the rest: the cap
    paid = _payment(container, order_id)
    with container.reader() as uow:
        order = get_order(uow, order_id)
        mug_line = order.lines[0].id
        two_mugs = allocate(order_money(order)).lines[mug_line].total(0, 2)
    assert (paid.status, paid.captured_minor) == ("captured", order.total_minor)

    ret = returns.request_return(container, order_id, [ReturnItem("1", 2, "changed_mind")], actor="support")
    returns.approve_return(container, ret.id, "support")
    returns.create_label(container, ret.id, "support", location="NJ")
    returns.receive_return(container, ret.id, "NJ", "ops")
    line_id = ret.lines[0].id
    done = returns.grade_return(container, ret.id, [Grading(line_id, "resellable", 1), Grading(line_id, "damaged", 1)],
                                "ops")

    # Two mugs cost 2 × (19.99 + 2.00 tax) = 43.98; the policy keeps 10 % (4.40): 39.58 goes back.
    assert (two_mugs, done.goods_minor, done.restocking_fee_minor) == (4398, 4398, 440)
    assert (done.refund_status, done.refunded_minor, done.refund_due_minor) == ("refunded", 3958, 0)
    refunded = _payment(container, order_id)
    with container.reader() as uow:
        [note] = billing.order_credit_notes(uow, order_id)
        invoices = billing.order_invoices(uow, order_id)
        assert note.total_minor == refunded.refunded_minor == done.refunded_minor == 3958
        assert note.restocking_fee_minor == 440 and note.refund_key.endswith(f"return-{ret.id}")
        assert [(li.order_line_id, li.quantity) for li in note.lines] == [(mug_line, 2)]
        assert billing.documents_total([*invoices, note]) == refunded.captured_minor - refunded.refunded_minor
        assert get_order(uow, order_id).lines[0].returned == 2
        assert run_audit(uow) == []
    mug = level(container, "MUG", "NJ")
    assert (mug.on_hand, mug.quarantined, mug.available) == (8, 1, 8)

    with pytest.raises(DomainError) as nothing_left:
        returns.refund_return(container, ret.id, "support")
    assert nothing_left.value.code == "conflict"
