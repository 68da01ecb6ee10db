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

from conveyor.channels.mappers.totals import ChannelTotals, ComputedTotals
from conveyor.channels.statuses import PaymentState, payment_hold_reason
from conveyor.orders.commands import LineInput, PlaceOrder
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.money import exponent, format_minor, to_minor_rounded

SkuLookup = Callable[[str], str | None]
UNMAPPED = "unmapped_sku"


@dataclass(frozen=True, slots=True)
class LineRef:
    """The platform's identity of one order line, parallel to `MappedOrder.order.lines` (same
    index). `platform_line_id` is what every confirmation sent back must name (Shopify line item
    id, WooCommerce line item id, BigCommerce order product id, Amazon OrderItemId), kept as a
    string so leading zeros and ids beyond 2^53 survive. `sku_key` is the channel key the line was
    mapped by (the SKU, or the stable product/variation key when the SKU is empty)."""

    platform_line_id: str
    sku_key: str
    quantity: int
    product_id: str = ""
    variant_id: str = ""


@dataclass(slots=True)
class MappedOrder:
    """A channel order translated into our `PlaceOrder`, plus what the translation noticed.

    `channel_totals` holds the channel's own figures exactly as sent (minor units, with the text
    they came as); `computed` holds ours for the same order. A difference in the grand total sets
    `total_mismatch` and `mismatch_note` (both figures as money): the order is flagged, never
    corrected or refused. `declared_total_minor`/`computed_total_minor` repeat the two totals.
    `shipping_tax_minor` exists because `PlaceOrder` has no field for tax on shipping, yet the
    channel's total includes it. `taxes_included` is True when line prices already contain
    tax (Shopify/WooCommerce tax-inclusive stores); line `tax_minor` is then informational.
    `payment_state`/`platform_status` say whether the channel has been paid; an order that is not
    paid yet (or cancelled on the channel) also carries a hold reason so nothing allocates it.
    """

    order: PlaceOrder
    problems: list[str] = field(default_factory=list)
    declared_total_minor: int | None = None
    computed_total_minor: int = 0
    total_mismatch: bool = False
    shipping_tax_minor: int = 0
    taxes_included: bool = False
    order_number: str = ""
    payment_state: PaymentState = PaymentState.UNKNOWN
    platform_status: str = ""
    cancelled_on_channel: bool = False
    channel_totals: ChannelTotals | None = None
    computed: ComputedTotals | None = None
    mismatch_note: str = ""
    line_refs: list[LineRef] = field(default_factory=list)


def load_json(raw: bytes | str | dict | list) -> Any:
    """Parse a channel body. Integers stay exact Python ints (ids beyond 2^53 survive) and
    numbers with a fraction become Decimal, so no amount is ever a float."""
    if isinstance(raw, dict | list):
        return raw
    return json.loads(raw, parse_float=Decimal)


def money(value: Any, currency: str) -> int:
    """Any channel amount (str, int, Decimal, float, None, "") → minor units, half-even.

    Rounding rather than refusing extra digits, because BigCommerce sends 4 decimals and
    Amazon/WooCommerce computed amounts can carry more than the currency's exponent. Mappers read
    through `Amounts`, which rounds the same way but reports every amount that lost digits."""
    amount = _decimal(value)
    return 0 if amount is None else to_minor_rounded(amount, currency)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationFailed(f"amount {value!r} is not a number", amount=str(value)) from exc
    if not amount.is_finite():
        raise ValidationFailed(f"amount {value!r} is not a number", amount=str(value))
    return amount


class Amounts:
    """Reads a channel's amounts in one currency and remembers the ones that had more digits than
    the currency allows ("25.99" JPY, "12.345" USD): they are rounded half-even like `money`, and
    each one becomes an `amount_precision` problem so a person sees it (trailing zeros such as
    BigCommerce's "54.0000" are exact and not reported)."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.problems: list[str] = []
        self.as_sent: dict[str, str] = {}

    def read(self, value: Any, label: str, *, keep: bool = False, currency: str | None = None) -> int:
        """Minor units of `value`; `keep` records the text as sent under `label` (declared totals)."""
        code = currency or self.currency
        amount = _decimal(value)
        if keep and value is not None:
            self.as_sent[label] = str(value)
        if amount is None:
            return 0
        minor = to_minor_rounded(amount, code)
        if amount.scaleb(exponent(code)) != minor:
            self.problems.append(f"amount_precision: {label} {value} {code} has more than {exponent(code)} "
                                 f"decimals; taken as {format_minor(minor, code)}")
        return minor

    def optional(self, value: Any, label: str) -> int | None:
        """A declared figure kept as sent, or None when the channel did not send it."""
        return None if value is None or value == "" else self.read(value, label, keep=True)


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

    def resolve(self, key: str, line_label: str, aliases: tuple[str, ...] = ()) -> str:
        """The merchant SKU for `key`; on a miss the channel key stays on the line (so the
        order keeps every line) and the miss is recorded for the hold reason.

        `aliases` are the keys earlier versions used for the same product (`variant_id:<id>`),
        tried after `key` so mappings merchants already made keep working; the line and the hold
        always name `key`, the one stable key to map from now on."""
        for candidate in (key, *aliases):
            sku = self._lookup(candidate) if candidate else None
            if sku:
                return sku
        shown = key or "<no sku>"
        self.unmapped.append(shown)
        self.problems.append(f"{UNMAPPED}: {shown} ({line_label})")
        return key


def computed_total(order: PlaceOrder, shipping_tax_minor: int = 0, taxes_included: bool = False) -> int:
    """lines + shipping − discounts + tax, the way the channel's grand total is built."""
    return compute_totals(order, shipping_tax_minor, taxes_included).total_minor


