"""BigCommerce webhooks → `ChannelEvent`.

The callback is thin (`{"scope": "store/order/statusUpdated", "data": {"type": "order", "id": 250,
"status": {"previous_status_id": 0, "new_status_id": 11}}, "hash": ...}`): the topic is the body's
`scope`, the order has to be fetched through the API (`fetched`, see `connectors/bigcommerce.py`)
and its refunds from `GET /v3/orders/{id}/payment_actions/refunds` (`fetched["refunds"]`, the
response's `data`). Without `fetched` the event says `needs_fetch`, with the order id, so the
handler can fetch and classify again. `statusUpdated` carries the new status id itself.
Source: developer.bigcommerce.com/docs/integrations/webhooks/events#orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.channels.classifiers import MAPPING_ERRORS, map_into
from conveyor.channels.events import ChannelEvent, EventKind, RefundDetails, RefundLine, parse_body, unusable
from conveyor.channels.mappers import bigcommerce as mapper
from conveyor.channels.mappers.common import Amounts, SkuLookup, id_str
from conveyor.channels.statuses import StatusMeaning, bigcommerce_rule

PLATFORM = "bigcommerce"
TOPICS = {
    "store/order/created": EventKind.CREATED,
    "store/order/updated": EventKind.UPDATED,
    "store/order/statusUpdated": EventKind.UPDATED,
    "store/order/archived": EventKind.ARCHIVED,
    "store/order/refund/created": EventKind.REFUNDED,
}
BY_STATUS = {
    StatusMeaning.CANCELLED: EventKind.CANCELLED,
    StatusMeaning.REFUNDED: EventKind.REFUNDED,
    StatusMeaning.FULFILLED: EventKind.FULFILLED,
}


def classify(topic: str | None, headers: Mapping[str, str], body: Any, *, sku_lookup: SkuLookup, channel: str,
             fetched: Mapping[str, Any] | None = None) -> ChannelEvent:
    data, why = parse_body(body)
    if not isinstance(data, dict):
        return unusable(PLATFORM, topic or "", why or "body_not_an_object")
    topic = topic or str(data.get("scope") or "")
    payload: dict[str, Any] = data["data"] if isinstance(data.get("data"), dict) else {}
    kind = TOPICS.get(topic, EventKind.UNKNOWN)
    order_id = id_str(payload.get("id"))
    event = ChannelEvent(kind, PLATFORM, topic, external_id=order_id, order_number=order_id)
    if kind == EventKind.UNKNOWN:
        event.problems.append(f"unknown_topic: {topic or '<none>'}")
        return event
    status: dict[str, Any] = payload["status"] if isinstance(payload.get("status"), dict) else {}
    if "new_status_id" in status:
        _apply_status(event, status["new_status_id"])
    if fetched is None:
        event.needs_fetch = bool(event.external_id)
        return event
    return _with_fetched(event, fetched, sku_lookup, channel)


def _apply_status(event: ChannelEvent, status_id: Any) -> None:
    rule = bigcommerce_rule(status_id)
    event.payment_state, event.platform_status = rule.payment, rule.label
    if event.kind == EventKind.UPDATED:
        event.kind = BY_STATUS.get(rule.meaning, EventKind.UPDATED)
    event.cancelled_on_channel = rule.meaning == StatusMeaning.CANCELLED


def _with_fetched(event: ChannelEvent, fetched: Mapping[str, Any], sku_lookup: SkuLookup, channel: str) -> ChannelEvent:
    order = fetched.get("order") or {}
    if not isinstance(order, dict):
        event.problems.append("unmappable: the fetched order is not an object")
        return event
    _apply_status(event, order.get("status_id"))
    event.updated_at = str(order.get("date_modified") or "")
    event.refunds = parse_refunds(fetched.get("refunds") or [], str(order.get("currency_code") or ""))
    return map_into(event, lambda: mapper.map_order(order, fetched.get("products") or [],
                                                    fetched.get("shipping_addresses") or [], sku_lookup,
                                                    channel=channel))


def parse_refunds(rows: Any, currency: str) -> list[RefundDetails]:
    """`GET /v3/orders/{id}/payment_actions/refunds` `data` rows: `total_amount`, `reason`, `items[]`
    (`item_type` PRODUCT lines name the order product in `item_id`)."""
    refunds = []
    for row in rows if isinstance(rows, list) else []:
        try:
            amounts = Amounts(currency)
            lines = tuple(RefundLine(id_str(i.get("item_id")), int(i.get("quantity") or 0),
                                     amounts.read(i.get("requested_amount"), "refund item"))
                          for i in row.get("items") or [] if i.get("item_type") == "PRODUCT")
            refunds.append(RefundDetails(id_str(row.get("id")), amounts.read(row.get("total_amount"), "refund"),
                                         currency, str(row.get("reason") or ""), lines, str(row.get("created") or "")))
        except MAPPING_ERRORS:
            continue
    return refunds
