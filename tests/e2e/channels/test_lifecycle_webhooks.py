"""Every order event the platforms send, through the real endpoint, for a known order and for one
never seen: the platforms' documented payloads (tests/fixtures/channels/lifecycle/*/SOURCE.md),
signed as each platform signs, with the effect on the order, the stock and the timeline."""

from __future__ import annotations

import json

import pytest

from tests.integration.channels.support import seed_channels

from .lifecycle_http import (
    allocated,
    deliver,
    lifecycle,
    order_of,
    payloads,
    serve_bigcommerce_order,
    signed_headers,
    timeline_data,
    timeline_types,
    with_changes,
)

SHOPIFY_ID, WOO_ID, BC_ID = "820982911946154508", "727", "250"


@pytest.fixture
def channels(api, container, platform):
    seed_channels(container, bc_base_url=platform.url)
    # The Shopify sample's line items carry the SKU "IPOD2008PINK".
    mapped = api.put("/channels/shop/sku-map", [{"channel_sku": "IPOD2008PINK", "sku": "IPOD-NANO-PINK"}])
    assert mapped.status_code == 200
    return api


# --- Shopify ------------------------------------------------------------------------------------------

def test_shopify_unpaid_order_is_held_then_paid_refunded_updated_cancelled_and_deleted(channels):
    created = deliver(channels, "shopify", "shopify/order_sample_pending.json", "orders/create")
    assert created.status_code == 201, created.text
    order = order_of(channels, SHOPIFY_ID)
    assert (order["status"], order["hold_reason"]) == ("on_hold", "awaiting_payment: pending")
    assert order["order_number"] == "#9999" and order["channel_payment"] == "pending"
    assert [li["platform_line_id"] for li in order["lines"]] == ["866550311766439020", "141249953214522974"]
    assert order["channel_totals"]["total"] == "388.00" and allocated(channels, "IPOD-NANO-PINK") == 0
    assert [o["id"] for o in channels.get("/orders", params={"q": "#9999"}).json()["items"]] == [order["id"]]

    paid = deliver(channels, "shopify", "shopify/order_sample_paid.json", "orders/paid")
    assert paid.status_code == 200 and paid.json()["status"] == "updated"
    order = order_of(channels, SHOPIFY_ID)
    assert (order["status"], order["channel_payment"]) == ("allocated", "paid")
    assert allocated(channels, "IPOD-NANO-PINK") == 2
    assert {"channel.payment", "order.released", "order.allocated"} <= set(timeline_types(channels, order["id"]))

    for delivery in ("refund-1", "refund-2"):  # the same refund delivered twice is recorded once
        r = deliver(channels, "shopify", "shopify/refunds_create.json", "refunds/create", delivery)
        assert r.status_code == 200
    refunds = timeline_data(channels, order["id"], "channel.refunded")
    assert [(r["refund_id"], r["amount"], r["reason"]) for r in refunds] == [
        ("890088186047892319", "89.99 USD", "Things were damaged")]

    moved = with_changes("shopify/order_sample_paid.json", email="new.address@example.com")
    assert deliver(channels, "shopify", moved, "orders/updated").json()["status"] == "updated"
    assert order_of(channels, SHOPIFY_ID)["customer"]["email"] == "new.address@example.com"

    cancelled = deliver(channels, "shopify", "shopify/order_sample.json", "orders/cancelled")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    order = order_of(channels, SHOPIFY_ID)
    assert order["status"] == "cancelled" and allocated(channels, "IPOD-NANO-PINK") == 0
    assert "order.cancelled" in timeline_types(channels, order["id"])

    assert deliver(channels, "shopify", "shopify/orders_delete.json", "orders/delete").status_code == 200
    assert "channel.deleted" in timeline_types(channels, order["id"])
    assert "deleted_on_channel" in order_of(channels, SHOPIFY_ID)["tags"]


