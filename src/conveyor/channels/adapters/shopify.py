"""Shopify Admin REST: `inventory_levels/set` per item; fulfilments through fulfillment orders.

Sources: shopify.dev/docs/api/admin-rest/latest/resources/fulfillment (POST fulfillments.json with
`line_items_by_fulfillment_order[].fulfillment_order_line_items[] {id, quantity}`) and
…/resources/fulfillmentorder (GET orders/{id}/fulfillment_orders.json: `line_items[].line_item_id`)."""

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
    """A whole-order cancel (Shopify's REST cancel takes no lines: a partial cancel is not sent),
    and shipments as fulfilments naming the fulfilment order lines of the shipped line items."""
    order = update["external_id"]
    if update["event"] == "order.cancelled" and update["status"] == "cancelled":
        http.request("POST", f"{_root(config)}/orders/{order}/cancel.json", json={})
    if update["event"] != "order.shipped":
        return
    listing = http.request("GET", f"{_root(config)}/orders/{order}/fulfillment_orders.json").json()
    open_orders = [fo for fo in listing.get("fulfillment_orders", []) if fo.get("status") in ("open", "in_progress")]
    http.request("POST", f"{_root(config)}/fulfillments.json", json={"fulfillment": {
        "line_items_by_fulfillment_order": fulfilment_lines(open_orders, update.get("items") or []),
        "notify_customer": True,
        "tracking_info": {"number": update.get("tracking_number") or "", "company": update.get("carrier") or ""}}})


def fulfilment_lines(fulfillment_orders: list[dict], items: list[dict]) -> list[dict]:
    """`line_items_by_fulfillment_order` for the shipped `items` (platform line item id, units):
    each fulfilment order line item whose `line_item_id` was shipped, up to its fulfillable
    quantity. Without items (an order placed before line ids were kept) whole fulfilment orders."""
    if not items:
        return [{"fulfillment_order_id": fo["id"]} for fo in fulfillment_orders]
    wanted: dict[str, int] = {}
    for item in items:
        wanted[str(item["platform_line_id"])] = wanted.get(str(item["platform_line_id"]), 0) + int(item["quantity"])
    result = []
    for fo in fulfillment_orders:
        lines = []
        for line in fo.get("line_items") or []:
            key = str(line.get("line_item_id"))
            take = min(wanted.get(key, 0), int(line.get("fulfillable_quantity") or line.get("quantity") or 0))
            if take > 0:
                lines.append({"id": line["id"], "quantity": take})
                wanted[key] -= take
        if lines:
            result.append({"fulfillment_order_id": fo["id"], "fulfillment_order_line_items": lines})
    if not result:
        # Say so plainly (the worker keeps it as last_error and retries) rather than post an empty fulfilment.
        raise ValueError(f"none of the shipped line items {sorted(wanted)} is open for fulfilment on Shopify")
    return result
