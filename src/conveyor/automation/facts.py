"""What rules can look at: `OrderFacts`, a flat, frozen picture of one order at one lifecycle
point, and the catalogue of fields conditions may name (`FIELDS`).

The lead builds OrderFacts from the order, its customer and the risk score inside the command
handler; everything here is plain values, so evaluating rules needs no database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class OrderFacts:
    channel: str
    total_minor: int
    currency: str
    country: str  # shipping country, ISO 3166-1 alpha-2
    placed_at: datetime  # timezone-aware; shown to rules as local time of day and weekday
    region: str = ""
    postal_code: str = ""
    quantities: Mapping[str, int] = field(default_factory=dict)  # SKU -> quantity ordered
    line_count: int = 0
    customer_tags: frozenset[str] = frozenset()
    email_domain: str = ""
    is_first_order: bool = False
    billing_country: str = ""
    risk_score: int = 0
    order_tags: frozenset[str] = frozenset()
    time_zone: str = "UTC"  # the merchant's zone: "time of day" means the merchant's clock

    def __post_init__(self) -> None:
        if self.placed_at.tzinfo is None:
            raise ValueError("placed_at must be timezone-aware")
        object.__setattr__(self, "quantities", MappingProxyType(dict(self.quantities)))

    @property
    def skus(self) -> frozenset[str]:
        return frozenset(self.quantities)

    @property
    def total_quantity(self) -> int:
        return sum(self.quantities.values())

    @property
    def billing_shipping_mismatch(self) -> bool:
        return bool(self.billing_country) and self.billing_country.upper() != self.country.upper()

    @property
    def local_moment(self) -> datetime:
        return self.placed_at.astimezone(ZoneInfo(self.time_zone))

    @property
    def local_time(self) -> time:
        return self.local_moment.time().replace(second=0, microsecond=0)

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.local_moment.weekday()]


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    SET = "set"
    BOOLEAN = "boolean"
    TIME = "time"
    WEEKDAY = "weekday"
    QUANTITY = "quantity"  # quantity of one SKU: the leaf names it with "sku"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    type: FieldType
    read: Callable[[OrderFacts], Any]
    help: str


def _upper(value: str) -> str:
    return value.upper()


FIELDS: dict[str, FieldSpec] = {
    "channel": FieldSpec(FieldType.TEXT, lambda f: f.channel, "channel code the order came from"),
    "total": FieldSpec(FieldType.MONEY, lambda f: (f.total_minor, f.currency), "order total"),
    "country": FieldSpec(FieldType.TEXT, lambda f: _upper(f.country), "shipping country (ISO code)"),
    "region": FieldSpec(FieldType.TEXT, lambda f: f.region, "shipping state/province"),
    "postal_code": FieldSpec(FieldType.TEXT, lambda f: f.postal_code, "shipping postal code"),
    "billing_country": FieldSpec(FieldType.TEXT, lambda f: _upper(f.billing_country), "billing country"),
    "skus": FieldSpec(FieldType.SET, lambda f: f.skus, "SKUs on the order"),
    "quantity": FieldSpec(FieldType.QUANTITY, lambda f: f.quantities, "quantity of one SKU (leaf has \"sku\")"),
    "total_quantity": FieldSpec(FieldType.NUMBER, lambda f: f.total_quantity, "units on the order"),
    "line_count": FieldSpec(FieldType.NUMBER, lambda f: f.line_count, "order lines"),
    "customer_tags": FieldSpec(FieldType.SET, lambda f: f.customer_tags, "tags on the customer"),
    "order_tags": FieldSpec(FieldType.SET, lambda f: f.order_tags, "tags on the order so far"),
    "email_domain": FieldSpec(FieldType.TEXT, lambda f: f.email_domain.lower(), "customer e-mail domain"),
    "is_first_order": FieldSpec(FieldType.BOOLEAN, lambda f: f.is_first_order, "customer's first order"),
    "billing_shipping_mismatch": FieldSpec(FieldType.BOOLEAN, lambda f: f.billing_shipping_mismatch,
                                           "billing and shipping countries differ"),
    "risk_score": FieldSpec(FieldType.NUMBER, lambda f: f.risk_score, "risk score 0-100"),
    "local_time": FieldSpec(FieldType.TIME, lambda f: f.local_time, "time of day placed, merchant's zone"),
    "weekday": FieldSpec(FieldType.WEEKDAY, lambda f: f.weekday, "weekday placed (mon..sun), merchant's zone"),
}
