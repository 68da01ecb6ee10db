"""Checks on an incoming order before anything is written."""

from __future__ import annotations

from conveyor.orders.commands import PlaceOrder
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.money import MAX_MINOR, check_currency

MAX_QUANTITY = 1_000_000


def validate_command(cmd: PlaceOrder, max_lines: int) -> None:
    check_currency(cmd.currency)
    if not cmd.lines:
        raise ValidationFailed("an order needs at least one line")
    if len(cmd.lines) > max_lines:
        raise ValidationFailed(f"an order may have at most {max_lines} lines")
    for number, line in enumerate(cmd.lines, start=1):
        if not isinstance(line.quantity, int) or not 0 < line.quantity <= MAX_QUANTITY:
            raise ValidationFailed(f"line {number}: quantity must be a whole number from 1 to {MAX_QUANTITY}",
                                   ErrorCode.INVALID_QUANTITY, line=number)
        if min(line.unit_price_minor, line.discount_minor, line.tax_minor) < 0:
            raise ValidationFailed(f"line {number}: amounts cannot be negative", line=number)
        if line.discount_minor > line.unit_price_minor * line.quantity:
            raise ValidationFailed(f"line {number}: discount exceeds the line amount", line=number)
        if not line.sku:
            raise ValidationFailed(f"line {number}: sku is required", line=number)
        if line.unit_price_minor * line.quantity + line.tax_minor > MAX_MINOR:
            raise ValidationFailed(f"line {number}: the line total is larger than Conveyor can store", line=number)
    if min(cmd.shipping_minor, cmd.order_discount_minor, cmd.shipping_tax_minor) < 0:
        raise ValidationFailed("shipping and discount cannot be negative")


def totals(cmd: PlaceOrder) -> dict[str, int]:
    subtotal = sum(li.unit_price_minor * li.quantity for li in cmd.lines)
    discount = sum(li.discount_minor for li in cmd.lines) + cmd.order_discount_minor
    tax = sum(li.tax_minor for li in cmd.lines) + cmd.shipping_tax_minor
    if discount > subtotal:
        raise ValidationFailed("discounts exceed the order subtotal")
    if subtotal + tax + cmd.shipping_minor > MAX_MINOR:
        raise ValidationFailed("the order total is larger than Conveyor can store")
    return {"subtotal_minor": subtotal, "discount_minor": discount, "tax_minor": tax,
            "shipping_minor": cmd.shipping_minor,
            "total_minor": subtotal - discount + tax + cmd.shipping_minor}
