"""What goes back out: the JSON feed verified by the official Standard Webhooks library, and the
platforms' confirmations (fulfilment, cancel) naming the platform's own line ids. Orders come in
through the real intake (`receive_webhook`) from the platforms' recorded payloads."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from standardwebhooks.webhooks import Webhook

from conveyor.channels.handlers import create_channel, set_mappings, update_channel
from conveyor.channels.inbound import receive_webhook
from conveyor.channels.service import channel_info
from conveyor.channels.signatures import new_standard_webhook_secret, sign_standard_webhook
from conveyor.channels.skumap import Mapping
from conveyor.inventory.handlers import receive
from conveyor.messaging.handlers import default_handlers
from conveyor.messaging.worker import Worker
from conveyor.orders.handlers import cancel_order, ship_order
from conveyor.orders.service import find_by_external_id
from tests.helpers import seed_world
from tests.integration.channels.support import FIXTURES, seed_channels, shopify_headers

LIFECYCLE = FIXTURES / "lifecycle"
WHSEC = new_standard_webhook_secret()


def test_spec_test_vector_reproduces_with_our_signing_function():
    # The Standard Webhooks specification's published example (standard-webhooks/spec, "Signature scheme").
    headers = sign_standard_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                    1614265330, b'{"test": 2432232314}')
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize(("secret", "receiver_key"), [
    (WHSEC, WHSEC),  # what `new_standard_webhook_secret()` makes
    (WHSEC.removeprefix("whsec_"), WHSEC.removeprefix("whsec_")),  # the same secret without its prefix
    ("s3cret-feed-key", b"s3cret-feed-key"),  # not base64: the library takes it as raw bytes
], ids=["whsec", "plain", "text"])
def test_official_library_verifies_the_json_feed(container, platform, secret, receiver_key):
    seed_world(container, {"SKU-A": 10}, locations=1)
    worker = Worker(container, default_handlers(container))
    worker.drain()
    create_channel(container, code="feed", name="Feed", type="native",
                   config={"sync": "webhook", "feed_url": f"{platform.url}/feed"}, secrets={"feed_secret": secret})
    receive(container, "SKU-A", "WH1", 3, actor="test")
    worker.drain()
    [call] = platform.calls("POST", "/feed")
    verified = Webhook(receiver_key).verify(call.body, call.headers)
    assert verified["type"] == "inventory" and verified["items"][0]["sku"] == "SKU-A"
    assert call.headers["webhook-id"] == verified["id"]


def _shopify_order(container, platform, *, sync: dict) -> str:
    seed_channels(container)
    set_mappings(container, "shop", [Mapping("IPOD2008PINK", "IPOD-NANO-PINK")])
    update_channel(container, "shop", {"config": {"base_url": platform.url, "location_id": 1, **sync}})
    body = (LIFECYCLE / "shopify/order_sample_paid.json").read_bytes()
    assert receive_webhook(container, "shop", body, shopify_headers(body)).status_code == 201
    with container.reader() as uow:
        order = find_by_external_id(uow, channel_info(uow, "shop").id, "820982911946154508")
        assert order is not None
        return order.id


def test_shopify_fulfilment_names_the_shipped_line_items(container, platform):
    order_id = _shopify_order(container, platform, sync={"sync": "platform"})
    worker = Worker(container, default_handlers(container))
    worker.drain()
    platform.add("GET", "/admin/api/2024-10/orders/820982911946154508/fulfillment_orders.json", body={
        "fulfillment_orders": [{"id": 5001, "status": "open", "line_items": [
            {"id": 7001, "line_item_id": 866550311766439020, "fulfillable_quantity": 1},
            {"id": 7002, "line_item_id": 141249953214522974, "fulfillable_quantity": 1}]}]})
    with container.reader() as uow:
        from conveyor.orders.service import get_order

        first_line = get_order(uow, order_id).lines[0].id
    ship_order(container, order_id, location="WH-MAIN", lines={first_line: 1}, carrier="UPS", tracking_number="1Z9",
               actor="test")
    worker.drain()
    [posted] = [r.json() for r in platform.calls("POST", "/admin/api/2024-10/fulfillments.json")]
    assert posted["fulfillment"]["line_items_by_fulfillment_order"] == [
        {"fulfillment_order_id": 5001, "fulfillment_order_line_items": [{"id": 7001, "quantity": 1}]}]


def test_json_feed_order_message_names_platform_line_ids(container, platform):
    order_id = _shopify_order(container, platform, sync={"sync": "webhook", "feed_url": f"{platform.url}/feed"})
    worker = Worker(container, default_handlers(container))
    worker.drain()
    cancel_order(container, order_id, reason="out of stock", actor="staff")
    worker.drain()
    orders = [json.loads(r.body) for r in platform.calls("POST", "/feed") if json.loads(r.body)["type"] == "order"]
    assert [(o["event"], o["status"]) for o in orders] == [("order.cancelled", "cancelled")]
    assert sorted(i["platform_line_id"] for i in orders[0]["items"]) == ["141249953214522974", "866550311766439020"]


def test_a_cancel_that_came_from_the_channel_is_not_sent_back(container, platform):
    _shopify_order(container, platform, sync={"sync": "platform"})
    worker = Worker(container, default_handlers(container))
    worker.drain()
    body = (LIFECYCLE / "shopify/order_sample.json").read_bytes()
    headers = {**shopify_headers(body, delivery="d-cancel"), "X-Shopify-Topic": "orders/cancelled"}
    assert receive_webhook(container, "shop", body, headers).body["status"] == "cancelled"
    worker.drain()
    assert platform.calls("POST", "/admin/api/2024-10/orders/820982911946154508/cancel.json") == []


def test_amazon_cancel_is_an_acknowledgement_naming_each_order_item(container, platform):
    from tests.integration.channels_http.test_amazon_lifecycle import ORDER_ID

    seed_world(container, {"MUG-BLUE-12OZ": 10}, locations=1)
    create_channel(container, code="amz", name="Amazon", type="amazon", currency="USD",
                   config={"base_url": platform.url, "marketplace_ids": ["ATVPDKIKX0DER"], "seller_id": "A2SELLER",
                           "sync": "platform"}, secrets={"access_token": "Atza|t"})
    set_mappings(container, "amz", [Mapping("MUG-BLUE", "MUG-BLUE-12OZ")])
    platform.add("POST", "/feeds/2021-06-30/documents",
                 body={"feedDocumentId": "doc-1", "url": f"{platform.url}/upload/doc-1"})
    _place_amazon_unshipped(container)
    worker = Worker(container, default_handlers(container))
    worker.drain()
    with container.reader() as uow:
        order = find_by_external_id(uow, channel_info(uow, "amz").id, ORDER_ID)
        assert order is not None
    cancel_order(container, order.id, reason="no stock after all", actor="staff")
    worker.drain()
    [upload] = [r for r in platform.calls("PUT", "/upload/doc-1") if r.body.startswith(b"<?xml")]
    document = ElementTree.fromstring(upload.body)
    assert document.findtext(".//AmazonOrderID") == ORDER_ID and document.findtext(".//StatusCode") == "Failure"
    assert [i.findtext("AmazonOrderItemCode") for i in document.iter("Item")] == ["04285467438191"]
    feeds = [r.json()["feedType"] for r in platform.calls("POST", "/feeds/2021-06-30/feeds")]
    assert feeds.count("POST_ORDER_ACKNOWLEDGEMENT_DATA") == 1


def _place_amazon_unshipped(container) -> None:
    from conveyor.channels import handlers
    from conveyor.channels.classifiers.amazon import classify_order
    from conveyor.channels.inbound import apply

    orders = json.loads((LIFECYCLE / "amazon/get_orders_unshipped.json").read_bytes())["payload"]["Orders"]
    items = json.loads((LIFECYCLE / "amazon/order_items_unshipped.json").read_bytes())["payload"]["OrderItems"]
    with container.reader() as uow:
        channel = channel_info(uow, "amz")
    event = classify_order(orders[0], items, sku_lookup={"MUG-BLUE": "MUG-BLUE-12OZ"}.get, channel="amz")
    stored = handlers.store_payload(container, channel, b"{}", {}, "pull:test", source="pull")
    assert apply(container, channel, stored.id, event).status_code == 201


def test_bigcommerce_shipment_names_order_products_and_the_address(container, platform):
    from tests.integration.channels.support import bigcommerce_headers, fixture

    seed_channels(container, bc_base_url=platform.url)
    update_channel(container, "bc", {"config": {"store_hash": "abc123", "base_url": platform.url, "sync": "platform"}})
    base = "/stores/abc123/v2/orders/250"
    platform.add("GET", base, body=fixture("bigcommerce/order_250.json"))
    platform.add("GET", f"{base}/products", body=fixture("bigcommerce/order_250_products.json"))
    platform.add("GET", f"{base}/shipping_addresses", body=fixture("bigcommerce/order_250_shipping_addresses.json"))
    body = fixture("bigcommerce/webhook_order_created.json")
    assert receive_webhook(container, "bc", body, bigcommerce_headers(body)).status_code == 201
    worker = Worker(container, default_handlers(container))
    worker.drain()
    with container.reader() as uow:
        order = find_by_external_id(uow, channel_info(uow, "bc").id, "250")
        assert order is not None
    ship_order(container, order.id, location="WH-MAIN", carrier="ups", tracking_number="1Z1", actor="test")
    worker.drain()
    [shipment] = [r.json() for r in platform.calls("POST", f"{base}/shipments")]
    assert shipment["order_address_id"] == 51
    assert sorted((i["order_product_id"], i["quantity"]) for i in shipment["items"]) == [(101, 1), (102, 1), (103, 2)]
    assert [r.json() for r in platform.calls("PUT", base)] == [{"status_id": 2}]
