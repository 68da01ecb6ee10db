"""WooCommerce webhooks → `ChannelEvent`.

Topic from `X-WC-Webhook-Topic` (`order.created`, `order.updated`, `order.deleted`,
`order.restored`). Created/updated/restored bodies are the REST API v3 order; a delete delivers
only `{"id": <order id>}` (WooCommerce's `WC_Webhook::build_payload` sends just the id for deleted
resources). WooCommerce has no "cancelled" or "refunded" topic: an `order.updated` is read by its
`status` (table in `statuses.py`). Refunds listed in the order body (`refunds[]`, totals negative)
come along so the handler can record the new ones.
Sources: woocommerce.github.io/woocommerce-rest-api-docs/#webhooks and #order-properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.channels.classifiers import MAPPING_ERRORS, map_into
from conveyor.channels.events import ChannelEvent, EventKind, RefundDetails, header, parse_body, unusable
from conveyor.channels.mappers import woocommerce as mapper
from conveyor.channels.mappers.common import Amounts, SkuLookup, id_str
from conveyor.channels.statuses import PaymentState, StatusMeaning, woocommerce_rule

PLATFORM = "woocommerce"
TOPICS = {
    "order.created": EventKind.CREATED,
    "order.updated": EventKind.UPDATED,
    "order.deleted": EventKind.DELETED,
    "order.restored": EventKind.RESTORED,
}
BY_STATUS = {
    StatusMeaning.CANCELLED: EventKind.CANCELLED,
    StatusMeaning.REFUNDED: EventKind.REFUNDED,
    StatusMeaning.DELETED: EventKind.DELETED,
    StatusMeaning.FULFILLED: EventKind.FULFILLED,
}


def classify(topic: str | None, headers: Mapping[str, str], body: Any, *, sku_lookup: SkuLookup,
             channel: str) -> ChannelEvent:
    topic = topic or header(headers, "X-WC-Webhook-Topic")
    data, why = parse_body(body)
    if not isinstance(data, dict):
        return unusable(PLATFORM, topic, why or "body_not_an_object")
    kind = TOPICS.get(topic, EventKind.UNKNOWN)
    event = ChannelEvent(kind, PLATFORM, topic, external_id=id_str(data.get("id")),
                         updated_at=str(data.get("date_modified_gmt") or data.get("date_modified") or ""))
    if kind == EventKind.UNKNOWN:
        event.problems.append(f"unknown_topic: {topic or '<none>'}")
        return event
    if kind == EventKind.DELETED or "line_items" not in data:
        return event  # order.deleted: {"id": ...} only
    status = str(data.get("status") or "")
    rule = woocommerce_rule(status)
    if kind == EventKind.UPDATED:
        event.kind = BY_STATUS.get(rule.meaning, EventKind.UPDATED)
    event.payment_state, event.platform_status = rule.payment, status
    event.refunds = _refunds(data)
    if event.refunds and rule.payment == PaymentState.PAID:
        event.payment_state = PaymentState.PARTIALLY_REFUNDED
    return map_into(event, lambda: mapper.map_order(data, sku_lookup, channel=channel))


def _refunds(data: dict[str, Any]) -> list[RefundDetails]:
    currency = str(data.get("currency") or "")
    refunds = []
    listed = data.get("refunds")
    for refund in listed if isinstance(listed, list) else []:
        if not isinstance(refund, dict):
            continue
        try:
            amount = abs(Amounts(currency).read(refund.get("total"), "refund total"))
        except MAPPING_ERRORS:
            continue
        refunds.append(RefundDetails(id_str(refund.get("id")), amount, currency, str(refund.get("reason") or "")))
    return refunds
