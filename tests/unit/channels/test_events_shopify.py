"""Shopify deliveries → ChannelEvent, over Shopify's documented sample payloads."""

from conveyor.channels.events import EventKind, classify
from conveyor.channels.statuses import PaymentState

from .lifecycle_support import lookup, raw


def _classify(topic_headers, body_file):
    return classify("shopify", None, topic_headers, raw(body_file), sku_lookup=lookup, channel="shop")


def test_cancelled_for_an_unseen_order_is_a_cancel_not_a_new_order():
    event = _classify({"X-Shopify-Topic": "orders/cancelled"}, "shopify/order_sample.json")
    assert event.kind == EventKind.CANCELLED and event.external_id == "820982911946154508"
    assert event.cancel_reason == "customer" and not event.ready_to_ship
    # The order rides along (for the timeline) but is held: nothing may allocate it.
    assert event.order.order.hold_reason == "cancelled_on_channel: voided"


def test_create_with_the_documented_cancelled_body_is_held_not_allocated():
    event = _classify({"X-Shopify-Topic": "orders/create"}, "shopify/order_sample.json")
    assert event.kind == EventKind.CREATED and event.cancelled_on_channel
    assert event.payment_state == PaymentState.VOIDED
    assert event.order.order.hold_reason.startswith("cancelled_on_channel")


def test_paid_sample_is_ready_to_ship_with_number_and_line_ids():
    event = _classify({"X-Shopify-Topic": "orders/paid"}, "shopify/order_sample_paid.json")
    assert event.kind == EventKind.PAID and event.ready_to_ship
    assert event.order_number == "#9999"
    assert [r.platform_line_id for r in event.order.line_refs] == ["866550311766439020", "141249953214522974"]
    assert event.order.order.hold_reason is None


def test_pending_update_is_accepted_but_awaiting_payment():
    event = _classify({"shopify-topic": "orders/updated"}, "shopify/order_sample_pending.json")
    assert event.kind == EventKind.UPDATED and event.payment_state == PaymentState.PENDING
    assert event.order.order.hold_reason == "awaiting_payment: pending"


def test_update_with_closed_at_is_an_archive():
    closed = b'"closed_at": "2022-01-02T10:00:00-05:00"'
    body = raw("shopify/order_sample_paid.json").replace(b'"closed_at": null', closed)
    event = classify("shopify", "orders/updated", {}, body, sku_lookup=lookup, channel="shop")
    assert event.kind == EventKind.ARCHIVED


def test_documented_totals_are_kept_and_unallocated_discount_is_an_order_discount():
    mapped = _classify({"X-Shopify-Topic": "orders/paid"}, "shopify/order_sample_paid.json").order
    totals = mapped.channel_totals
    assert (totals.subtotal_minor, totals.discount_minor, totals.shipping_minor, totals.total_minor) == (
        38800, 2000, 1000, 38800)
    assert totals.as_sent["total_price"] == "388.00"
    assert mapped.order.order_discount_minor == 2000 and not mapped.total_mismatch
    assert mapped.computed.total_minor == 38800


def test_delete_names_the_order_and_creates_nothing():
    event = _classify({"X-Shopify-Topic": "orders/delete"}, "shopify/orders_delete.json")
    assert (event.kind, event.external_id, event.order) == (EventKind.DELETED, "820982911946154508", None)


def test_refund_is_recorded_with_amount_line_and_reason():
    event = _classify({"X-Shopify-Topic": "refunds/create"}, "shopify/refunds_create.json")
    assert event.kind == EventKind.REFUNDED and event.external_id == "820982911946154508"
    (refund,) = event.refunds
    assert (refund.refund_id, refund.amount_minor, refund.currency, refund.reason) == (
        "890088186047892319", 8999, "USD", "Things were damaged")
    assert [(li.platform_line_id, li.quantity) for li in refund.lines] == [("487817672276298554", 1)]


def test_unknown_topic_is_stored_as_unknown_with_a_problem():
    event = _classify({"X-Shopify-Topic": "orders/risk_assessment_changed"}, "shopify/order_sample_paid.json")
    assert event.kind == EventKind.UNKNOWN and event.order is None
    assert event.problems == ["unknown_topic: orders/risk_assessment_changed"]


def test_blank_sku_gets_one_stable_variant_key():
    body = raw("shopify/order_sample_paid.json").replace(b'"sku": "IPOD2008PINK"', b'"sku": ""')
    event = classify("shopify", "orders/create", {}, body, sku_lookup=lookup, channel="shop")
    assert {r.sku_key for r in event.order.line_refs} == {"shopify:variant:808950810"}
    assert event.order.order.hold_reason == "unmapped_sku: shopify:variant:808950810"
