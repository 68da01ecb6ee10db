"""Amazon orders found by polling (`getOrders` with `LastUpdatedAfter`) → `ChannelEvent`.

Amazon has no order webhooks here: every poll returns the orders that changed, each with its
items. An open order (PendingAvailability, Pending, Unshipped, PartiallyShipped) is `created`
(the handler places it if unknown, else applies it as an update: a Pending order seen again as
Unshipped is paid and moves on); Canceled is `cancelled`; Shipped/InvoiceUnconfirmed `fulfilled`.
A buyer's cancel request (`BuyerRequestedCancel` on an item) sets `buyer_cancel_requested`.
Source: developer-docs.amazon.com/sp-api/reference/getorders and .../getorderitems.
"""

from __future__ import annotations

from typing import Any

from conveyor.channels.classifiers import map_into
from conveyor.channels.events import ChannelEvent, EventKind, parse_body, unusable
from conveyor.channels.mappers import amazon as mapper
from conveyor.channels.mappers.common import SkuLookup, id_str
from conveyor.channels.statuses import StatusMeaning, amazon_rule

PLATFORM = "amazon"
TOPIC = "getOrders"
BY_STATUS = {StatusMeaning.CANCELLED: EventKind.CANCELLED, StatusMeaning.FULFILLED: EventKind.FULFILLED}


def classify_order(order: dict[str, Any], items: list[dict[str, Any]], *, sku_lookup: SkuLookup,
                   channel: str) -> ChannelEvent:
    status = str(order.get("OrderStatus") or "")
    rule = amazon_rule(status)
    items = [item for item in items if isinstance(item, dict)]
    requested, reason = mapper.buyer_cancel_request(items)
    event = ChannelEvent(BY_STATUS.get(rule.meaning, EventKind.CREATED), PLATFORM, TOPIC,
                         external_id=id_str(order.get("AmazonOrderId")),
                         order_number=id_str(order.get("AmazonOrderId")),
                         payment_state=rule.payment, platform_status=status,
                         cancelled_on_channel=rule.meaning == StatusMeaning.CANCELLED,
                         buyer_cancel_requested=requested, cancel_reason=reason,
                         updated_at=str(order.get("LastUpdateDate") or ""))
    if status == "Unfulfillable":
        event.problems.append("unfulfillable: Amazon reports the order cannot be fulfilled")
    return map_into(event, lambda: mapper.map_order(order, items, sku_lookup, channel=channel))


def classify_body(body: Any, *, sku_lookup: SkuLookup, channel: str) -> ChannelEvent:
    """A stored pull (`{"order": Order, "items": [OrderItem, ...]}`) → event."""
    data, why = parse_body(body)
    if not isinstance(data, dict) or not isinstance(data.get("order"), dict):
        return unusable(PLATFORM, TOPIC, why or "not a pulled Amazon order ({'order', 'items'})")
    items: list[Any] = data["items"] if isinstance(data.get("items"), list) else []
    return classify_order(data["order"], [i for i in items if isinstance(i, dict)], sku_lookup=sku_lookup,
                          channel=channel)
