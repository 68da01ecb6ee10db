"""Amazon SP-API: stock as a JSON_LISTINGS_FEED (create document, upload, create feed);
shipments through the Orders API `shipmentConfirmation` (`orderItems` by OrderItemId); cancels as
an order acknowledgement feed naming each item."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from conveyor.channels.http import ChannelHttpClient, RetryPolicy
from conveyor.shared.clock import utcnow

FEEDS = "feeds/2021-06-30"
CONTENT_TYPE = "application/json; charset=UTF-8"
XML_TYPE = "text/xml; charset=UTF-8"


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
    if update["event"] == "order.cancelled":
        _acknowledge_cancel(http, config, update)
        return
    if update["event"] != "order.shipped":
        return
    marketplaces = config.get("marketplace_ids") or [""]
    http.request("POST", f"orders/v0/orders/{update['external_id']}/shipmentConfirmation", json={
        "marketplaceId": marketplaces[0], "packageDetail": {
            "packageReferenceId": update.get("order_id", "1"), "carrierCode": update.get("carrier") or "Other",
            "trackingNumber": update.get("tracking_number") or "",
            "shipDate": utcnow().isoformat().replace("+00:00", "Z"),
            "orderItems": [{"orderItemId": str(i["platform_line_id"]), "quantity": int(i["quantity"])}
                           for i in update.get("items") or []]}})


def _acknowledge_cancel(http: ChannelHttpClient, config: dict, update: dict) -> None:
    """Amazon takes a seller's cancel as an order acknowledgement feed naming each cancelled item
    (`AmazonOrderItemCode`) with a reason: documents → upload → feeds, like the listings feed."""
    items = update.get("items") or []
    if not items:
        return  # nothing Amazon could identify (an order placed before line ids were kept)
    document = http.request("POST", f"{FEEDS}/documents", json={"contentType": XML_TYPE}).json()
    http.request("PUT", document["url"], content=cancel_acknowledgement(config, update).encode(), headers={
        "Content-Type": XML_TYPE, "x-amz-access-token": ""})
    http.request("POST", f"{FEEDS}/feeds", json={
        "feedType": "POST_ORDER_ACKNOWLEDGEMENT_DATA", "marketplaceIds": list(config.get("marketplace_ids") or []),
        "inputFeedDocumentId": document["feedDocumentId"]})


def cancel_acknowledgement(config: dict, update: dict) -> str:
    """The OrderAcknowledgement XML: `Failure` cancels the whole order, `Success` with items cancels
    those items. The reason is `config.cancel_reason` (default NoInventory) or BuyerCanceled when
    the buyer asked. Source: Amazon's OrderAcknowledgement XSD (amzn-envelope.xsd, feed type
    POST_ORDER_ACKNOWLEDGEMENT_DATA), developer-docs.amazon.com/sp-api/docs/feed-type-values."""
    buyer = "buyer" in str(update.get("reason") or "").lower()
    reason = "BuyerCanceled" if buyer else str(config.get("cancel_reason") or "NoInventory")
    code = "Failure" if update.get("status") == "cancelled" else "Success"
    items = "".join(f"<Item><AmazonOrderItemCode>{escape(str(i['platform_line_id']))}</AmazonOrderItemCode>"
                    f"<CancelReason>{escape(reason)}</CancelReason></Item>" for i in update.get("items") or [])
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">'
            f"<Header><DocumentVersion>1.01</DocumentVersion><MerchantIdentifier>"
            f"{escape(str(config.get('seller_id', '')))}</MerchantIdentifier></Header>"
            "<MessageType>OrderAcknowledgement</MessageType><Message><MessageID>1</MessageID>"
            f"<OrderAcknowledgement><AmazonOrderID>{escape(str(update['external_id']))}</AmazonOrderID>"
            f"<StatusCode>{code}</StatusCode>{items}</OrderAcknowledgement></Message></AmazonEnvelope>")
