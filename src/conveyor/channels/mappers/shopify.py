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
    Amounts,
    Finish,
    LineRef,
    MappedOrder,
    SkuLookup,
    SkuResolver,
    finish,
    id_str,
    load_json,
    make_line,
)
from conveyor.channels.mappers.totals import ChannelTotals, order_level_tax
from conveyor.channels.statuses import shopify_rule
from conveyor.orders.commands import Address, LineInput, PlaceOrder
from conveyor.shared.languages import order_language


def map_order(payload: bytes | str | dict, sku_lookup: SkuLookup, *, channel: str) -> MappedOrder:
    data = load_json(payload)
    data = data.get("order", data)  # accept both the webhook body and GET /orders/{id}.json
    currency = data.get("currency") or data.get("presentment_currency") or ""
    amounts, resolver = Amounts(currency), SkuResolver(sku_lookup)
    items = data.get("line_items") or []
    lines = [_line(item, amounts, resolver) for item in items]
    shipping, shipping_tax, shipping_discount = _shipping(data.get("shipping_lines") or [], amounts)
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
        # The checkout's language ("de", "fr-CA"; GraphQL's customerLocale since 2021-10).
        locale=order_language(data.get("customer_locale")),
    )
    totals = _channel_totals(data, amounts, sum(li.tax_minor for li in lines), shipping_tax)
    # Shopify allocates order-level discounts to lines (`discount_allocations`); whatever of
    # `total_discounts` no line or shipping line carries is an order discount (the docs' sample
    # payloads carry 20.00 of discounts and no allocations at all).
    allocated = sum(li.discount_minor for li in lines) + shipping_discount
    order.order_discount_minor = max((totals.discount_minor or 0) - allocated, 0)
    rule = shopify_rule(data.get("financial_status"))
    return finish(order, resolver, extra=Finish(
        declared_total_minor=totals.total_minor,
        problems=amounts.problems,
        shipping_tax_minor=shipping_tax,
        taxes_included=bool(data.get("taxes_included")),
        channel_totals=totals,
        order_number=order_number(data),
        payment_state=rule.payment,
        platform_status=str(data.get("financial_status") or ""),
        cancelled_on_channel=bool(data.get("cancelled_at")),
        line_refs=[_ref(item) for item in items],
    ))


def order_number(data: dict[str, Any]) -> str:
    """The number the merchant and buyer know (`name`, "#1001"), else `order_number`."""
    return str(data.get("name") or id_str(data.get("order_number")))


def sku_key(item: dict[str, Any]) -> str:
    """The key the merchant maps: the SKU, else one stable key per variant (`shopify:variant:<id>`),
    product (`shopify:product:<id>`) or, for custom items with neither, title."""
    sku = (item.get("sku") or "").strip()
    if sku:
        return sku
    if item.get("variant_id") is not None:
        return f"shopify:variant:{item['variant_id']}"
    if item.get("product_id") is not None:
        return f"shopify:product:{item['product_id']}"
    title = (item.get("title") or item.get("name") or "").strip()
    return f"shopify:title:{title}" if title else ""


def legacy_keys(item: dict[str, Any]) -> tuple[str, ...]:
    """Keys used before the stable ones, still honoured for existing mappings."""
    keys = []
    if item.get("variant_id") is not None:
        keys.append(f"variant_id:{item['variant_id']}")
    if item.get("product_id") is not None:
        keys.append(f"product_id:{item['product_id']}")
    return tuple(keys)


def _ref(item: dict[str, Any]) -> LineRef:
    return LineRef(id_str(item.get("id")), sku_key(item), int(item.get("quantity") or 0),
                   id_str(item.get("product_id")), id_str(item.get("variant_id")))


def _line(item: dict[str, Any], amounts: Amounts, resolver: SkuResolver) -> LineInput:
    quantity = int(item.get("quantity") or 0)
    name = item.get("name") or item.get("title") or ""
    label = f"line {id_str(item.get('id'))}"
    sku = resolver.resolve(sku_key(item), f"{label}: {name}", legacy_keys(item))
    discount = sum(amounts.read(d.get("amount"), f"{label} discount") for d in item.get("discount_allocations") or [])
    if not item.get("discount_allocations"):
        # Older API versions only carry the line's total_discount.
        discount = amounts.read(item.get("total_discount"), f"{label} total_discount")
    tax = sum(amounts.read(t.get("price"), f"{label} tax") for t in item.get("tax_lines") or [])
    line_total = amounts.read(item.get("price"), f"{label} price") * quantity
    return make_line(sku, quantity, line_total, discount, tax, name)


def _shipping(shipping_lines: list[dict[str, Any]], amounts: Amounts) -> tuple[int, int, int]:
    """Shipping after shipping discounts, its tax, and the discounts taken off it."""
    shipping = tax = discount = 0
    for line in shipping_lines:
        if line.get("is_removed"):
            continue
        price = amounts.read(line.get("price"), "shipping price")
        after = price
        if "discounted_price" in line:
            after = amounts.read(line["discounted_price"], "shipping discounted_price")
        shipping += after
        discount += max(price - after, 0)
        tax += sum(amounts.read(t.get("price"), "shipping tax") for t in line.get("tax_lines") or [])
    return shipping, tax, discount


def _channel_totals(data: dict[str, Any], amounts: Amounts, line_tax: int, shipping_tax: int) -> ChannelTotals:
    shipping_set = ((data.get("total_shipping_price_set") or {}).get("shop_money") or {}).get("amount")
    tax = amounts.optional(data.get("total_tax"), "total_tax")
    return ChannelTotals(
        currency=amounts.currency,
        subtotal_minor=amounts.optional(data.get("subtotal_price"), "subtotal_price"),
        discount_minor=amounts.optional(data.get("total_discounts"), "total_discounts"),
        shipping_minor=amounts.optional(shipping_set, "total_shipping_price_set"),
        tax_minor=tax,
        line_tax_minor=line_tax,
        order_level_tax_minor=order_level_tax(tax, line_tax, shipping_tax),
        total_minor=amounts.optional(data.get("total_price"), "total_price"),
        as_sent=dict(amounts.as_sent),
    )
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
