"""Platform webhooks through POST /api/v1/channels/{code}/inbound, signed as each platform signs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from tests.integration.channels.support import (
    bigcommerce_headers,
    fixture,
    seed_channels,
    shopify_headers,
    woo_headers,
)


@pytest.fixture
def channels(api, container, platform):
    seed_channels(container, bc_base_url=platform.url)
    return api


def post_raw(api, code: str, body: bytes, headers: dict[str, str]):
    return api.client.post(f"/api/v1/channels/{code}/inbound", content=body, headers=headers)


def count(container, table: str) -> int:
    with container.reader() as uow:
        return uow.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


def lines_of(order: dict) -> list[tuple]:
    return [(li["sku"], li["quantity"], li["unit_price"], li["discount"], li["tax"]) for li in order["lines"]]


def test_shopify_order_arrives_with_lines_totals_and_address(channels):
    body = fixture("shopify/order_create.json")
    r = post_raw(channels, "shop", body, shopify_headers(body))
    assert r.status_code == 201, r.text
    order = channels.get(f"/orders/{r.json()['order_id']}").json()
    assert order["external_id"] == "9007199254740993123" and order["currency"] == "USD"
    assert lines_of(order) == [("TEE-RED-M", 2, "25.00", "5.00", "3.60"),
                               ("IPOD-NANO-PINK", 1, "199.99", "0.00", "16.00")]
    assert order["totals"] == {"subtotal": "249.99", "discount": "5.00", "tax": "20.40", "shipping": "10.00",
                               "total": "275.39"}
    assert order["shipping_address"]["city"] == "Louisville" and order["status"] == "allocated"


def test_woocommerce_order_in_euros(channels):
    body = fixture("woocommerce/order_created.json")
    r = post_raw(channels, "woo", body, woo_headers(body))
    assert r.status_code == 201, r.text
    order = channels.get(f"/orders/{r.json()['order_id']}").json()
    assert order["currency"] == "EUR" and order["totals"]["total"] == "57.12"
    assert lines_of(order) == [("VINYL-SINGLE", 2, "6.00", "2.00", "1.90"),
                               ("TEE-BLACK-L", 1, "28.00", "0.00", "5.32")]
    assert order["customer"]["name"] == "José García"


def test_bigcommerce_thin_webhook_is_fetched_with_the_channel_credentials(channels, platform):
    base = "/stores/abc123/v2/orders/250"
    platform.add("GET", base, body=fixture("bigcommerce/order_250.json"))
    platform.add("GET", f"{base}/products", body=fixture("bigcommerce/order_250_products.json"))
    platform.add("GET", f"{base}/shipping_addresses", body=fixture("bigcommerce/order_250_shipping_addresses.json"))
    body = fixture("bigcommerce/webhook_order_created.json")
    r = post_raw(channels, "bc", body, bigcommerce_headers(body))
    assert r.status_code == 201, r.text
    order = channels.get(f"/orders/{r.json()['order_id']}").json()
    assert [li["sku"] for li in order["lines"]] == ["CAMERA-BODY", "LENS-50MM", "LENS-CLOTH"]
    assert order["totals"]["total"] == "175.91" and order["shipping_address"]["city"] == "Austin"
    assert {c.headers["x-auth-token"] for c in platform.calls("GET")} == {"tok-123"}


@pytest.mark.parametrize("tamper", ["body", "secret", "missing"])
def test_bad_signature_is_401_and_stores_nothing(channels, container, tamper):
    body = fixture("shopify/order_create.json")
    headers = shopify_headers(body, secret="wrong" if tamper == "secret" else "s3cret-webhook-key")
    if tamper == "body":
        body = body.replace(b'"quantity": 2', b'"quantity": 20')
    if tamper == "missing":
        headers.pop("X-Shopify-Hmac-Sha256")
    r = post_raw(channels, "shop", body, headers)
    assert r.status_code == 401 and r.json()["code"] == "invalid_signature"
    assert count(container, "inbound_payloads") == 0 and count(container, "orders") == 0


def test_woocommerce_creation_ping_gets_200(channels, container):
    r = post_raw(channels, "woo", b"webhook_id=17", {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and r.json() == {"status": "ping"}
    assert count(container, "inbound_payloads") == 0


def test_same_delivery_five_times_creates_one_order(channels, container):
    body = fixture("shopify/order_create.json")
    replies = [post_raw(channels, "shop", body, shopify_headers(body)) for _ in range(5)]
    assert [r.status_code for r in replies] == [201, 200, 200, 200, 200]
    assert len({r.json()["order_id"] for r in replies}) == 1
    assert count(container, "orders") == 1 and count(container, "inbound_payloads") == 1


def test_new_delivery_id_for_the_same_order_is_still_one_order(channels, container):
    body = fixture("shopify/order_create.json")
    first = post_raw(channels, "shop", body, shopify_headers(body, delivery="a"))
    second = post_raw(channels, "shop", body, shopify_headers(body, delivery="b"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["status"] == "duplicate" and count(container, "orders") == 1
    level = channels.get("/inventory/levels", params={"sku": "TEE-RED-M"}).json()["items"][0]
    assert level["allocated"] == 2  # allocated once, not twice


def test_unknown_sku_holds_the_order_naming_the_sku_and_mapping_then_release_allocates(channels):
    payload = json.loads(fixture("shopify/order_create.json"))
    payload["line_items"][0]["sku"] = "NEW-SHIRT"
    body = json.dumps(payload).encode()
    r = post_raw(channels, "shop", body, shopify_headers(body))
    assert r.status_code == 201, r.text
    order = channels.get(f"/orders/{r.json()['order_id']}").json()
    assert order["status"] == "on_hold" and "NEW-SHIRT" in order["hold_reason"]
    assert order["lines"][0]["sku"] == "NEW-SHIRT" and order["allocations"] == []
    assert any("NEW-SHIRT" in p and "Classic Tee" in p for p in r.json()["problems"])
    assert channels.put("/channels/shop/sku-map", [{"channel_sku": "NEW-SHIRT", "sku": "TEE-RED-M"}]).status_code == 200
    released = channels.post(f"/orders/{order['id']}/release")
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "allocated" and released.json()["lines"][0]["sku"] == "TEE-RED-M"


def test_signed_payload_that_is_not_json_is_kept_flagged_and_acknowledged(channels, container):
    # Refusing a validly signed delivery only makes the platform retry it and, in the end, disable
    # the webhook: it is stored and flagged for a person instead.
    body = b"<order><id>1</id></order>"
    r = post_raw(channels, "shop", body, shopify_headers(body))
    assert r.status_code == 200 and r.json()["status"] == "failed"
    assert any("not JSON" in p or "body_not_json" in p for p in r.json()["problems"])
    failed = channels.get("/channels/shop/payloads", params={"status": "failed"}).json()
    assert [p["id"] for p in failed] == [r.json()["payload_id"]] and failed[0]["body"] == body.decode()
    assert count(container, "orders") == 0


def test_declared_total_mismatch_is_flagged_not_rejected(channels):
    payload = json.loads(fixture("shopify/order_create.json"))
    payload["total_price"] = "300.00"
    body = json.dumps(payload).encode()
    r = post_raw(channels, "shop", body, shopify_headers(body))
    assert r.status_code == 201
    order = channels.get(f"/orders/{r.json()['order_id']}").json()
    assert "total_mismatch" in order["tags"] and "channel 300.00 USD, computed 275.39 USD" in order["notes"]
    assert order["channel_totals"]["total"] == "300.00" and order["channel_totals"]["computed"]["total"] == "275.39"
    mismatch = [e for e in channels.get(f"/orders/{order['id']}/timeline").json()
                if e["type"] == "channel.total_mismatch"]
    assert [(e["data"]["channel_total"], e["data"]["computed_total"]) for e in mismatch] == [
        ("300.00 USD", "275.39 USD")]
    assert any(p.startswith("total_mismatch") for p in r.json()["problems"])


def test_secrets_are_never_returned(channels):
    shown = channels.get("/channels/shop").json()
    assert shown["secrets_set"] == ["access_token", "webhook_secret"]
    assert "s3cret-webhook-key" not in json.dumps(channels.get("/channels").json())
