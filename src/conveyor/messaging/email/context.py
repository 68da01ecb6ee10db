"""What the notification templates are given: plain, frozen values (no database objects), so
the worker can build them from an outbox message and the tests can build them by hand.

Which keys each kind needs is listed in `conveyor.messaging.email.render.KINDS` and in
docs/automation.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from conveyor.messaging.email.formatting import Address
from conveyor.shared.money import Money

__all__ = [
    "Address", "CartInfo", "DelayInfo", "Incident", "LineItem", "OrderInfo", "RefundInfo", "ReturnInfo",
    "ShipmentInfo", "Shop", "StockItem",
]


@dataclass(frozen=True, slots=True)
class Shop:
    name: str
    url: str
    support_email: str


@dataclass(frozen=True, slots=True)
class LineItem:
    name: str
    sku: str
    quantity: int
    unit_price: Money

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class OrderInfo:
    number: str
    placed_at: datetime
    total: Money
    lines: tuple[LineItem, ...]
    shipping_address: Address | None = None


@dataclass(frozen=True, slots=True)
class ShipmentInfo:
    carrier: str
    tracking_number: str
    tracking_url: str
    estimated_delivery: date | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DelayInfo:
    new_estimate: date | None = None
    reason: str = ""  # free text shown as given: the caller passes it in the customer's language


@dataclass(frozen=True, slots=True)
class ReturnInfo:
    number: str
    items: tuple[LineItem, ...]
    return_by: date | None = None
    label_url: str = ""


@dataclass(frozen=True, slots=True)
class RefundInfo:
    amount: Money
    method: str = ""  # e.g. "Visa •••• 4242"; empty means "the original payment method"


@dataclass(frozen=True, slots=True)
class CartInfo:
    lines: tuple[LineItem, ...]
    total: Money
    url: str


@dataclass(frozen=True, slots=True)
class StockItem:
    sku: str
    name: str
    location: str
    available: int
    reorder_point: int


@dataclass(frozen=True, slots=True)
class Incident:
    title: str
    detail: str
    occurred_at: datetime
    reference: str = ""  # the order, shipment or message it is about
    link: str = ""  # where staff can look at it
