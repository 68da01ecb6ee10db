"""An order's financial view: what was ordered, cancelled, shipped, returned, captured, refunded and
is still due — computed from its lines, so it can never drift from them.

Every unit of a line carries an exact share of the line's price, discount and tax: the order-level
discount is first split over the lines by their value (largest remainder), then each line's amounts
are spread over its units (`allocation.Spread`). Units are numbered: shipped units come first
(returned ones are the first of those), cancelled units are the last, open ones sit in between. So
the parts (cancelled + shipped + open) add up exactly to what was ordered, every capture is exactly
the shipped units' amount, and refunding every unit gives back exactly what was paid for them.

Amounts are integer minor units in the order's currency. With `prices_include_tax` a unit price
already contains its tax (EU retail); otherwise tax is added on top (US retail).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from conveyor.billing.allocation import Spread, split_by_weight
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.money import Money


@dataclass(frozen=True, slots=True)
class KitComponent:
    """One part of a kit line: `per_kit` units of `sku` in every kit; `weight` is its share of the
    kit's value (e.g. its own list price), used when parts of a kit are returned."""

    sku: str
    per_kit: int = 1
    weight: int = 1


@dataclass(frozen=True, slots=True)
class OrderLine:
    line_id: str
    sku: str
    quantity: int
    unit_price: int
    line_discount: int = 0  # the whole line's discount, in minor units
    line_tax: int = 0  # the whole line's tax after discounts (as the channel or tax engine computed it)
    tax_rate: Decimal = Decimal(0)  # percent, e.g. Decimal("19")
    cancelled: int = 0
    shipped: int = 0
    returned: int = 0  # whole units (for a kit line: see component_returned)
    components: tuple[KitComponent, ...] = ()  # set for a kit line
    component_returned: Mapping[str, int] = field(default_factory=dict)  # component units returned, by SKU


@dataclass(frozen=True, slots=True)
class OrderMoney:
    currency: str
    lines: Sequence[OrderLine]
    order_discount: int = 0  # a discount on the whole order (a coupon), spread over the lines
    shipping: int = 0
    shipping_tax: int = 0
    shipping_tax_rate: Decimal = Decimal(0)
    prices_include_tax: bool = False
    order_tax: int = 0  # tax given for the whole order only (some channels), spread over the lines


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """A line's amounts, spread over its units."""

    line: OrderLine
    price: Spread
    discount: Spread  # the line's own discount plus its share of the order discount
    tax: Spread
    prices_include_tax: bool

    def total(self, start: int, count: int) -> int:
        """What the customer pays for these units: price − discount (+ tax when added on top)."""
        goods = self.price.for_units(start, count) - self.discount.for_units(start, count)
        return goods if self.prices_include_tax else goods + self.tax.for_units(start, count)

    def tax_of(self, start: int, count: int) -> int:
        return self.tax.for_units(start, count)

    def net_of_tax(self, start: int, count: int) -> int:
        return self.total(start, count) - self.tax_of(start, count)

    def component(self, sku: str) -> tuple[Spread, Spread]:
        """A kit component's (total, tax) over its units: the line's amounts split by component value,
        then spread over quantity × per_kit component units. Returning every part of every kit gives
        back exactly the line's total."""
        parts = self.line.components
        weights = [part.weight * part.per_kit for part in parts]
        totals = split_by_weight(self.total(0, self.line.quantity), weights)
        taxes = split_by_weight(self.tax_of(0, self.line.quantity), weights)
        for part, total, tax in zip(parts, totals, taxes, strict=True):
            if part.sku == sku:
                units = part.per_kit * self.line.quantity
                return Spread(total, units), Spread(tax, units)
        raise ValidationFailed(f"line {self.line.line_id} has no kit component {sku!r}")

    def returned_total(self) -> int:
        """The value of what came back: whole units, or for a kit the returned component units."""
        line = self.line
        if not line.components:
            return self.total(0, line.returned)
        return sum(self.component(sku)[0].for_units(0, count) for sku, count in line.component_returned.items())


@dataclass(frozen=True, slots=True)
class OrderAllocation:
    currency: str
    lines: Mapping[str, LineAmounts]
    shipping_total: int  # what the customer pays for shipping, tax included
    shipping_tax: int


def _check(order: OrderMoney) -> None:
    for line in order.lines:
        counts = (line.quantity, line.unit_price, line.line_discount, line.line_tax, line.cancelled, line.shipped)
        if min(counts) < 0 or line.returned < 0 or line.quantity < 1:
            raise ValidationFailed(f"line {line.line_id}: amounts and counts must not be negative, quantity at least 1")
        if line.cancelled + line.shipped > line.quantity or line.returned > line.shipped:
            raise ValidationFailed(
                f"line {line.line_id}: {line.shipped} shipped + {line.cancelled} cancelled exceed {line.quantity}, "
                f"or {line.returned} returned exceed shipped",
                ErrorCode.INVALID_QUANTITY,
            )
        if line.line_discount > line.unit_price * line.quantity:
            raise ValidationFailed(f"line {line.line_id}: the discount exceeds the line's price")
        per_kit = {part.sku: part.per_kit for part in line.components}
        for sku, count in line.component_returned.items():
            if sku not in per_kit or not 0 <= count <= per_kit[sku] * line.shipped:
                raise ValidationFailed(f"line {line.line_id}: {count} of kit part {sku!r} cannot have come back")
    goods = sum(line.unit_price * line.quantity - line.line_discount for line in order.lines)
    if order.order_tax < 0 or order.shipping < 0 or order.shipping_tax < 0:
        raise ValidationFailed("order tax and shipping must not be negative")
    if not 0 <= order.order_discount <= goods:
        raise ValidationFailed(f"the order discount {order.order_discount} must be between 0 and the goods {goods}")


