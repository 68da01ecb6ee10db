"""BigCommerce deliveries → ChannelEvent: thin callbacks, then the fetched order."""

from conveyor.channels.events import EventKind, classify
from conveyor.channels.statuses import PaymentState

from .lifecycle_support import bigcommerce_fetched, lookup, raw


def _classify(body_file, fetched=None):
    return classify("bigcommerce", None, {}, raw(f"bigcommerce/{body_file}"), sku_lookup=lookup, channel="bc",
                    fetched=fetched)


def test_thin_callback_names_the_order_and_asks_for_a_fetch():
    event = _classify("store_order_created.json")
    assert (event.kind, event.external_id, event.needs_fetch, event.order) == (EventKind.CREATED, "250", True, None)


def test_status_updated_carries_the_new_status():
    event = _classify("store_order_statusUpdated.json")
    assert event.payment_state == PaymentState.PAID and event.platform_status == "Awaiting Fulfillment"


def test_awaiting_payment_order_is_accepted_but_held():
    event = _classify("store_order_created.json", bigcommerce_fetched("bigcommerce/order_250_awaiting_payment.json"))
    assert event.payment_state == PaymentState.AWAITING_PAYMENT and not event.ready_to_ship
    assert event.order.order.hold_reason == "awaiting_payment: Awaiting Payment"


def test_paid_order_is_ready_with_line_ids_and_totals_as_sent():
    event = _classify("store_order_updated.json", bigcommerce_fetched())
    assert event.kind == EventKind.UPDATED and event.ready_to_ship and event.needs_fetch is False
    assert [r.platform_line_id for r in event.order.line_refs] == ["101", "102", "103"]
    assert event.order.channel_totals.as_sent["total_inc_tax"] == "175.9100"
    assert event.order.channel_totals.total_minor == 17591


def test_cancelled_status_on_update_is_a_cancel():
    event = _classify("store_order_updated.json", bigcommerce_fetched("bigcommerce/order_250_cancelled.json"))
    assert event.kind == EventKind.CANCELLED and event.cancelled_on_channel


def test_refund_created_records_the_fetched_refund():
    event = _classify("store_order_refund_created.json",
                      bigcommerce_fetched("bigcommerce/order_250_partially_refunded.json", refunds=True))
    assert event.kind == EventKind.REFUNDED and event.payment_state == PaymentState.PARTIALLY_REFUNDED
    (refund,) = event.refunds
    assert (refund.amount_minor, refund.reason, [li.platform_line_id for li in refund.lines]) == (
        1000, "Lens cloth missing", ["103"])


def test_archive_and_unknown_scopes():
    assert _classify("store_order_archived.json").kind == EventKind.ARCHIVED
    message = _classify("store_order_message_created.json")
    assert message.kind == EventKind.UNKNOWN and not message.needs_fetch
