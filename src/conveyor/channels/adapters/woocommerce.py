"""WooCommerce REST v3: `products/batch` stock_quantity; order status and a customer note."""

from __future__ import annotations

import base64
from typing import Any

from conveyor.channels.http import ChannelHttpClient, RetryPolicy

BATCH = 100  # WooCommerce's limit per batch request
STATUS = {"order.shipped": "completed", "order.cancelled": "cancelled"}


def client(config: dict, secrets: dict, **kwargs: Any) -> ChannelHttpClient:
    pair = f"{secrets.get('consumer_key', '')}:{secrets.get('consumer_secret', '')}".encode()
    return ChannelHttpClient(config["base_url"], headers={"Authorization": "Basic " + base64.b64encode(pair).decode()},
                             retry=kwargs.pop("retry", RetryPolicy(max_attempts=2)), **kwargs)


def push_inventory(http: ChannelHttpClient, config: dict, items: list[dict]) -> list[str]:
    ready = [i for i in items if i["external_ref"]]
    for start in range(0, len(ready), BATCH):
        http.request("POST", "wp-json/wc/v3/products/batch", json={"update": [
            {"id": int(i["external_ref"]), "manage_stock": True, "stock_quantity": i["available"]}
            for i in ready[start:start + BATCH]]})
    return [i["sku"] for i in items if not i["external_ref"]]


def push_order(http: ChannelHttpClient, config: dict, update: dict) -> None:
    status = STATUS.get(update["event"])
    if status is None or (update["event"] == "order.cancelled" and update["status"] != "cancelled"):
        return
    order = update["external_id"]
    http.request("PUT", f"wp-json/wc/v3/orders/{order}", json={"status": status})
    if update.get("tracking_number"):
        http.request("POST", f"wp-json/wc/v3/orders/{order}/notes", json={
            "note": f"Shipped with {update.get('carrier') or 'carrier'}: {update['tracking_number']}",
            "customer_note": True})