def compute_totals(order: PlaceOrder, shipping_tax_minor: int = 0, taxes_included: bool = False) -> ComputedTotals:
    subtotal = sum(line.unit_price_minor * line.quantity for line in order.lines)
    discount = order.order_discount_minor + sum(line.discount_minor for line in order.lines)
    tax = shipping_tax_minor + sum(line.tax_minor for line in order.lines)
    total = subtotal - discount + order.shipping_minor + (0 if taxes_included else tax)
    return ComputedTotals(subtotal, discount, order.shipping_minor, tax, total)


@dataclass(slots=True)
class Finish:
    """What a mapper hands `finish` besides the order: everything optional has a safe default."""

    declared_total_minor: int | None = None
    problems: list[str] = field(default_factory=list)
    shipping_tax_minor: int = 0
    taxes_included: bool = False
    channel_totals: ChannelTotals | None = None
    order_number: str = ""
    payment_state: PaymentState = PaymentState.UNKNOWN
    platform_status: str = ""
    cancelled_on_channel: bool = False
    line_refs: list[LineRef] = field(default_factory=list)


def finish(
    order: PlaceOrder,
    resolver: SkuResolver,
    declared_total_minor: int | None = None,
    *,
    problems: list[str] | None = None,
    shipping_tax_minor: int = 0,
    taxes_included: bool = False,
    extra: Finish | None = None,
) -> MappedOrder:
    """Attach problems, put tax sent only at order level onto the lines, set the holds (unmapped
    SKUs, not yet paid, cancelled on the channel) and compare totals (flag only)."""
    info = extra or Finish()
    if extra is None:
        info.declared_total_minor, info.shipping_tax_minor, info.taxes_included = (
            declared_total_minor, shipping_tax_minor, taxes_included)
        info.problems = list(problems or [])
    if info.channel_totals and info.channel_totals.order_level_tax_minor:
        allocate_order_level_tax(order, info.channel_totals.order_level_tax_minor)
    all_problems = [*info.problems, *resolver.problems]
    _set_holds(order, resolver, info)
    computed = compute_totals(order, info.shipping_tax_minor, info.taxes_included)
    declared = info.declared_total_minor
    mismatch = declared is not None and computed.total_minor != declared
    note = ""
    if mismatch and declared is not None:
        note = mismatch_text(declared, computed.total_minor, order.currency)
        all_problems.append(f"total_mismatch: {note}")
    return MappedOrder(
        order=order, problems=all_problems, declared_total_minor=declared,
        computed_total_minor=computed.total_minor, total_mismatch=mismatch,
        shipping_tax_minor=info.shipping_tax_minor, taxes_included=info.taxes_included,
        order_number=info.order_number, payment_state=info.payment_state, platform_status=info.platform_status,
        cancelled_on_channel=info.cancelled_on_channel, channel_totals=info.channel_totals, computed=computed,
        mismatch_note=note, line_refs=info.line_refs,
    )


def _set_holds(order: PlaceOrder, resolver: SkuResolver, info: Finish) -> None:
    reasons = []
    if resolver.unmapped:
        reasons.append(f"{UNMAPPED}: " + ", ".join(dict.fromkeys(resolver.unmapped)))
    if info.cancelled_on_channel:
        reasons.append(f"cancelled_on_channel: {info.platform_status or 'cancelled'}")
    else:
        payment = payment_hold_reason(info.payment_state, info.platform_status)
        if payment:
            reasons.append(payment)
    if reasons:
        order.hold_reason = "; ".join(reasons)[:200]


def mismatch_text(declared_minor: int, computed_minor: int, currency: str) -> str:
    """Both totals as money, e.g. "channel 300.00 USD, computed 275.39 USD"."""
    try:
        return (f"channel {format_minor(declared_minor, currency)} {currency}, "
                f"computed {format_minor(computed_minor, currency)} {currency}")
    except ValidationFailed:  # an unknown currency still gets both figures, unformatted
        return f"channel {declared_minor}, computed {computed_minor} (minor units, {currency or 'no currency'})"


def allocate_order_level_tax(order: PlaceOrder, tax_minor: int) -> None:
    """Spread tax the channel gives only for the whole order over the lines, in proportion to
    each line's net amount (largest remainder, so the cents add up exactly). The channel's own
    figure stays in `ChannelTotals`; this only keeps the tax from being lost."""
    nets = [max(line.unit_price_minor * line.quantity - line.discount_minor, 0) for line in order.lines]
    if not order.lines or tax_minor <= 0:
        return
    base = sum(nets) or len(nets)
    weights = nets if sum(nets) else [1] * len(nets)
    shares = [tax_minor * w // base for w in weights]
    leftovers = sorted(range(len(weights)), key=lambda i: -(tax_minor * weights[i] % base))
    for i in leftovers[: tax_minor - sum(shares)]:
        shares[i] += 1
    for line, share in zip(order.lines, shares, strict=True):
        line.tax_minor += share


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
