"""Amazon polled orders → ChannelEvent, over the SP-API reference examples."""

from conveyor.channels.classifiers.amazon import classify_order
from conveyor.channels.events import EventKind, classify
from conveyor.channels.statuses import PaymentState

from .lifecycle_support import amazon_pull, lookup


def _event(orders_file, items_file):
    order, items = amazon_pull(orders_file, items_file)
    return classify_order(order, items, sku_lookup=lookup, channel="amz")


def test_pending_without_order_total_maps_in_the_marketplace_currency_and_waits_for_payment():
    event = _event("get_orders_pending.json", "order_items_pending.json")
    assert event.kind == EventKind.CREATED and event.payment_state == PaymentState.PENDING
    mapped = event.order
    assert mapped is not None and mapped.order.currency == "USD"  # from ATVPDKIKX0DER
    assert mapped.order.hold_reason == "awaiting_payment: Pending" and mapped.declared_total_minor is None
    assert [r.platform_line_id for r in mapped.line_refs] == ["04285467438191"]  # leading zero kept


def test_same_order_unshipped_is_paid_and_ready():
    event = _event("get_orders_unshipped.json", "order_items_unshipped.json")
    assert event.ready_to_ship and event.order.order.hold_reason is None
    assert event.order.declared_total_minor == event.order.computed_total_minor == 2597


def test_canceled_is_a_cancel():
    event = _event("get_orders_canceled.json", "order_items_unshipped.json")
    assert event.kind == EventKind.CANCELLED and event.cancelled_on_channel


def test_buyer_cancel_request_gift_wrap_cod_and_extra_decimals_are_surfaced():
    event = _event("get_orders_buyer_cancel.json", "order_items_buyer_cancel.json")
    assert event.buyer_cancel_requested and event.cancel_reason == "Found cheaper somewhere else."
    problems = event.problems
    assert "buyer_cancel_requested: Found cheaper somewhere else." in problems
    assert any(p.startswith("amount_precision: item 68828574383266 ItemPrice 25.99 JPY") for p in problems)
    assert any(p.startswith("unsupported_cod_fee: item 68828574383266") for p in problems)
    assert any(p.startswith("currency_mismatch: item 68828574383266 GiftWrapPrice 41.99 GBP") for p in problems)
    totals = event.order.channel_totals
    assert totals.other_charges_minor == 9 + 2  # COD 10 - 1 discount, gift wrap 1.99 JPY → 2
    assert event.order.mismatch_note == "channel 71 JPY, computed 45 JPY"


def test_stored_pull_body_classifies_the_same():
    order, items = amazon_pull("get_orders_unshipped.json", "order_items_unshipped.json")
    event = classify("amazon", None, {}, {"order": order, "items": items}, sku_lookup=lookup, channel="amz")
    assert event.kind == EventKind.CREATED and event.payment_state == PaymentState.PAID
