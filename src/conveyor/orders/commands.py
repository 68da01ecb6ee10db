"""The channel-neutral order input. Every source (REST API, channel webhooks, CSV import, POS,
phone drafts) is mapped into a `PlaceOrder` before the placement engine (`orders.placement`)
sees it. Amounts are integer minor units of `currency` (see docs/decisions.md, "Money on
commands").

Pure data: no database, no web."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(slots=True)
class Address:
    name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""
    latitude: float | None = None
    longitude: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class LineInput:
    sku: str  # the merchant's SKU code (after channel SKU mapping)
    quantity: int
    unit_price_minor: int = 0
    discount_minor: int = 0
    tax_minor: int = 0
    name: str = ""
    platform_line_id: str | None = None  # the channel's id of this line, as given


@dataclass(frozen=True, slots=True)
class PaymentInput:
    """How the customer pays, taken at placement per the channel's payment policy (docs/money.md)."""
    provider: str  # manual | test | stripe
    method: str = "card"  # card, cash, bank_transfer, …
    token: str = ""  # what the provider needs: a test card number, a Stripe PaymentMethod (pm_…)
    customer: str = ""  # the provider's customer with a saved method (re-authorizing later)


@dataclass(slots=True)
class PlaceOrder:
    channel: str  # channel code
    currency: str
    lines: list[LineInput]
    external_id: str | None = None
    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    billing_address: Address | None = None
    shipping_address: Address | None = None
    shipping_minor: int = 0
    shipping_tax_minor: int = 0
    order_discount_minor: int = 0
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    # When set, the order is accepted but kept on hold with this reason (e.g. unmapped SKU).
    hold_reason: str | None = None
    # When set (a location code), stock must come from that location only: in-store (POS) sales,
    # or staff choosing where an order ships from.
    fulfil_from: str | None = None
    # A routing strategy for this order alone (e.g. chosen by an automation rule), over the channel's.
    routing_strategy: str | None = None
    # Channel orders: the platform's order number ("#1001"), its totals as sent (a JSON document,
    # kept next to ours) and the payment state it reported.
    order_number: str | None = None
    channel_totals: dict[str, Any] | None = None
    channel_payment: str | None = None
    # The customer's language (BCP 47, "de-AT"): notifications are written in it ("" = English).
    locale: str = ""
    # Fulfilment hints, set by people or automation rules: low | normal | high | urgent, and a
    # carrier service the fulfilment flow should prefer.
    priority: str = "normal"
    preferred_carrier: str = ""
    preferred_service: str = ""
    # Taken at placement by the payments area (a unit-of-work reaction to `PAYMENT_DUE`).
    payment: PaymentInput | None = None


class OnShort(StrEnum):
    """What placement does when stock can't cover every line."""
    REFUSE = "refuse"  # refuse the order (REST under the `reject` policy: 409 insufficient_stock)
    HOLD = "hold"  # accept it on hold, nothing allocated (channel orders under `reject`: already paid)
    BACKORDER = "backorder"  # allocate what there is, keep the rest backordered


@dataclass(frozen=True, slots=True)
class ChannelTerms:
    """What placement needs to know about the order's channel (the handler reads it)."""
    channel_id: str
    code: str
    backorder_policy: str  # reject | backorder, the service default already applied
    routing_strategy: str | None = None  # the channel's own strategy; None: the routing configuration's


@dataclass(frozen=True, slots=True)
class PlacementOptions:
    actor: str
    on_short: OnShort = OnShort.REFUSE
    max_lines: int = 500
    # A batch (file import) reports a refused order and goes on; a single order raises.
    collect_refusals: bool = False
