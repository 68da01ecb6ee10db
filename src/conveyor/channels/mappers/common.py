"""What every channel mapper shares: the result type, money parsing, SKU resolution and the
total check. Pure: no database, no HTTP.

Channel payloads carry money as decimal strings ("19.99"), JSON numbers (WooCommerce's line
`price`) or 4-decimal strings (BigCommerce "54.0000"). We never let a float near an amount:
`load_json` parses JSON numbers with a fraction as `Decimal`, and `money` goes through `str()`
for any float a caller hands us anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from conveyor.orders.commands import LineInput, PlaceOrder
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.money import to_minor_rounded

SkuLookup = Callable[[str], str | None]
UNMAPPED = "unmapped_sku"


@dataclass(slots=True)
class MappedOrder:
    """A channel order translated into our `PlaceOrder`, plus what the translation noticed.

    `declared_total_minor` is the channel's own grand total, kept as given, so a later reader
    can see both numbers. `total_mismatch` is a flag for people: the order is still accepted.
    `shipping_tax_minor` exists because `PlaceOrder` has no field for tax on shipping, yet the
    channel's total includes it. `taxes_included` is True when line prices already contain
    tax (Shopify/WooCommerce tax-inclusive stores); line `tax_minor` is then informational.
    """

    order: PlaceOrder
    problems: list[str] = field(default_factory=list)
    declared_total_minor: int | None = None
    computed_total_minor: int = 0
    total_mismatch: bool = False
    shipping_tax_minor: int = 0
    taxes_included: bool = False


def load_json(raw: bytes | str | dict | list) -> Any:
    """Parse a channel body. Integers stay exact Python ints (ids beyond 2^53 survive) and
    numbers with a fraction become Decimal, so no amount is ever a float."""
    if isinstance(raw, dict | list):
        return raw
    return json.loads(raw, parse_float=Decimal)


def money(value: Any, currency: str) -> int:
    """Any channel amount (str, int, Decimal, float, None, "") → minor units, half-even.

    Rounding rather than refusing extra digits, because BigCommerce sends 4 decimals and
    Amazon/WooCommerce computed amounts can carry more than the currency's exponent."""
    if value is None or value == "":
        return 0
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationFailed(f"amount {value!r} is not a number", amount=str(value)) from exc
    if not amount.is_finite():
        raise ValidationFailed(f"amount {value!r} is not a number", amount=str(value))
    return to_minor_rounded(amount, currency)


def id_str(value: Any) -> str:
    """Channel ids as strings, as given (DESIGN: marketplace ids exceed 2^53)."""
    return "" if value is None else str(value)


def split_line_total(total_minor: int, quantity: int) -> tuple[int, int]:
    """Split a line total into (unit price, rounding residue) so that
    unit * quantity - residue == total exactly. The unit is rounded up and the residue
    (always >= 0, < quantity) is booked as line discount: 3 for 10.00 becomes
    3 x 3.34 less 0.02, and the order total still matches the channel to the cent."""
    if quantity <= 0:
        return 0, 0
    unit = -(-total_minor // quantity)  # ceiling division
    return unit, unit * quantity - total_minor


class SkuResolver:
    """Maps channel keys to merchant SKUs and remembers which ones failed."""

    def __init__(self, lookup: SkuLookup) -> None:
        self._lookup = lookup
        self.unmapped: list[str] = []
        self.problems: list[str] = []

    def resolve(self, key: str, line_label: str) -> str:
        """The merchant SKU for `key`; on a miss the channel key stays on the line (so the
        order keeps every line) and the miss is recorded for the hold reason."""
        sku = self._lookup(key) if key else None
        if sku:
            return sku
        shown = key or "<no sku>"
        self.unmapped.append(shown)
        self.problems.append(f"{UNMAPPED}: {shown} ({line_label})")
        return key


def computed_total(order: PlaceOrder, shipping_tax_minor: int = 0, taxes_included: bool = False) -> int:
    """lines + shipping − discounts + tax, the way the channel's grand total is built."""
    total = order.shipping_minor - order.order_discount_minor
    for line in order.lines:
        total += line.unit_price_minor * line.quantity - line.discount_minor
        if not taxes_included:
            total += line.tax_minor
    if not taxes_included:
        total += shipping_tax_minor
    return total


def finish(
    order: PlaceOrder,
    resolver: SkuResolver,
    declared_total_minor: int | None,
    *,
    problems: list[str] | None = None,
    shipping_tax_minor: int = 0,
    taxes_included: bool = False,
) -> MappedOrder:
    """Attach problems, set the hold for unmapped SKUs, and compare totals (flag only)."""
    all_problems = [*(problems or []), *resolver.problems]
    if resolver.unmapped:
        order.hold_reason = f"{UNMAPPED}: " + ", ".join(dict.fromkeys(resolver.unmapped))
    total = computed_total(order, shipping_tax_minor, taxes_included)
    mismatch = declared_total_minor is not None and total != declared_total_minor
    if mismatch:
        all_problems.append(f"total_mismatch: computed {total} != declared {declared_total_minor}")
    return MappedOrder(
        order=order,
        problems=all_problems,
        declared_total_minor=declared_total_minor,
        computed_total_minor=total,
        total_mismatch=mismatch,
        shipping_tax_minor=shipping_tax_minor,
        taxes_included=taxes_included,
    )


def make_line(
    sku: str, quantity: int, line_total_minor: int, discount_minor: int, tax_minor: int, name: str
) -> LineInput:
    """A line from the channel's pre-discount line total (price x quantity)."""
    unit, residue = split_line_total(line_total_minor, quantity)
    return LineInput(
        sku=sku,
        quantity=quantity,
        unit_price_minor=unit,
        discount_minor=discount_minor + residue,
        tax_minor=tax_minor,
        name=name,
    )
