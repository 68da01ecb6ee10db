"""Tax per rate, as an invoice shows it, and how shipping is taxed.

Lines bring their own tax (from the channel or the tax engine, already rounded per line); an
invoice groups them by rate: net, tax and gross per rate, in minor units, so the rate lines add up
exactly to the document's totals. Shipping is taxed by the seller's policy:

  not_taxed     shipping carries no tax
  fixed_rate    shipping is taxed at one rate (`shipping_rate`)
  proportional  shipping follows the goods: split over their rates by net value (EU practice
                for mixed-rate baskets), each part taxed at its rate
  highest_rate  shipping is taxed at the highest rate among the goods
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from conveyor.billing.allocation import split_by_weight


class ShippingTax(StrEnum):
    NOT_TAXED = "not_taxed"
    FIXED_RATE = "fixed_rate"
    PROPORTIONAL = "proportional"
    HIGHEST_RATE = "highest_rate"


@dataclass(frozen=True, slots=True)
class TaxLine:
    rate: Decimal  # percent
    net: int
    tax: int

    @property
    def gross(self) -> int:
        return self.net + self.tax


def tax_on_net(net: int, rate: Decimal) -> int:
    """Tax added on top of a net amount, rounded half-even to the minor unit."""
    return int((Decimal(net) * rate / 100).quantize(Decimal(1), ROUND_HALF_EVEN))


def tax_in_gross(gross: int, rate: Decimal) -> int:
    """The tax contained in a tax-inclusive amount."""
    return int((Decimal(gross) * rate / (100 + rate)).quantize(Decimal(1), ROUND_HALF_EVEN))


def tax_per_rate(lines: Iterable[TaxLine]) -> list[TaxLine]:
    """Lines grouped by rate, highest rate first."""
    grouped: dict[Decimal, tuple[int, int]] = {}
    for line in lines:
        rate = line.rate.normalize()
        net, tax = grouped.get(rate, (0, 0))
        grouped[rate] = (net + line.net, tax + line.tax)
    return [TaxLine(rate, net, tax) for rate, (net, tax) in sorted(grouped.items(), reverse=True)]


def shipping_tax_lines(
    shipping: int,
    goods: Sequence[TaxLine],
    policy: ShippingTax,
    *,
    shipping_rate: Decimal = Decimal(0),
    prices_include_tax: bool = False,
) -> list[TaxLine]:
    """Shipping as tax lines under `policy`. `shipping` is the charge as the customer sees it: gross
    when prices include tax, else net."""
    if shipping <= 0:
        return []
    if policy is ShippingTax.NOT_TAXED:
        return [TaxLine(Decimal(0), shipping, 0)]
    if policy is ShippingTax.FIXED_RATE:
        rates, parts = [shipping_rate], [shipping]
    elif policy is ShippingTax.HIGHEST_RATE:
        rates, parts = [max((g.rate for g in goods), default=shipping_rate)], [shipping]
    else:
        by_rate = tax_per_rate(goods) or [TaxLine(shipping_rate, 1, 0)]
        rates = [line.rate for line in by_rate]
        parts = split_by_weight(shipping, [max(line.net, 0) for line in by_rate])
    lines = []
    for rate, part in zip(rates, parts, strict=True):
        if prices_include_tax:
            tax = tax_in_gross(part, rate)
            lines.append(TaxLine(rate, part - tax, tax))
        else:
            lines.append(TaxLine(rate, part, tax_on_net(part, rate)))
    return lines