@pytest.mark.parametrize(("fixture", "topic"), [
    ("shopify/order_sample.json", "orders/cancelled"), ("shopify/order_sample_paid.json", "orders/updated"),
    ("shopify/order_sample_paid.json", "orders/paid"), ("shopify/refunds_create.json", "refunds/create"),
    ("shopify/orders_delete.json", "orders/delete"), ("shopify/order_sample_paid.json", "orders/fulfilled")])
def test_shopify_event_for_an_order_never_seen_is_stored_and_creates_nothing(channels, fixture, topic):
    r = deliver(channels, "shopify", fixture, topic)
    assert r.status_code == 200 and r.json()["status"] == "ignored" and r.json()["order_id"] is None
    assert order_of(channels, SHOPIFY_ID) is None and allocated(channels, "IPOD-NANO-PINK") == 0
    assert [p["id"] for p in payloads(channels, "shop", "ignored")] == [r.json()["payload_id"]]


def test_shopify_create_arriving_after_its_cancel_is_held_not_shipped(channels):
    # Shopify does not promise order: the cancel came first, then the (paid) create.
    assert deliver(channels, "shopify", "shopify/order_sample.json", "orders/cancelled").json()["status"] == "ignored"
    created = deliver(channels, "shopify", "shopify/order_sample_paid.json", "orders/create")
    assert created.status_code == 201
    order = order_of(channels, SHOPIFY_ID)
    assert order["status"] == "on_hold" and order["hold_reason"].startswith("cancelled_on_channel")
    assert allocated(channels, "IPOD-NANO-PINK") == 0


def test_shopify_unprefixed_headers_reach_the_same_order(channels):
    body = with_changes("shopify/order_sample_paid.json")
    headers = {k.lower().removeprefix("x-"): v for k, v in signed_headers("shopify", body, "orders/create").items()}
    r = channels.client.post("/api/v1/channels/shop/inbound", content=body, headers=headers)
    assert r.status_code == 201, r.text
    assert order_of(channels, SHOPIFY_ID)["status"] == "allocated"


# --- WooCommerce --------------------------------------------------------------------------------------

def test_woocommerce_on_hold_order_is_paid_partly_refunded_refunded_and_cancelled(channels):
    created = deliver(channels, "woocommerce", "woocommerce/order_created_on_hold.json", "order.created")
    assert created.status_code == 201
    order = order_of(channels, WOO_ID)
    assert (order["status"], order["hold_reason"]) == ("on_hold", "awaiting_payment: on-hold")
    assert [li["platform_line_id"] for li in order["lines"]] == ["315", "316"]
    assert allocated(channels, "VINYL-SINGLE") == 0

    paid = deliver(channels, "woocommerce", "woocommerce/order_updated_processing.json", "order.updated")
    assert paid.status_code == 200
    assert order_of(channels, WOO_ID)["status"] == "allocated" and allocated(channels, "VINYL-SINGLE") == 2

    deliver(channels, "woocommerce", "woocommerce/order_updated_partial_refund.json", "order.updated")
    deliver(channels, "woocommerce", "woocommerce/order_updated_refunded.json", "order.updated")
    refunds = timeline_data(channels, order["id"], "channel.refunded")
    assert [(r["refund_id"], r["amount"]) for r in refunds] == [("725", "10.00 EUR"), ("726", "57.12 EUR")]
    assert order_of(channels, WOO_ID)["channel_payment"] == "refunded"

    # Before this issue: "200 duplicate" and the order stayed allocated.
    cancelled = deliver(channels, "woocommerce", "woocommerce/order_updated_cancelled.json", "order.updated")
    assert cancelled.json()["status"] == "cancelled"
    assert order_of(channels, WOO_ID)["status"] == "cancelled" and allocated(channels, "VINYL-SINGLE") == 0


