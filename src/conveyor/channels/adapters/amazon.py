"""Amazon SP-API: stock as a JSON_LISTINGS_FEED (create document, upload, create feed);
shipments through the Orders API `shipmentConfirmation`."""

from __future__ import annotations

from typing import Any

from conveyor.channels.http import ChannelHttpClient, RetryPolicy
from conveyor.shared.clock import utcnow

FEEDS = "feeds/2021-06-30"
CONTENT_TYPE = "application/json; charset=UTF-8"


def client(config: dict, secrets: dict, **kwargs: Any) -> ChannelHttpClient:
    return ChannelHttpClient(config["base_url"], headers={"x-amz-access-token": secrets.get("access_token", "")},
                             retry=kwargs.pop("retry", RetryPolicy(max_attempts=2)), **kwargs)


def listings_feed(config: dict, items: list[dict]) -> dict:
    return {"header": {"sellerId": config.get("seller_id", ""), "version": "2.0", "issueLocale": "en_US"},
            "messages": [{"messageId": n, "sku": i["channel_sku"], "operationType": "PATCH",
                          "productType": "PRODUCT", "patches": [{
                              "op": "replace", "path": "/attributes/fulfillment_availability",
                              "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": i["available"]}]}]}
                         for n, i in enumerate(items, start=1)]}


def push_inventory(http: ChannelHttpClient, config: dict, items: list[dict]) -> list[str]:
    document = http.request("POST", f"{FEEDS}/documents", json={"contentType": CONTENT_TYPE}).json()
    # The upload URL is pre-signed: it must not carry our access token.
    http.request("PUT", document["url"], json=listings_feed(config, items), headers={
        "Content-Type": CONTENT_TYPE, "x-amz-access-token": ""})
    http.request("POST", f"{FEEDS}/feeds", json={
        "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": list(config.get("marketplace_ids") or []),
        "inputFeedDocumentId": document["feedDocumentId"]})
    return []


def push_order(http: ChannelHttpClient, config: dict, update: dict) -> None:
    if update["event"] != "order.shipped":
        return
    marketplaces = config.get("marketplace_ids") or [""]
    http.request("POST", f"orders/v0/orders/{update['external_id']}/shipmentConfirmation", json={
        "marketplaceId": marketplaces[0], "packageDetail": {
            "packageReferenceId": update.get("order_id", "1"), "carrierCode": update.get("carrier") or "Other",
            "trackingNumber": update.get("tracking_number") or "",
            "shipDate": utcnow().isoformat().replace("+00:00", "Z"), "orderItems": []}})
