"""The money figures of one channel order, twice: as the channel sent them and as Conveyor
computes them from the mapped lines. Both are kept side by side (DESIGN: raw input is kept; the
channel's figures are never replaced by ours). Minor units of `currency`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ChannelTotals:
    """The channel's own figures, exactly as sent (None: the channel did not send that figure).

    - `subtotal_minor`: the channel's subtotal (its own definition: Shopify after discounts,
      BigCommerce before; `as_sent` tells which field it came from).
    - `discount_minor`: every discount on the order.
    - `shipping_minor`: shipping (and handling) before tax.
    - `tax_minor`: all tax on the order — lines, shipping and order level.
    - `line_tax_minor`: the sum of the per-line tax the channel gave.
    - `order_level_tax_minor`: tax the channel gave for the order only, on no line and not on
      shipping (spread over our lines so it is not lost).
    - `other_charges_minor`: charges with no place in an order line or shipping (gift wrap, COD
      fee, positive fees, wrapping); each is also a problem on the mapped order.
    - `total_minor`: the grand total the buyer was charged.
    - `as_sent`: each figure's field name → its text exactly as received ("54.0000").
    """

    currency: str
    subtotal_minor: int | None = None
    discount_minor: int | None = None
    shipping_minor: int | None = None
    tax_minor: int | None = None
    line_tax_minor: int | None = None
    order_level_tax_minor: int = 0
    other_charges_minor: int = 0
    total_minor: int | None = None
    as_sent: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ComputedTotals:
    """Conveyor's own sums over the mapped order: subtotal = Σ unit × quantity; discount = line
    discounts + order discount; tax = line tax + shipping tax; total = subtotal − discount +
    shipping (+ tax unless prices include it)."""

    subtotal_minor: int
    discount_minor: int
    shipping_minor: int
    tax_minor: int
    total_minor: int


def order_level_tax(declared_tax_minor: int | None, line_tax_minor: int, shipping_tax_minor: int) -> int:
    """Tax the channel declared for the order that no line and no shipping line carries."""
    if declared_tax_minor is None:
        return 0
    return max(declared_tax_minor - line_tax_minor - shipping_tax_minor, 0)