def test_woocommerce_delete_and_restore_of_a_known_order_are_recorded(channels):
    deliver(channels, "woocommerce", "woocommerce/order_created_processing.json", "order.created")
    order = order_of(channels, WOO_ID)
    deleted = deliver(channels, "woocommerce", "woocommerce/order_deleted.json", "order.deleted")
    assert deleted.status_code == 200 and deleted.json()["event"] == "deleted"  # was 422 on every delivery
    restored = deliver(channels, "woocommerce", "woocommerce/order_restored.json", "order.restored")
    assert restored.status_code == 200
    assert {"channel.deleted", "channel.restored"} <= set(timeline_types(channels, order["id"]))
    restored_order = order_of(channels, WOO_ID)
    assert restored_order["status"] == "allocated"  # recorded, not cancelled
    assert "deleted_on_channel" not in restored_order["tags"]  # the tag the delete set is gone again


@pytest.mark.parametrize(("fixture", "topic"), [
    ("woocommerce/order_updated_cancelled.json", "order.updated"),
    ("woocommerce/order_updated_processing.json", "order.updated"),
    ("woocommerce/order_updated_refunded.json", "order.updated"),
    ("woocommerce/order_deleted.json", "order.deleted")])
def test_woocommerce_event_for_an_order_never_seen_creates_nothing(channels, fixture, topic):
    r = deliver(channels, "woocommerce", fixture, topic)
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    assert order_of(channels, WOO_ID) is None and allocated(channels, "VINYL-SINGLE") == 0


def test_unpaid_orders_may_be_allocated_but_not_released_per_channel(channels):
    assert channels.patch("/channels/woo", {"config": {"unpaid_orders": "allocate"}}).status_code == 200
    deliver(channels, "woocommerce", "woocommerce/order_created_pending.json", "order.created")
    order = order_of(channels, WOO_ID)
    assert (order["status"], order["hold_reason"]) == ("on_hold", "awaiting_payment: pending")
    assert allocated(channels, "VINYL-SINGLE") == 2  # stock is kept for it, nothing is released
    deliver(channels, "woocommerce", "woocommerce/order_updated_processing.json", "order.updated")
    assert order_of(channels, WOO_ID)["status"] == "allocated" and allocated(channels, "VINYL-SINGLE") == 2


# --- BigCommerce ----------------------------------------------------------------------------------------

def test_bigcommerce_awaiting_payment_then_paid_refunded_cancelled_archived(channels, platform):
    serve_bigcommerce_order(platform, "lifecycle/bigcommerce/order_250_awaiting_payment.json")
    assert deliver(channels, "bigcommerce", "bigcommerce/store_order_created.json").status_code == 201
    order = order_of(channels, BC_ID)
    assert (order["status"], order["hold_reason"]) == ("on_hold", "awaiting_payment: Awaiting Payment")
    assert allocated(channels, "CAMERA-BODY") == 0

    serve_bigcommerce_order(platform, "bigcommerce/order_250.json")  # Awaiting Fulfillment: paid
    assert deliver(channels, "bigcommerce", "bigcommerce/store_order_statusUpdated.json").status_code == 200
    assert order_of(channels, BC_ID)["status"] == "allocated" and allocated(channels, "CAMERA-BODY") == 1

    serve_bigcommerce_order(platform, "lifecycle/bigcommerce/order_250_partially_refunded.json", refunds=True)
    assert deliver(channels, "bigcommerce", "bigcommerce/store_order_refund_created.json").status_code == 200
    [refund] = timeline_data(channels, order["id"], "channel.refunded")
    cloth = next(li for li in order["lines"] if li["sku"] == "LENS-CLOTH")
    assert (refund["amount"], refund["lines"][0]["platform_line_id"], refund["lines"][0]["line_id"]) == (
        "10.00 USD", "103", cloth["id"])

    serve_bigcommerce_order(platform, "lifecycle/bigcommerce/order_250_cancelled.json")
    assert deliver(channels, "bigcommerce", "bigcommerce/store_order_updated.json").json()["status"] == "cancelled"
    assert order_of(channels, BC_ID)["status"] == "cancelled" and allocated(channels, "CAMERA-BODY") == 0
    assert deliver(channels, "bigcommerce", "bigcommerce/store_order_archived.json").status_code == 200
    assert "channel.archived" in timeline_types(channels, order["id"])


