"""BigCommerce: v3 absolute inventory adjustments; v2 order status and shipments."""

from __future__ import annotations

from typing import Any

from conveyor.channels.connectors.bigcommerce import API_ROOT, bigcommerce_client
from conveyor.channels.http import ChannelHttpClient, RetryPolicy

SHIPPED, PARTIALLY_SHIPPED, CANCELLED = 2, 3, 5  # BigCommerce order status ids


def client(config: dict, secrets: dict, **kwargs: Any) -> ChannelHttpClient:
    return bigcommerce_client(config.get("store_hash", ""), secrets.get("access_token", ""),
                              api_root=config.get("base_url") or API_ROOT,
                              retry=kwargs.pop("retry", RetryPolicy(max_attempts=2)), **kwargs)


def push_inventory(http: ChannelHttpClient, config: dict, items: list[dict]) -> list[str]:
    location = int(config.get("location_id", 1))
    rows = [{"location_id": location, "quantity": i["available"],
             **({"variant_id": int(i["external_ref"])} if i["external_ref"] else {"sku": i["channel_sku"]})}
            for i in items]
    http.request("PUT", "v3/inventory/adjustments/absolute", json={"reason": "Conveyor stock sync", "items": rows})
    return []


def push_order(http: ChannelHttpClient, config: dict, update: dict) -> None:
    """Cancel: the order's status (v2 has no line cancel). Shipment: `POST v2/orders/{id}/shipments`
    with the shipping address id and `items[] {order_product_id, quantity}` (the platform line ids),
    then the status Shipped or Partially Shipped.
    Source: developer.bigcommerce.com/docs/rest-management/orders/order-shipments#create-order-shipment."""
    order = update["external_id"]
    if update["event"] == "order.cancelled" and update["status"] == "cancelled":
        http.request("PUT", f"v2/orders/{order}", json={"status_id": CANCELLED})
    elif update["event"] == "order.shipped":
        addresses = http.get_json(f"v2/orders/{order}/shipping_addresses") or []
        shipment: dict[str, Any] = {
            "tracking_number": update.get("tracking_number") or "", "tracking_carrier": update.get("carrier") or "",
            "items": [{"order_product_id": int(i["platform_line_id"]), "quantity": int(i["quantity"])}
                      for i in update.get("items") or [] if str(i["platform_line_id"]).isdigit()]}
        if addresses:
            shipment["order_address_id"] = addresses[0]["id"]
        http.request("POST", f"v2/orders/{order}/shipments", json=shipment)
        status = SHIPPED if update.get("status") in ("fulfilled", "delivered", "completed") else PARTIALLY_SHIPPED
        http.request("PUT", f"v2/orders/{order}", json={"status_id": status})
