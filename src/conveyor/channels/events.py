"""A platform delivery, understood: `classify(platform, topic, headers, body, ...)` → `ChannelEvent`.

Every inbound delivery (a Shopify/WooCommerce/BigCommerce webhook, or an Amazon order found by
polling) becomes one typed event saying what happened (`kind`), to which platform order
(`external_id`, `order_number`), what the channel says about payment (`payment_state`) and, when
the body carries the order, the mapped order itself. The order core's command handlers apply it:

- `created`  place the order if (channel, external id) is unknown; otherwise treat as `updated`.
- `updated`  known order: record payment state/changes; unknown: store, acknowledge, create nothing.
- `paid`     payment confirmed: an order held `awaiting_payment` moves on (released/allocated).
- `cancelled` known order: cancel it (stock released); unknown: store only.
- `fulfilled` the platform says it shipped: record on the timeline (our own sync-back echoes it).
- `refunded` record `refund` on the timeline (payment state follows).
- `deleted` / `archived` / `restored`: record; never create.
- `unknown`  store and acknowledge; a person may look (see `problems`).
`payment_state` UNKNOWN means "this delivery says nothing about payment": never overwrite a known
state with it. Classification never raises for a body that parsed: anything it cannot use ends up
in `problems` (so the intake answers 2xx to every validly signed delivery).
Pure: no database, no web, no clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from conveyor.channels.mappers.common import MappedOrder, SkuLookup
from conveyor.channels.statuses import SHIPPABLE_PAYMENT, PaymentState


class EventKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    PAID = "paid"
    CANCELLED = "cancelled"
    FULFILLED = "fulfilled"
    REFUNDED = "refunded"
    DELETED = "deleted"
    ARCHIVED = "archived"
    RESTORED = "restored"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class RefundLine:
    platform_line_id: str  # the order line refunded (Shopify line_item_id, BigCommerce item_id)
    quantity: int
    amount_minor: int | None = None  # the line's refunded amount when the platform gives one


@dataclass(frozen=True, slots=True)
class RefundDetails:
    refund_id: str
    amount_minor: int
    currency: str
    reason: str = ""
    lines: tuple[RefundLine, ...] = ()
    created_at: str = ""  # as sent


@dataclass(slots=True)
class ChannelEvent:
    kind: EventKind
    platform: str
    topic: str  # as received ("orders/cancelled", "order.updated", "store/order/statusUpdated", "getOrders")
    external_id: str = ""  # the platform's order id, as given
    order_number: str = ""  # what people call it ("#1001"); searchable
    payment_state: PaymentState = PaymentState.UNKNOWN
    platform_status: str = ""  # the platform's status as sent ("on-hold", "7", "Pending", "voided")
    order: MappedOrder | None = None
    refunds: list[RefundDetails] = field(default_factory=list)
    cancel_reason: str = ""
    cancelled_on_channel: bool = False  # the body says the order is cancelled, whatever the topic
    buyer_cancel_requested: bool = False
    needs_fetch: bool = False  # BigCommerce: the webhook is thin; fetch the order and classify again
    updated_at: str = ""  # the platform's last-change time, as sent (for ordering late deliveries)
    problems: list[str] = field(default_factory=list)

    @property
    def ready_to_ship(self) -> bool:
        """Money is in hand and the order is not cancelled: it may be allocated and released."""
        return self.payment_state in SHIPPABLE_PAYMENT and not self.cancelled_on_channel


def parse_body(body: bytes | str | dict | list | None) -> tuple[Any, str | None]:
    """The JSON body (ints exact, fractions as Decimal) or (None, why) when it is not JSON."""
    if body is None:
        return None, "empty body"
    if isinstance(body, dict | list):
        return body, None
    try:
        return json.loads(body, parse_float=Decimal), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"body_not_json: {exc}"


def header(headers: Mapping[str, str], *names: str) -> str:
    """The first of `names` present, case-insensitively ("" if none)."""
    lower = {k.lower(): v for k, v in headers.items()}
    for name in names:
        if lower.get(name.lower()):
            return lower[name.lower()].strip()
    return ""


def unusable(platform: str, topic: str, why: str) -> ChannelEvent:
    return ChannelEvent(EventKind.UNKNOWN, platform, topic, problems=[why])


def classify(
    platform: str,
    topic: str | None,
    headers: Mapping[str, str],
    body: bytes | str | dict | list | None,
    *,
    sku_lookup: SkuLookup,
    channel: str,
    fetched: Mapping[str, Any] | None = None,
) -> ChannelEvent:
    """One delivery → one event. `topic` None means "read it from the headers/body".

    `fetched` is BigCommerce's order as fetched through its API (`{"order", "products",
    "shipping_addresses"[, "refunds"]}`); without it a BigCommerce event has `needs_fetch` set."""
    from conveyor.channels.classifiers import amazon, bigcommerce, shopify, woocommerce

    if platform == "shopify":
        return shopify.classify(topic, headers, body, sku_lookup=sku_lookup, channel=channel)
    if platform == "woocommerce":
        return woocommerce.classify(topic, headers, body, sku_lookup=sku_lookup, channel=channel)
    if platform == "bigcommerce":
        return bigcommerce.classify(topic, headers, body, sku_lookup=sku_lookup, channel=channel, fetched=fetched)
    if platform == "amazon":
        return amazon.classify_body(body, sku_lookup=sku_lookup, channel=channel)
    return unusable(platform, topic or "", f"unsupported_platform: {platform}")