@pytest.mark.parametrize("fixture", ["bigcommerce/store_order_updated.json", "bigcommerce/store_order_archived.json",
                                     "bigcommerce/store_order_refund_created.json"])
def test_bigcommerce_event_for_an_order_never_seen_creates_nothing(channels, platform, fixture):
    serve_bigcommerce_order(platform, "lifecycle/bigcommerce/order_250_cancelled.json", refunds=True)
    r = deliver(channels, "bigcommerce", fixture)
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    assert order_of(channels, BC_ID) is None and allocated(channels, "CAMERA-BODY") == 0


def test_bigcommerce_topic_we_do_not_act_on_is_stored_and_flagged(channels, platform):
    r = deliver(channels, "bigcommerce", "bigcommerce/store_order_message_created.json")
    assert r.status_code == 200 and r.json()["status"] == "failed"
    assert any("unknown_topic" in p for p in r.json()["problems"])
    assert [p["id"] for p in payloads(channels, "bc", "failed")] == [r.json()["payload_id"]]


def test_bigcommerce_order_that_cannot_be_fetched_now_is_accepted_and_fetched_again(channels, platform, container):
    from conveyor.messaging.handlers import default_handlers
    from conveyor.messaging.worker import Worker

    platform.add("GET", "/stores/abc123/v2/orders/250", status=503, body=b'{"status": 503}')
    r = deliver(channels, "bigcommerce", "bigcommerce/store_order_created.json")
    assert r.status_code == 202 and r.json()["status"] == "accepted"
    assert order_of(channels, BC_ID) is None
    serve_bigcommerce_order(platform, "bigcommerce/order_250.json")
    Worker(container, default_handlers(container)).drain()
    assert order_of(channels, BC_ID)["status"] == "allocated"


# --- SKUs the channel sends that we have not mapped ------------------------------------------------------

def _woo_with_new_variation(order_id: int, status: str) -> bytes:
    """The docs' order 727 with its second line a variation nobody has mapped yet (no SKU)."""
    document = json.loads(lifecycle("woocommerce/order_created_processing.json"))
    document.update(id=order_id, number=str(order_id), status=status)
    document["line_items"][1]["variation_id"] = 99
    return json.dumps(document).encode()


def test_mapping_a_stable_key_once_releases_every_order_held_for_it(channels):
    key = "woocommerce:product:22:99"
    for order_id, status in [(901, "processing"), (902, "on-hold")]:
        body = _woo_with_new_variation(order_id, status)
        assert deliver(channels, "woocommerce", body, "order.created").status_code == 201
    paid, unpaid = order_of(channels, "901"), order_of(channels, "902")
    assert paid["hold_reason"] == f"unmapped_sku: {key}" and paid["lines"][1]["sku"] == key
    assert unpaid["hold_reason"] == f"unmapped_sku: {key}; awaiting_payment: on-hold"

    r = channels.post("/channels/woo/sku-map/release", {"channel_sku": key, "sku": "TEE-BLACK-L"})
    assert r.status_code == 200, r.text
    assert r.json()["released"] == [paid["id"]]
    assert r.json()["still_held"] == [{"order_id": unpaid["id"], "hold_reason": "awaiting_payment: on-hold"}]
    paid = order_of(channels, "901")
    assert paid["status"] == "allocated" and paid["lines"][1]["sku"] == "TEE-BLACK-L"
    assert allocated(channels, "TEE-BLACK-L") == 1

    # … and it applies to the orders that come next.
    later = deliver(channels, "woocommerce", _woo_with_new_variation(903, "processing"), "order.created")
    assert later.status_code == 201
    assert order_of(channels, "903")["status"] == "allocated"
