"""Shopify webhooks → `ChannelEvent`.

Topic from `X-Shopify-Topic` (or the newer unprefixed `shopify-topic`). Order topics carry the
whole Order (REST shape); `orders/delete` carries only `{"id"}`; `refunds/create` a Refund with
`order_id`. Shopify's documented sample payload is the same cancelled, voided order for every
`orders/*` topic, so the body's state is read as well as the topic: an `orders/create` whose body
is cancelled is created cancelled (held), an `orders/updated` with `cancelled_at` is a cancel and
one with `closed_at` an archive.
Source: shopify.dev/docs/api/webhooks (topics and sample payloads).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.channels.classifiers import MAPPING_ERRORS, map_into
from conveyor.channels.events import ChannelEvent, EventKind, RefundDetails, RefundLine, header, parse_body, unusable
from conveyor.channels.mappers import shopify as mapper
from conveyor.channels.mappers.common import Amounts, SkuLookup, id_str
from conveyor.channels.statuses import shopify_rule

PLATFORM = "shopify"
TOPICS = {
    "orders/create": EventKind.CREATED,
    "orders/updated": EventKind.UPDATED,
    "orders/edited": EventKind.UPDATED,
    "orders/partially_fulfilled": EventKind.UPDATED,
    "orders/paid": EventKind.PAID,
    "orders/cancelled": EventKind.CANCELLED,
    "orders/fulfilled": EventKind.FULFILLED,
    "orders/delete": EventKind.DELETED,
    "refunds/create": EventKind.REFUNDED,
}
TOPIC_HEADERS = ("X-Shopify-Topic", "shopify-topic")


def classify(topic: str | None, headers: Mapping[str, str], body: Any, *, sku_lookup: SkuLookup,
             channel: str) -> ChannelEvent:
    topic = topic or header(headers, *TOPIC_HEADERS)
    data, why = parse_body(body)
    if not isinstance(data, dict):
        return unusable(PLATFORM, topic, why or "body_not_an_object")
    kind = TOPICS.get(topic, EventKind.UNKNOWN)
    if kind == EventKind.REFUNDED:
        return _refund_event(topic, data)
    order = data.get("order", data)
    if not isinstance(order, dict):
        return unusable(PLATFORM, topic, "body_not_an_order")
    event = ChannelEvent(kind, PLATFORM, topic, external_id=id_str(order.get("id")),
                         updated_at=str(order.get("updated_at") or ""))
    if kind == EventKind.UNKNOWN:
        event.problems.append(f"unknown_topic: {topic or '<none>'}")
        return event
    if kind == EventKind.DELETED or not order.get("line_items"):
        return event  # orders/delete: {"id": ...} only
    event.kind = _refine(kind, order)
    event.cancel_reason = str(order.get("cancel_reason") or "")
    event.payment_state = shopify_rule(order.get("financial_status")).payment
    event.refunds = _order_refunds(order)
    return map_into(event, lambda: mapper.map_order(order, sku_lookup, channel=channel))


def _refine(kind: EventKind, order: dict[str, Any]) -> EventKind:
    """`orders/updated` says only that something changed: the body says what."""
    if kind != EventKind.UPDATED:
        return kind
    if order.get("cancelled_at"):
        return EventKind.CANCELLED
    if order.get("closed_at"):
        return EventKind.ARCHIVED
    return kind


def _refund_event(topic: str, refund: dict[str, Any]) -> ChannelEvent:
    event = ChannelEvent(EventKind.REFUNDED, PLATFORM, topic, external_id=id_str(refund.get("order_id")),
                         updated_at=str(refund.get("processed_at") or refund.get("created_at") or ""))
    try:
        event.refunds = [parse_refund(refund)]
    except MAPPING_ERRORS as exc:
        event.problems.append(f"unreadable_refund: {type(exc).__name__}: {exc}")
    return event


def parse_refund(refund: dict[str, Any]) -> RefundDetails:
    """A Refund: money from its successful refund transactions (else its lines), lines by line_item_id."""
    lines = refund.get("refund_line_items") or []
    transactions = [t for t in refund.get("transactions") or []
                    if t.get("kind") == "refund" and t.get("status") in ("success", None)]
    currency = next((t.get("currency") for t in transactions if t.get("currency")), None) or _line_currency(lines)
    amounts = Amounts(currency)
    if transactions:
        amount = sum(amounts.read(t.get("amount"), "refund transaction") for t in transactions)
    else:
        amount = sum(amounts.read(li.get("subtotal"), "refund subtotal") + amounts.read(li.get("total_tax"), "tax")
                     for li in lines)
    refund_lines = tuple(
        RefundLine(id_str(li.get("line_item_id")), int(li.get("quantity") or 0),
                   amounts.read(li.get("subtotal"), "refund line") + amounts.read(li.get("total_tax"), "tax"))
        for li in lines)
    return RefundDetails(id_str(refund.get("id")), amount, currency, str(refund.get("note") or ""), refund_lines,
                         str(refund.get("created_at") or ""))


def _line_currency(lines: list[dict[str, Any]]) -> str:
    for line in lines:
        code = ((line.get("subtotal_set") or {}).get("shop_money") or {}).get("currency_code")
        if code:
            return str(code)
    return ""


def _order_refunds(order: dict[str, Any]) -> list:
    refunds = []
    listed = order.get("refunds")
    for refund in listed if isinstance(listed, list) else []:
        try:
            refunds.append(parse_refund(refund))
        except MAPPING_ERRORS:
            continue  # the order itself is still usable; refunds/create carries each refund too
    return refunds
