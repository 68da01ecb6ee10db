"""Shopify REST Admin `Order` → `PlaceOrder` (the body of `orders/create` webhooks is the same
object).

Where the money is, per the Order resource docs:
- `line_items[].price` is the unit price before discounts; `discount_allocations[].amount`
  holds every discount that landed on the line, order-level ones included (Shopify allocates
  them across lines), so `order_discount_minor` stays 0 and `total_discounts` is only echoed.
- `line_items[].tax_lines[].price` is the line's tax; `shipping_lines[].tax_lines` the
  shipping tax. With `taxes_included` the prices already contain that tax.
- `shipping_lines[].discounted_price` is shipping after shipping discounts.
- `total_price` is the declared grand total.
Ids are 64-bit and may exceed 2^53, so they are read as exact ints and kept as strings.
"""

from __future__ import annotations

from typing import Any

from conveyor.channels.mappers.common import (
    MappedOrder,
    SkuLookup,
    SkuResolver,
    finish,
    id_str,
    load_json,
    make_line,
    money,
)
from conveyor.orders.commands import Address, LineInput, PlaceOrder


def map_order(payload: bytes | str | dict, sku_lookup: SkuLookup, *, channel: str) -> MappedOrder:
    data = load_json(payload)
    data = data.get("order", data)  # accept both the webhook body and GET /orders/{id}.json
    currency = data.get("currency") or data.get("presentment_currency") or ""
    resolver = SkuResolver(sku_lookup)
    lines = [_line(item, currency, resolver) for item in data.get("line_items") or []]
    shipping, shipping_tax = _shipping(data.get("shipping_lines") or [], currency)
    order = PlaceOrder(
        channel=channel,
        currency=currency,
        lines=lines,
        external_id=id_str(data.get("id")),
        customer_name=_customer_name(data),
        customer_email=data.get("email") or data.get("contact_email") or "",
        customer_phone=data.get("phone") or (data.get("customer") or {}).get("phone") or "",
        billing_address=_address(data.get("billing_address")),
        shipping_address=_address(data.get("shipping_address")),
        shipping_minor=shipping,
        notes=data.get("note") or "",
        tags=[t.strip() for t in (data.get("tags") or "").split(",") if t.strip()],
    )
    declared = money(data["total_price"], currency) if data.get("total_price") is not None else None
    return finish(
        order,
        resolver,
        declared,
        shipping_tax_minor=shipping_tax,
        taxes_included=bool(data.get("taxes_included")),
    )


def sku_key(item: dict[str, Any]) -> str:
    """The key the merchant maps: the SKU, or `variant_id:<id>` when the shop left it blank."""
    sku = (item.get("sku") or "").strip()
    if sku:
        return sku
    if item.get("variant_id") is not None:
        return f"variant_id:{item['variant_id']}"
    return f"product_id:{item['product_id']}" if item.get("product_id") is not None else ""


def _line(item: dict[str, Any], currency: str, resolver: SkuResolver) -> LineInput:
    quantity = int(item.get("quantity") or 0)
    name = item.get("name") or item.get("title") or ""
    sku = resolver.resolve(sku_key(item), f"line {id_str(item.get('id'))}: {name}")
    discount = sum(money(d.get("amount"), currency) for d in item.get("discount_allocations") or [])
    if not item.get("discount_allocations"):
        # Older API versions only carry the line's total_discount.
        discount = money(item.get("total_discount"), currency)
    tax = sum(money(t.get("price"), currency) for t in item.get("tax_lines") or [])
    line_total = money(item.get("price"), currency) * quantity
    return make_line(sku, quantity, line_total, discount, tax, name)


def _shipping(shipping_lines: list[dict[str, Any]], currency: str) -> tuple[int, int]:
    shipping = tax = 0
    for line in shipping_lines:
        price = line.get("discounted_price", line.get("price"))
        shipping += money(price, currency)
        tax += sum(money(t.get("price"), currency) for t in line.get("tax_lines") or [])
    return shipping, tax


def _customer_name(data: dict[str, Any]) -> str:
    customer = data.get("customer") or {}
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p)
    return name or (data.get("shipping_address") or data.get("billing_address") or {}).get("name") or ""


def _address(raw: dict[str, Any] | None) -> Address | None:
    if not raw:
        return None
    name = raw.get("name") or " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
    return Address(
        name=name,
        company=raw.get("company") or "",
        line1=raw.get("address1") or "",
        line2=raw.get("address2") or "",
        city=raw.get("city") or "",
        region=raw.get("province_code") or raw.get("province") or "",
        postal_code=raw.get("zip") or "",
        country=raw.get("country_code") or raw.get("country") or "",
        phone=raw.get("phone") or "",
        latitude=_coordinate(raw.get("latitude")),
        longitude=_coordinate(raw.get("longitude")),
    )


def _coordinate(value: Any) -> float | None:
    # Coordinates are not money: a float is the right type here.
    return None if value in (None, "") else float(value)
