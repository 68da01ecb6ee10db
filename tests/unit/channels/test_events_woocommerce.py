"""WooCommerce deliveries → ChannelEvent: the topic plus the order's status decide."""

import pytest

from conveyor.channels.events import EventKind, classify
from conveyor.channels.statuses import PaymentState

from .lifecycle_support import lookup, raw


def _classify(topic, body_file):
    return classify("woocommerce", None, {"X-WC-Webhook-Topic": topic}, raw(f"woocommerce/{body_file}"),
                    sku_lookup=lookup, channel="woo")


def test_update_to_cancelled_is_a_cancel_not_a_duplicate():
    event = _classify("order.updated", "order_updated_cancelled.json")
    assert event.kind == EventKind.CANCELLED and event.external_id == "727"
    assert event.cancelled_on_channel and not event.ready_to_ship


def test_deleted_body_with_only_an_id_is_understood():
    event = _classify("order.deleted", "order_deleted.json")
    assert (event.kind, event.external_id, event.problems) == (EventKind.DELETED, "727", [])


@pytest.mark.parametrize(
    ("topic", "body", "kind", "payment", "hold"),
    [
        ("order.created", "order_created_processing.json", EventKind.CREATED, PaymentState.PAID, None),
        ("order.created", "order_created_on_hold.json", EventKind.CREATED, PaymentState.AWAITING_PAYMENT,
         "awaiting_payment: on-hold"),
        ("order.created", "order_created_pending.json", EventKind.CREATED, PaymentState.AWAITING_PAYMENT,
         "awaiting_payment: pending"),
        ("order.updated", "order_updated_failed.json", EventKind.UPDATED, PaymentState.AWAITING_PAYMENT,
         "awaiting_payment: failed"),
        ("order.updated", "order_updated_processing.json", EventKind.UPDATED, PaymentState.PAID, None),
        ("order.updated", "order_updated_completed.json", EventKind.FULFILLED, PaymentState.PAID, None),
        ("order.updated", "order_updated_refunded.json", EventKind.REFUNDED, PaymentState.REFUNDED,
         "payment_refunded: refunded"),
        ("order.restored", "order_restored.json", EventKind.RESTORED, PaymentState.AWAITING_PAYMENT,
         "awaiting_payment: on-hold"),
    ],
)  # fmt: skip
def test_status_decides_kind_payment_and_hold(topic, body, kind, payment, hold):
    event = _classify(topic, body)
    assert (event.kind, event.payment_state, event.order.order.hold_reason) == (kind, payment, hold)


def test_refunds_in_the_body_come_along_and_partial_refund_is_shippable():
    event = _classify("order.updated", "order_updated_partial_refund.json")
    assert event.payment_state == PaymentState.PARTIALLY_REFUNDED and event.ready_to_ship
    assert [(r.refund_id, r.amount_minor, r.currency) for r in event.refunds] == [("725", 1000, "EUR")]


def test_order_number_line_ids_and_stable_key_for_an_empty_sku():
    mapped = _classify("order.created", "order_created_processing.json").order
    assert mapped.order_number == "727"
    assert [(r.platform_line_id, r.sku_key) for r in mapped.line_refs] == [
        ("315", "WOO-SINGLE"), ("316", "woocommerce:product:22:23")]
    # The earlier `variation_id:23` mapping still resolves the line.
    assert mapped.order.lines[1].sku == "TEE-BLACK-L"


def test_totals_as_sent_beside_ours():
    mapped = _classify("order.created", "order_created_processing.json").order
    totals = mapped.channel_totals
    figures = (totals.discount_minor, totals.shipping_minor, totals.tax_minor, totals.total_minor)
    assert figures == (200, 1000, 912, 5712)
    assert totals.as_sent["total"] == "57.12" and mapped.computed.total_minor == 5712


def test_tax_given_only_at_order_level_is_not_lost():
    body = raw("woocommerce/order_created_processing.json").replace(b'"total_tax": "1.90"', b'"total_tax": "0.00"', 1)
    body = body.replace(b'"total_tax": "5.32"', b'"total_tax": "0.00"', 1)
    mapped = classify("woocommerce", "order.created", {}, body, sku_lookup=lookup, channel="woo").order
    assert mapped.channel_totals.order_level_tax_minor == 722
    assert sum(line.tax_minor for line in mapped.order.lines) == 722
    assert not mapped.total_mismatch and mapped.computed.total_minor == 5712


def test_topic_missing_is_unknown_and_acknowledged():
    event = classify("woocommerce", None, {}, raw("woocommerce/order_created_processing.json"),
                     sku_lookup=lookup, channel="woo")
    assert event.kind == EventKind.UNKNOWN and event.problems == ["unknown_topic: <none>"]
