"""Shopify Admin REST: `inventory_levels/set` per item; fulfilments through fulfillment orders."""

from __future__ import annotations

from typing import Any

from conveyor.channels.http import ChannelHttpClient, RetryPolicy

DEFAULT_VERSION = "2024-10"


def client(config: dict, secrets: dict, **kwargs: Any) -> ChannelHttpClient:
    return ChannelHttpClient(config["base_url"], headers={"X-Shopify-Access-Token": secrets.get("access_token", "")},
                             retry=kwargs.pop("retry", RetryPolicy(max_attempts=2)), **kwargs)


def _root(config: dict) -> str:
    return f"admin/api/{config.get('api_version', DEFAULT_VERSION)}"


def push_inventory(http: ChannelHttpClient, config: dict, items: list[dict]) -> list[str]:
    skipped = []
    for item in items:
        if not item["external_ref"]:
            skipped.append(item["sku"])
            continue
        http.request("POST", f"{_root(config)}/inventory_levels/set.json", json={
            "location_id": int(config["location_id"]), "inventory_item_id": int(item["external_ref"]),
            "available": item["available"]})
    return skipped


def push_order(http: ChannelHttpClient, config: dict, update: dict) -> None:
    order = update["external_id"]
    if update["event"] == "order.cancelled" and update["status"] == "cancelled":
        http.request("POST", f"{_root(config)}/orders/{order}/cancel.json", json={})
    if update["event"] != "order.shipped":
        return
    listing = http.request("GET", f"{_root(config)}/orders/{order}/fulfillment_orders.json").json()
    open_orders = [{"fulfillment_order_id": fo["id"]} for fo in listing.get("fulfillment_orders", [])
                   if fo.get("status") in ("open", "in_progress")]
    http.request("POST", f"{_root(config)}/fulfillments.json", json={"fulfillment": {
        "line_items_by_fulfillment_order": open_orders, "notify_customer": True,
        "tracking_info": {"number": update.get("tracking_number") or "", "company": update.get("carrier") or ""}}})
