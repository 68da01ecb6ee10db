"""WooCommerce REST API v3 order (also the `order.created` webhook body) → `PlaceOrder`.

Money, per the v3 order properties:
- `line_items[].subtotal` is the line before coupons, `total` after; both exclude tax even
  when the store enters prices with tax (`prices_include_tax`), so tax is always added on
  top. The coupon share of a line is `subtotal - total`; `coupon_lines` are only echoed.
- `line_items[].total_tax` is the line's tax after coupons; `shipping_lines[].total_tax` the
  shipping tax.
- `line_items[].price` is a JSON number (not a string) and is not used for money: the
  subtotal is exact, the unit price derived from it.
- Negative `fee_lines` (how many stores book manual discounts) become an order discount.
  Positive fees have no place in `PlaceOrder` yet: they are reported as a problem and the
  total check will flag the order.
SKUs may be empty: the mapping key falls back to `variation_id:<id>` / `product_id:<id>`.
Names and addresses arrive HTML-escaped ("Vinyl &amp; Co") and are unescaped.
"""

from __future__ import annotations

from html import unescape
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
    currency = data.get("currency") or ""
    resolver = SkuResolver(sku_lookup)
    lines = [_line(item, currency, resolver) for item in data.get("line_items") or []]
    fee_discount, problems = _fees(data.get("fee_lines") or [], currency)
    shipping = sum(money(s.get("total"), currency) for s in data.get("shipping_lines") or [])
    shipping_tax = sum(money(s.get("total_tax"), currency) for s in data.get("shipping_lines") or [])
    billing = data.get("billing") or {}
    order = PlaceOrder(
        channel=channel,
        currency=currency,
        lines=lines,
        external_id=id_str(data.get("id")),
        customer_name=_text(" ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p)),
        customer_email=billing.get("email") or "",
        customer_phone=billing.get("phone") or "",
        billing_address=_address(billing),
        shipping_address=_address(data.get("shipping")),
        shipping_minor=shipping,
        order_discount_minor=fee_discount,
        notes=_text(data.get("customer_note")),
    )
    declared = money(data["total"], currency) if data.get("total") is not None else None
    return finish(order, resolver, declared, problems=problems, shipping_tax_minor=shipping_tax)


def sku_key(item: dict[str, Any]) -> str:
    """The SKU, else the most specific product id (a variation beats its parent product)."""
    sku = (item.get("sku") or "").strip()
    if sku:
        return sku
    if item.get("variation_id"):
        return f"variation_id:{item['variation_id']}"
    return f"product_id:{item['product_id']}" if item.get("product_id") else ""


def _line(item: dict[str, Any], currency: str, resolver: SkuResolver) -> LineInput:
    quantity = int(item.get("quantity") or 0)
    name = _text(item.get("name"))
    sku = resolver.resolve(sku_key(item), f"line {id_str(item.get('id'))}: {name}")
    subtotal = money(item.get("subtotal"), currency)
    total = money(item.get("total"), currency)
    tax = money(item.get("total_tax"), currency)
    return make_line(sku, quantity, subtotal, max(subtotal - total, 0), tax, name)


def _fees(fee_lines: list[dict[str, Any]], currency: str) -> tuple[int, list[str]]:
    discount, problems = 0, []
    for fee in fee_lines:
        amount = money(fee.get("total"), currency)
        if amount < 0:
            discount += -amount
        elif amount > 0:
            problems.append(f"unsupported_fee: {_text(fee.get('name'))} {fee.get('total')}")
    return discount, problems


def _text(value: Any) -> str:
    return unescape(value or "").strip()


def _address(raw: dict[str, Any] | None) -> Address | None:
    if not raw or not any(raw.get(k) for k in ("address_1", "city", "postcode", "country")):
        return None
    return Address(
        name=_text(" ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)),
        company=_text(raw.get("company")),
        line1=_text(raw.get("address_1")),
        line2=_text(raw.get("address_2")),
        city=_text(raw.get("city")),
        region=_text(raw.get("state")),
        postal_code=_text(raw.get("postcode")),
        country=_text(raw.get("country")),
        phone=raw.get("phone") or "",
    )
