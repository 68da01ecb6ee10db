"""Shared by the lifecycle tests: the recorded payloads (tests/fixtures/channels/lifecycle, see the
SOURCE.md in each folder) and the deliveries the tests drive through `classify`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "channels"
LIFECYCLE = FIXTURES / "lifecycle"
SKUS = {"IPOD2008PINK": "IPOD-NANO-PINK", "WOO-SINGLE": "VINYL-SINGLE", "variation_id:23": "TEE-BLACK-L",
        "CAM-100": "CAMERA-BODY", "LENS-50": "LENS-50MM", "variant_id:155": "LENS-CLOTH", "MUG-BLUE": "MUG-BLUE-12OZ"}


def lookup(key: str) -> str | None:
    return SKUS.get(key)


def raw(relative: str) -> bytes:
    return (LIFECYCLE / relative).read_bytes()


def doc(relative: str) -> Any:
    return json.loads((LIFECYCLE / relative).read_text())


def bigcommerce_fetched(order_file: str = "../bigcommerce/order_250.json", refunds: bool = False) -> dict[str, Any]:
    fetched = {"order": doc(order_file), "products": doc("../bigcommerce/order_250_products.json"),
               "shipping_addresses": doc("../bigcommerce/order_250_shipping_addresses.json")}
    if refunds:
        fetched["refunds"] = doc("bigcommerce/order_250_refunds.json")["data"]
    return fetched


def amazon_pull(orders_file: str, items_file: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return doc(f"amazon/{orders_file}")["payload"]["Orders"][0], doc(f"amazon/{items_file}")["payload"]["OrderItems"]


# Every recorded delivery: (platform, headers naming the topic, body file). Used by the
# "never raises" property test and the per-platform tests.
DELIVERIES: list[tuple[str, dict[str, str], str]] = [
    ("shopify", {"X-Shopify-Topic": "orders/create"}, "shopify/order_sample.json"),
    ("shopify", {"shopify-topic": "orders/updated"}, "shopify/order_sample_pending.json"),
    ("shopify", {"X-Shopify-Topic": "orders/paid"}, "shopify/order_sample_paid.json"),
    ("shopify", {"X-Shopify-Topic": "orders/cancelled"}, "shopify/order_sample.json"),
    ("shopify", {"X-Shopify-Topic": "orders/fulfilled"}, "shopify/order_sample_paid.json"),
    ("shopify", {"X-Shopify-Topic": "orders/delete"}, "shopify/orders_delete.json"),
    ("shopify", {"X-Shopify-Topic": "refunds/create"}, "shopify/refunds_create.json"),
    ("woocommerce", {"X-WC-Webhook-Topic": "order.created"}, "woocommerce/order_created_processing.json"),
    ("woocommerce", {"X-WC-Webhook-Topic": "order.created"}, "woocommerce/order_created_on_hold.json"),
    ("woocommerce", {"X-WC-Webhook-Topic": "order.updated"}, "woocommerce/order_updated_cancelled.json"),
    ("woocommerce", {"X-WC-Webhook-Topic": "order.updated"}, "woocommerce/order_updated_refunded.json"),
    ("woocommerce", {"X-WC-Webhook-Topic": "order.deleted"}, "woocommerce/order_deleted.json"),
    ("woocommerce", {"X-WC-Webhook-Topic": "order.restored"}, "woocommerce/order_restored.json"),
    ("bigcommerce", {}, "bigcommerce/store_order_created.json"),
    ("bigcommerce", {}, "bigcommerce/store_order_statusUpdated.json"),
    ("bigcommerce", {}, "bigcommerce/store_order_archived.json"),
    ("bigcommerce", {}, "bigcommerce/store_order_refund_created.json"),
    ("bigcommerce", {}, "bigcommerce/store_order_message_created.json"),
]