def allocate(order: OrderMoney) -> OrderAllocation:
    """Spread the order's discount and each line's amounts over its units."""
    _check(order)
    values = [line.unit_price * line.quantity - line.line_discount for line in order.lines]
    order_discount_shares = split_by_weight(order.order_discount, values)
    discounted = [value - share for value, share in zip(values, order_discount_shares, strict=True)]
    order_tax_shares = split_by_weight(order.order_tax, discounted)
    lines = {
        line.line_id: LineAmounts(
            line,
            Spread(line.unit_price * line.quantity, line.quantity),
            Spread(line.line_discount + share, line.quantity),
            Spread(line.line_tax + tax_share, line.quantity),
            order.prices_include_tax,
        )
        for line, share, tax_share in zip(order.lines, order_discount_shares, order_tax_shares, strict=True)
    }
    shipping_total = order.shipping if order.prices_include_tax else order.shipping + order.shipping_tax
    return OrderAllocation(order.currency, lines, shipping_total, order.shipping_tax)


def shipment_amount(order: OrderMoney, shipping_now: Mapping[str, int]) -> Money:
    """What the units shipping now cost (the amount to capture): the next unshipped units of each
    line, plus the order's shipping charge on its first shipment."""
    allocation = allocate(order)
    total = 0
    for line_id, count in shipping_now.items():
        amounts = allocation.lines[line_id]
        line = amounts.line
        if count < 0 or line.shipped + count > line.quantity - line.cancelled:
            raise ValidationFailed(f"line {line_id}: cannot ship {count} more", ErrorCode.INVALID_QUANTITY)
        total += amounts.total(line.shipped, count)
    first_shipment = not any(line.shipped for line in order.lines)
    if first_shipment and any(shipping_now.values()):
        total += allocation.shipping_total
    return Money(total, order.currency)


@dataclass(frozen=True, slots=True)
class Adjustments:
    """Money facts after the sale that the lines alone cannot tell."""

    restocking_fees: int = 0  # kept back from refunds of returned units
    shipping_refunded: int = 0  # shipping paid back (with a return, or for a cancelled order)
    goodwill: int = 0  # refunded or credited without a return or cancellation (an appeasement)
    credited: int = 0  # given back as store credit or moved to an exchange order, not refunded


@dataclass(frozen=True, slots=True)
class LineView:
    line_id: str
    ordered: int
    cancelled: int
    shipped: int
    returned: int
    open: int  # neither shipped nor cancelled yet
    tax: int


@dataclass(frozen=True, slots=True)
class FinancialView:
    currency: str
    subtotal: int  # unit prices × quantities
    discounts: int  # line discounts + the order discount
    tax: int  # lines' and shipping's tax
    shipping: int  # shipping charged, tax included
    ordered: int  # what the order costs in all
    cancelled: int
    returned: int
    net: int  # what the customer owes for what they keep
    captured: int
    refunded: int
    paid: int  # captured − refunded − credited
    due: int  # net − paid; negative: the customer is owed money
    lines: tuple[LineView, ...] = field(default=())

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)


def _line_view(amounts: LineAmounts) -> LineView:
    line = amounts.line
    open_units = line.quantity - line.shipped - line.cancelled
    return LineView(
        line_id=line.line_id,
        ordered=amounts.total(0, line.quantity),
        cancelled=amounts.total(line.quantity - line.cancelled, line.cancelled),
        shipped=amounts.total(0, line.shipped),
        returned=amounts.returned_total(),
        open=amounts.total(line.shipped, open_units),
        tax=amounts.tax_of(0, line.quantity),
    )


def financial_view(
    order: OrderMoney, *, captured: int = 0, refunded: int = 0, adjustments: Adjustments | None = None
) -> FinancialView:
    """The order's money at a glance. Shipping counts as cancelled only when every unit is cancelled."""
    adjustments = adjustments or Adjustments()
    allocation = allocate(order)
    lines = tuple(_line_view(amounts) for amounts in allocation.lines.values())
    all_cancelled = all(line.cancelled == line.quantity for line in order.lines)
    ordered = sum(v.ordered for v in lines) + allocation.shipping_total
    cancelled = sum(v.cancelled for v in lines) + (allocation.shipping_total if all_cancelled else 0)
    returned = sum(v.returned for v in lines)
    net = ordered - cancelled - returned + adjustments.restocking_fees - adjustments.goodwill
    net -= 0 if all_cancelled else adjustments.shipping_refunded
    paid = captured - refunded - adjustments.credited
    return FinancialView(
        currency=order.currency,
        subtotal=sum(line.unit_price * line.quantity for line in order.lines),
        discounts=sum(line.line_discount for line in order.lines) + order.order_discount,
        tax=sum(v.tax for v in lines) + order.shipping_tax,
        shipping=allocation.shipping_total,
        ordered=ordered,
        cancelled=cancelled,
        returned=returned,
        net=net,
        captured=captured,
        refunded=refunded,
        paid=paid,
        due=net - paid,
        lines=lines,
    )
