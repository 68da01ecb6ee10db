"""How much a return gives back, and how that splits into refund, store credit and exchange.

Each returned unit gives back exactly what was paid for it — its price minus its share of line and
order discounts, plus its share of tax — taken from the order's allocation (`billing.financials`),
continuing after the units earlier returns already took. So returning everything, in any number of
returns, gives back exactly what the lines cost. Shipping comes back when the policy or staff say
so, once. A restocking fee (fixed per return, or a percentage of the goods) is kept from units the
fee applies to, split over them by value, and lowers the tax given back in proportion. The amount
sent to the original payment is capped at what was captured and not yet refunded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from conveyor.billing.allocation import split_by_weight
from conveyor.billing.financials import OrderAllocation, OrderMoney, allocate
from conveyor.returns.grading import RefundableUnits
from conveyor.returns.policy import ReturnPolicy, ShippingRefund
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.money import Money


@dataclass(frozen=True, slots=True)
class ReturningUnits:
    line_id: str
    quantity: int  # units of the line, or of `component_sku` for part of a kit
    component_sku: str | None = None
    fee_applies: bool = True  # False for units returned through our fault (see grading)


@dataclass(frozen=True, slots=True)
class RefundLine:
    line_id: str
    sku: str
    quantity: int
    goods: int  # what was paid for these units, tax included
    tax: int  # the tax in `goods`
    fee: int  # restocking fee kept from them
    tax_refunded: int  # the tax in `amount`

    @property
    def amount(self) -> int:
        return self.goods - self.fee


@dataclass(frozen=True, slots=True)
class RefundBreakdown:
    currency: str
    lines: tuple[RefundLine, ...]
    shipping: int  # shipping given back, tax included
    shipping_tax: int
    restocking_fee: int
    total: int  # what the return is worth: goods − fee + shipping
    amount: int  # what may go back to the original payment: `total` capped at captured − refunded
    refundable_before: int

    @property
    def capped(self) -> bool:
        return self.amount < self.total

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)


def returning_from_grading(refundable: Sequence[RefundableUnits], kit_lines: Collection[str]) -> list[ReturningUnits]:
    """The graded units to refund, as `refund_for_return` takes them (kits by component)."""
    return [
        ReturningUnits(
            units.line_id, units.quantity, units.sku if units.line_id in kit_lines else None, units.fee_applies
        )
        for units in refundable
    ]


def _unit_amounts(allocation: OrderAllocation, units: ReturningUnits, start: int) -> tuple[int, int, str]:
    amounts = allocation.lines.get(units.line_id)
    if amounts is None:
        raise ValidationFailed(f"no line {units.line_id!r} on this order", ErrorCode.NOT_FOUND)
    line = amounts.line
    if units.component_sku is None and line.components:
        raise ValidationFailed(f"line {line.line_id} is a kit: return it by component", ErrorCode.INVALID_QUANTITY)
    parts = {part.sku: part.per_kit for part in line.components}
    if units.component_sku is not None and units.component_sku not in parts:
        raise ValidationFailed(f"line {line.line_id} has no kit component {units.component_sku!r}")
    sku = units.component_sku or line.sku
    limit = line.shipped * parts.get(sku, 1)
    if units.quantity <= 0 or start + units.quantity > limit:
        raise ValidationFailed(
            f"{sku}: {units.quantity} more cannot come back ({start} of {limit} shipped already returned)",
            ErrorCode.INVALID_QUANTITY,
        )
    if units.component_sku is None:
        return amounts.total(start, units.quantity), amounts.tax_of(start, units.quantity), sku
    total_spread, tax_spread = amounts.component(units.component_sku)
    return total_spread.for_units(start, units.quantity), tax_spread.for_units(start, units.quantity), sku


def _already_returned(order: OrderMoney) -> dict[tuple[str, str | None], int]:
    done: dict[tuple[str, str | None], int] = {}
    for line in order.lines:
        done[(line.line_id, None)] = line.returned
        for sku, count in line.component_returned.items():
            done[(line.line_id, sku)] = count
    return done


def restocking_fee(policy: ReturnPolicy, fee_base: int) -> int:
    """Fixed per return plus a percentage of the goods it applies to, never more than those goods."""
    if fee_base <= 0:
        return 0
    percent = (Decimal(fee_base) * policy.restocking_fee_percent / 100).quantize(Decimal(1), ROUND_HALF_EVEN)
    return min(policy.restocking_fee_fixed + int(percent), fee_base)


def refund_for_return(
    order: OrderMoney,
    returning: Sequence[ReturningUnits],
    policy: ReturnPolicy,
    *,
    refundable: int,
    shipping_refunded_before: int = 0,
    include_shipping: bool | None = None,
) -> RefundBreakdown:
    """The refund for `returning`. `order` lines' `returned` / `component_returned` are the units
    earlier returns already gave back; `refundable` is captured − refunded (PaymentTotals.refundable)."""
    allocation = allocate(order)
    offsets = _already_returned(order)
    priced = []
    for units in returning:
        key = (units.line_id, units.component_sku)
        goods, tax, sku = _unit_amounts(allocation, units, offsets.get(key, 0))
        offsets[key] = offsets.get(key, 0) + units.quantity
        priced.append((units, goods, tax, sku))
    fee_weights = [goods if units.fee_applies else 0 for units, goods, _, _ in priced]
    fee = restocking_fee(policy, sum(fee_weights))
    fees = split_by_weight(fee, fee_weights) if priced else []
    lines = tuple(
        RefundLine(units.line_id, sku, units.quantity, goods, tax, line_fee, tax - _share(tax, line_fee, goods))
        for (units, goods, tax, sku), line_fee in zip(priced, fees, strict=True)
    )
    shipping, shipping_tax = _shipping_back(
        order, allocation, offsets, policy, shipping_refunded_before, include_shipping
    )
    total = sum(line.amount for line in lines) + shipping
    return RefundBreakdown(
        order.currency, lines, shipping, shipping_tax, fee, total, min(total, max(refundable, 0)), refundable
    )


def _share(amount: int, part: int, whole: int) -> int:
    """amount × part / whole, rounded half-even: the tax inside a fee."""
    if whole == 0:
        return 0
    return int((Decimal(amount) * part / whole).quantize(Decimal(1), ROUND_HALF_EVEN))


def _shipping_back(
    order: OrderMoney,
    allocation: OrderAllocation,
    returned: Mapping[tuple[str, str | None], int],
    policy: ReturnPolicy,
    refunded_before: int,
    include: bool | None,
) -> tuple[int, int]:
    if include is None:
        include = policy.refund_shipping is ShippingRefund.WHEN_ALL_RETURNED and _everything_back(order, returned)
    left = max(allocation.shipping_total - refunded_before, 0)
    if not include or left == 0:
        return 0, 0
    return left, _share(allocation.shipping_tax, left, allocation.shipping_total)


def _everything_back(order: OrderMoney, returned: Mapping[tuple[str, str | None], int]) -> bool:
    """Every unit that was not cancelled has come back (so the customer kept nothing that shipped)."""
    for line in order.lines:
        kept = line.quantity - line.cancelled
        if line.components:
            if any(returned.get((line.line_id, p.sku), 0) < p.per_kit * kept for p in line.components):
                return False
        elif returned.get((line.line_id, None), 0) < kept:
            return False
    return True


class Resolution(StrEnum):
    REFUND = "refund"  # to the original payment
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"  # a new order for a replacement, paid with the returned units' value


@dataclass(frozen=True, slots=True)
class Replacement:
    line_id: str  # the returned line it replaces
    sku: str
    quantity: int
    price: int  # what the replacement costs, tax included


@dataclass(frozen=True, slots=True)
class ResolutionPlan:
    refund: int  # to the original payment (never more than captured − refunded)
    store_credit: int
    exchange_credit: int  # value moved to the replacement order
    exchange_charge: int  # what the customer still pays when the replacement costs more
    replacements: tuple[Replacement, ...]


def plan_resolution(
    breakdown: RefundBreakdown,
    choices: Mapping[str, Resolution],
    replacements: Sequence[Replacement] = (),
) -> ResolutionPlan:
    """Split a return's value by what the customer chose per line. Shipping follows the refund when
    any line is refunded, else the store credit. What an exchange does not use is refunded; when the
    replacement costs more, the customer pays the difference (`exchange_charge`)."""
    value = {Resolution.REFUND: 0, Resolution.STORE_CREDIT: 0, Resolution.EXCHANGE: 0}
    for line in breakdown.lines:
        value[choices.get(line.line_id, Resolution.REFUND)] += line.amount
    shipping_to = (
        Resolution.REFUND if value[Resolution.REFUND] or not value[Resolution.STORE_CREDIT] else Resolution.STORE_CREDIT
    )
    value[shipping_to] += breakdown.shipping
    exchange_cost = sum(r.price for r in replacements)
    unused_by_exchange = value[Resolution.EXCHANGE] - min(value[Resolution.EXCHANGE], exchange_cost)
    # Never give back more than was paid and not yet refunded (`breakdown.amount`), however it goes back.
    budget = breakdown.amount
    exchange_credit = min(value[Resolution.EXCHANGE], exchange_cost, budget)
    budget -= exchange_credit
    store_credit = min(value[Resolution.STORE_CREDIT], budget)
    budget -= store_credit
    refund = min(value[Resolution.REFUND] + unused_by_exchange, budget)
    return ResolutionPlan(refund, store_credit, exchange_credit, exchange_cost - exchange_credit, tuple(replacements))
