"""The bodies Conveyor sends platforms when it ships or cancels, built from the platform's own
line ids (pure builders; the HTTP side is in tests/integration/channels/test_confirmations.py)."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from conveyor.channels.adapters.amazon import cancel_acknowledgement
from conveyor.channels.adapters.shopify import fulfilment_lines

# Shaped like GET /orders/{id}/fulfillment_orders.json (shopify.dev, FulfillmentOrder resource).
FULFILLMENT_ORDERS = [
    {"id": 1046000778, "status": "open", "line_items": [
        {"id": 1058737482, "line_item_id": 466157049, "quantity": 2, "fulfillable_quantity": 2},
        {"id": 1058737483, "line_item_id": 518995019, "quantity": 1, "fulfillable_quantity": 1}]},
    {"id": 1046000779, "status": "open", "line_items": [
        {"id": 1058737484, "line_item_id": 466157049, "quantity": 1, "fulfillable_quantity": 1}]},
]


def test_shipped_units_are_taken_line_by_line_across_fulfilment_orders():
    items = [{"platform_line_id": "466157049", "quantity": 3}]
    assert fulfilment_lines(FULFILLMENT_ORDERS, items) == [
        {"fulfillment_order_id": 1046000778, "fulfillment_order_line_items": [{"id": 1058737482, "quantity": 2}]},
        {"fulfillment_order_id": 1046000779, "fulfillment_order_line_items": [{"id": 1058737484, "quantity": 1}]}]


def test_without_platform_line_ids_whole_fulfilment_orders_are_fulfilled():
    assert fulfilment_lines(FULFILLMENT_ORDERS, []) == [{"fulfillment_order_id": 1046000778},
                                                        {"fulfillment_order_id": 1046000779}]


def test_a_shipment_shopify_has_no_open_line_for_is_an_error_not_an_empty_fulfilment():
    with pytest.raises(ValueError, match="999"):
        fulfilment_lines(FULFILLMENT_ORDERS, [{"platform_line_id": "999", "quantity": 1}])


def test_amazon_partial_cancel_names_items_and_keeps_the_order():
    xml = cancel_acknowledgement({"seller_id": "A2SELLER"}, {
        "external_id": "902-3159896-1390916", "status": "allocated", "reason": "",
        "items": [{"platform_line_id": "04285467438191", "quantity": 1}]})
    document = ElementTree.fromstring(xml)
    assert document.findtext(".//StatusCode") == "Success"  # Failure would cancel the whole order
    assert document.findtext(".//AmazonOrderItemCode") == "04285467438191"  # leading zero kept
    assert document.findtext(".//CancelReason") == "NoInventory"
    assert document.findtext(".//MerchantIdentifier") == "A2SELLER"


def test_amazon_cancel_the_buyer_asked_for_says_so():
    xml = cancel_acknowledgement({}, {"external_id": "1", "status": "cancelled", "reason": "Buyer asked on Amazon",
                                      "items": [{"platform_line_id": "7", "quantity": 1}]})
    assert ElementTree.fromstring(xml).findtext(".//CancelReason") == "BuyerCanceled"
