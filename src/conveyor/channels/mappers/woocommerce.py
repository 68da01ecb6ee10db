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
SKUs may be empty: the mapping key is then `woocommerce:product:<product_id>:<variation_id>` (one
key per product or variation; 0 for a simple product). Status → payment state: `statuses.py`.
Names and addresses arrive HTML-escaped ("Vinyl &amp; Co") and are unescaped.
"""

from __future__ import annotations

from html import unescape
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
    money,
)
from conveyor.channels.mappers.totals import ChannelTotals, order_level_tax
from conveyor.channels.statuses import woocommerce_rule
from conveyor.orders.commands import Address, LineInput, PlaceOrder
from conveyor.shared.languages import order_language

# The REST order has no language of its own. WPML's WooCommerce Multilingual keeps the checkout's
# language in this order meta ("de"); without it the channel's `config.language` (the store's
# language) applies (channels/order_events.py).
LANGUAGE_META = "wpml_language"


def map_order(payload: bytes | str | dict, sku_lookup: SkuLookup, *, channel: str) -> MappedOrder:
    data = load_json(payload)
    currency = data.get("currency") or ""
    amounts, resolver = Amounts(currency), SkuResolver(sku_lookup)
    items = data.get("line_items") or []
    lines = [_line(item, amounts, resolver) for item in items]
    fee_discount, fee_charges, problems = _fees(data.get("fee_lines") or [], amounts)
    shipping = sum(amounts.read(s.get("total"), "shipping total") for s in data.get("shipping_lines") or [])
    shipping_tax = sum(amounts.read(s.get("total_tax"), "shipping tax") for s in data.get("shipping_lines") or [])
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
        locale=order_language(meta_value(data, LANGUAGE_META)),
    )
    line_tax = sum(li.tax_minor for li in lines)
    totals = _channel_totals(data, amounts, line_tax, shipping_tax, fee_charges)
    status = str(data.get("status") or "")
    rule = woocommerce_rule(status)
    return finish(order, resolver, extra=Finish(
        declared_total_minor=totals.total_minor,
        problems=[*problems, *amounts.problems],
        shipping_tax_minor=shipping_tax,
        channel_totals=totals,
        order_number=str(data.get("number") or id_str(data.get("id"))),
        payment_state=rule.payment,
        platform_status=status,
        cancelled_on_channel=rule.meaning.value == "cancelled",
        line_refs=[_ref(item) for item in items],
    ))


def sku_key(item: dict[str, Any]) -> str:
    """The SKU, else one stable key per product/variation: `woocommerce:product:<id>:<variation_id>`."""
    sku = (item.get("sku") or "").strip()
    if sku:
        return sku
    if not item.get("product_id") and not item.get("variation_id"):
        return ""
    return f"woocommerce:product:{id_str(item.get('product_id') or 0)}:{id_str(item.get('variation_id') or 0)}"


def legacy_keys(item: dict[str, Any]) -> tuple[str, ...]:
    """Keys used before the stable ones, still honoured for existing mappings."""
    keys = []
    if item.get("variation_id"):
        keys.append(f"variation_id:{item['variation_id']}")
    if item.get("product_id"):
        keys.append(f"product_id:{item['product_id']}")
    return tuple(keys)


def _ref(item: dict[str, Any]) -> LineRef:
    return LineRef(id_str(item.get("id")), sku_key(item), int(item.get("quantity") or 0),
                   id_str(item.get("product_id")), id_str(item.get("variation_id")))


def _line(item: dict[str, Any], amounts: Amounts, resolver: SkuResolver) -> LineInput:
    quantity = int(item.get("quantity") or 0)
    name = _text(item.get("name"))
    label = f"line {id_str(item.get('id'))}"
    sku = resolver.resolve(sku_key(item), f"{label}: {name}", legacy_keys(item))
    subtotal = amounts.read(item.get("subtotal"), f"{label} subtotal")
    total = amounts.read(item.get("total"), f"{label} total")
    tax = amounts.read(item.get("total_tax"), f"{label} total_tax")
    return make_line(sku, quantity, subtotal, max(subtotal - total, 0), tax, name)


def _channel_totals(data: dict[str, Any], amounts: Amounts, line_tax: int, shipping_tax: int,
                    fee_charges: int) -> ChannelTotals:
    tax = amounts.optional(data.get("total_tax"), "total_tax")
    # Tax on positive fees is part of the other charges, not order-level tax to spread on lines.
    fee_tax = sum(money(f.get("total_tax"), amounts.currency) for f in data.get("fee_lines") or []
                  if money(f.get("total"), amounts.currency) > 0)
    subtotal = sum(amounts.read(i.get("subtotal"), "line subtotal") for i in data.get("line_items") or [])
    return ChannelTotals(
        currency=amounts.currency,
        subtotal_minor=subtotal,
        discount_minor=amounts.optional(data.get("discount_total"), "discount_total"),
        shipping_minor=amounts.optional(data.get("shipping_total"), "shipping_total"),
        tax_minor=tax,
        line_tax_minor=line_tax,
        order_level_tax_minor=order_level_tax(tax, line_tax + fee_tax, shipping_tax),
        other_charges_minor=fee_charges,
        total_minor=amounts.optional(data.get("total"), "total"),
        as_sent=dict(amounts.as_sent),
    )


def _fees(fee_lines: list[dict[str, Any]], amounts: Amounts) -> tuple[int, int, list[str]]:
    """Negative fees → order discount; positive fees → other charges, reported (with their tax)."""
    discount, charges, problems = 0, 0, []
    for fee in fee_lines:
        amount = amounts.read(fee.get("total"), "fee")
        if amount < 0:
            discount += -amount
        elif amount > 0:
            charges += amount + amounts.read(fee.get("total_tax"), "fee tax")
            problems.append(f"unsupported_fee: {_text(fee.get('name'))} {fee.get('total')} {amounts.currency}")
    return discount, charges, problems


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


def meta_value(data: dict[str, Any], key: str) -> str:
    """The value of one `meta_data` entry ({"id", "key", "value"}), "" when absent."""
    meta = data.get("meta_data")
    for entry in meta if isinstance(meta, list) else []:
        if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("value"), str):
            return str(entry["value"])
    return ""
