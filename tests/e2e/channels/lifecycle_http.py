"""Shared by the lifecycle tests over HTTP: the platforms' recorded payloads
(tests/fixtures/channels/lifecycle, sources in each folder's SOURCE.md), signed as each platform
signs them and posted to POST /api/v1/channels/{code}/inbound, and what the tests read back."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.integration.channels.support import FIXTURES, bigcommerce_headers, shopify_headers, woo_headers

LIFECYCLE = FIXTURES / "lifecycle"
CODES = {"shopify": "shop", "woocommerce": "woo", "bigcommerce": "bc"}
BC_ORDER = "/stores/abc123/v2/orders/250"
_deliveries = itertools.count(1)


def lifecycle(relative: str) -> bytes:
    return (LIFECYCLE / relative).read_bytes()


def signed_headers(platform: str, body: bytes, topic: str = "", delivery: str | None = None) -> dict[str, str]:
    """The platform's own headers for `body`: its signature, delivery id and topic."""
    delivery = delivery or f"delivery-{next(_deliveries)}"
    if platform == "shopify":
        return {**shopify_headers(body, delivery=delivery), "X-Shopify-Topic": topic}
    if platform == "woocommerce":
        return {**woo_headers(body, delivery=delivery), "X-WC-Webhook-Topic": topic}
    return bigcommerce_headers(body, delivery=delivery)  # BigCommerce names the topic in the body's scope


def deliver(api, platform: str, fixture: str | bytes, topic: str = "", delivery: str | None = None):
    body = fixture if isinstance(fixture, bytes) else lifecycle(fixture)
    return api.client.post(f"/api/v1/channels/{CODES[platform]}/inbound", content=body,
                           headers=signed_headers(platform, body, topic, delivery))


def serve_bigcommerce_order(platform, order_file: str, refunds: bool = False) -> None:
    """What the fake BigCommerce API answers for order 250 from now on (v2 order, products,
    shipping addresses; v3 refunds)."""
    platform.routes.pop(("GET", BC_ORDER), None)
    platform.add("GET", BC_ORDER, body=(FIXTURES / order_file).read_bytes())
    platform.add("GET", f"{BC_ORDER}/products", body=(FIXTURES / "bigcommerce/order_250_products.json").read_bytes())
    platform.add("GET", f"{BC_ORDER}/shipping_addresses",
                 body=(FIXTURES / "bigcommerce/order_250_shipping_addresses.json").read_bytes())
    if refunds:
        platform.routes.pop(("GET", "/stores/abc123/v3/orders/250/payment_actions/refunds"), None)
        platform.add("GET", "/stores/abc123/v3/orders/250/payment_actions/refunds",
                     body=lifecycle("bigcommerce/order_250_refunds.json"))


def order_of(api, external_id: str) -> dict[str, Any] | None:
    found = [o for o in api.get("/orders", params={"limit": 200}).json()["items"] if o["external_id"] == external_id]
    assert len(found) <= 1, "one platform order must never become two orders"
    return found[0] if found else None


def timeline_types(api, order_id: str) -> list[str]:
    return [e["type"] for e in api.get(f"/orders/{order_id}/timeline").json()]


def timeline_data(api, order_id: str, event_type: str) -> list[dict[str, Any]]:
    return [e["data"] for e in api.get(f"/orders/{order_id}/timeline").json() if e["type"] == event_type]


def allocated(api, sku: str) -> int:
    return sum(level["allocated"] for level in api.get("/inventory/levels", params={"sku": sku}).json()["items"])


def payloads(api, code: str, status: str) -> list[dict[str, Any]]:
    return api.get(f"/channels/{code}/payloads", params={"status": status}).json()


def with_changes(fixture: str, **changes: Any) -> bytes:
    document = json.loads(lifecycle(fixture))
    document.update(changes)
    return json.dumps(document).encode()
