"""An order's money as `billing.financials` reads it, from the order's stored lines.

The order keeps totals, not an order-level discount or shipping tax of their own: those are what
the order's totals hold beyond its lines (`orders/validation.py totals`). Prices are stored before
tax (tax is added on top). A line's tax rate is not stored either; for documents it is read back
from the line's tax and its value after discounts, to three decimals (8.875 % sales tax, 19 % VAT).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from conveyor.billing.allocation import split_by_weight
from conveyor.billing.financials import OrderLine, OrderMoney

RATE_PLACES = Decimal("0.001")


def implied_rate(tax: int, base: int) -> Decimal:
    """The simplest percent rate (fewest decimals, at most three) that gives `tax` on `base` when
    rounded to the minor unit: 6.00 on 59.97 is 10 %, not 10.005 %. 0 when there is no base."""
    if base <= 0 or tax <= 0:
        return Decimal(0)
    exact = Decimal(tax) * 100 / Decimal(base)
    for places in range(4):
        rate = exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
        if (Decimal(base) * rate / 100).quantize(Decimal(1), ROUND_HALF_EVEN) == tax:
            return rate.normalize()
    return exact.quantize(RATE_PLACES, ROUND_HALF_EVEN).normalize()


def order_money(order: Any, returned: Mapping[str, int] | None = None) -> OrderMoney:
    """`order` is an `orders.model.Order` (read through the orders service); `returned` the units
    of each line that came back, when the caller knows them (otherwise the line's own count)."""
    lines = list(order.lines)
    line_discounts = sum(li.discount_minor for li in lines)
    line_taxes = sum(li.tax_minor for li in lines)
    order_discount = max(order.discount_minor - line_discounts, 0)
    values = [li.unit_price_minor * li.quantity - li.discount_minor for li in lines]
    shares = split_by_weight(order_discount, values)
    money_lines = []
    for li, value, share in zip(lines, values, shares, strict=True):
        returned_units = (returned or {}).get(li.id, li.returned)
        money_lines.append(OrderLine(
            line_id=li.id, sku=li.sku_code, quantity=li.quantity, unit_price=li.unit_price_minor,
            line_discount=li.discount_minor, line_tax=li.tax_minor, tax_rate=implied_rate(li.tax_minor, value - share),
            cancelled=li.cancelled, shipped=li.shipped, returned=min(returned_units, li.shipped)))
    shipping_tax = max(order.tax_minor - line_taxes, 0)
    return OrderMoney(currency=order.currency, lines=money_lines, order_discount=order_discount,
                      shipping=order.shipping_minor, shipping_tax=shipping_tax,
                      shipping_tax_rate=implied_rate(shipping_tax, order.shipping_minor))


def descriptions(order: Any) -> dict[str, str]:
    return {li.id: li.name or li.sku_code for li in order.lines}
