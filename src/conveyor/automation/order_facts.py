"""Building `OrderFacts` (what rule conditions look at) from an order about to be placed (a
`PlaceOrder`) or from a stored order, with the risk score when a rule asks for it.

The counts behind `is_first_order` and the risk score cost a query each, so they are read
only when one of the rules being run names `is_first_order` or `risk_score`: an ordinary rule
set adds nothing to placing an order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from conveyor.automation.conditions import All, AnyOf, Condition, Leaf, Not
from conveyor.automation.facts import OrderFacts
from conveyor.automation.risk import DEFAULT_POLICY, RiskAssessment, RiskInput, RiskPolicy, assess, email_domain
from conveyor.automation.rules import Rule
from conveyor.orders import queries
from conveyor.orders.addresses import address_key
from conveyor.orders.commands import PlaceOrder
from conveyor.orders.validation import totals
from conveyor.shared.clock import as_utc
from conveyor.shared.money import Money
from conveyor.shared.uow import UnitOfWork

COUNTED = frozenset({"is_first_order", "risk_score"})


@dataclass(frozen=True, slots=True)
class FactsSettings:
    time_zone: str = "UTC"  # the merchant's: "time of day" in rules means the merchant's clock
    risk_window: timedelta = timedelta(hours=24)
    risk_policy: RiskPolicy = field(default=DEFAULT_POLICY)

    @classmethod
    def of(cls, settings: Any) -> FactsSettings:
        """From `conveyor.config.Settings` (shop_time_zone, risk_window_hours)."""
        return cls(settings.shop_time_zone, timedelta(hours=settings.risk_window_hours))


def fields_used(rules: Iterable[Rule]) -> frozenset[str]:
    """Every field the rules' conditions name."""
    found: set[str] = set()

    def walk(condition: Condition) -> None:
        if isinstance(condition, Leaf):
            found.add(condition.field)
        elif isinstance(condition, All | AnyOf):
            for child in condition.children:
                walk(child)
        elif isinstance(condition, Not):
            walk(condition.child)

    for rule in rules:
        walk(rule.condition)
    return frozenset(found)


class StoredOrder(Protocol):
    """The attributes of an order the facts need (an `orders.model.Order` has them)."""

    id: str
    total_minor: int
    currency: str
    customer_email: str
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    tags: list[str]
    created_at: datetime
    ship_to_key: str | None
    lines: Any


@dataclass(frozen=True, slots=True)
class _Shape:
    channel: str
    total: Money
    email: str
    shipping: Mapping[str, Any]
    billing: Mapping[str, Any]
    quantities: dict[str, int]
    line_count: int
    tags: frozenset[str]
    placed_at: datetime


def facts_for_command(uow: UnitOfWork, cmd: PlaceOrder, now: datetime, settings: FactsSettings,
                      needs: frozenset[str]) -> tuple[OrderFacts, RiskAssessment | None]:
    """Facts of an order before it is placed (the `placed` lifecycle point)."""
    quantities: dict[str, int] = {}
    for line in cmd.lines:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    shape = _Shape(cmd.channel, Money(totals(cmd)["total_minor"], cmd.currency), cmd.customer_email,
                   cmd.shipping_address.as_dict() if cmd.shipping_address else {},
                   cmd.billing_address.as_dict() if cmd.billing_address else {}, quantities, len(cmd.lines),
                   frozenset(cmd.tags), now)
    first, recent = None, 0
    if needs & COUNTED:
        first = queries.customer_order_count(uow, cmd.customer_email) == 0
        key = address_key(cmd.shipping_address)
        recent = queries.orders_to_address_since(uow, key, now - settings.risk_window) + 1  # this one too
    return _facts(shape, settings, needs, first, recent)


def facts_for_order(uow: UnitOfWork, order: StoredOrder, channel_code: str, settings: FactsSettings,
                    needs: frozenset[str]) -> tuple[OrderFacts, RiskAssessment | None]:
    """Facts of a stored order (later lifecycle points and dry runs)."""
    quantities: dict[str, int] = {}
    for line in order.lines:
        quantities[line.sku_code] = quantities.get(line.sku_code, 0) + line.quantity
    placed_at = as_utc(order.created_at)
    shape = _Shape(channel_code, Money(order.total_minor, order.currency), order.customer_email,
                   order.shipping_address or {}, order.billing_address or {}, quantities, len(order.lines),
                   frozenset(order.tags or ()), placed_at)
    first, recent = None, 0
    if needs & COUNTED:
        first = queries.customer_order_count(uow, order.customer_email, placed_before=placed_at) == 0
        recent = queries.orders_to_address_since(uow, order.ship_to_key, placed_at - settings.risk_window)
    return _facts(shape, settings, needs, first, recent)


def _facts(shape: _Shape, settings: FactsSettings, needs: frozenset[str], first: bool | None,
           recent: int) -> tuple[OrderFacts, RiskAssessment | None]:
    country = str(shape.shipping.get("country") or "")
    billing_country = str(shape.billing.get("country") or "")
    risk = None
    if "risk_score" in needs:
        risk = assess(RiskInput(billing_country, country, shape.total, bool(first), shape.email, recent),
                      settings.risk_policy)
    facts = OrderFacts(
        channel=shape.channel, total_minor=shape.total.minor, currency=shape.total.currency, country=country,
        placed_at=shape.placed_at, region=str(shape.shipping.get("region") or ""),
        postal_code=str(shape.shipping.get("postal_code") or ""), quantities=shape.quantities,
        line_count=shape.line_count, email_domain=email_domain(shape.email) if shape.email else "",
        is_first_order=bool(first), billing_country=billing_country, risk_score=risk.score if risk else 0,
        order_tags=shape.tags, time_zone=settings.time_zone)
    return facts, risk
