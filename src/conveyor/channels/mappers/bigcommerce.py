"""BigCommerce Orders v2 → `PlaceOrder`.

The `store/order/*` webhook is thin (`{"data": {"type": "order", "id": 250}, ...}`), so the
connector fetches three v2 resources and hands them here: the order, its products
(`/v2/orders/{id}/products`) and its shipping addresses (`/v2/orders/{id}/shipping_addresses`).

Money, per the v2 order-product docs:
- `total_ex_tax` is the line before discounts; `applied_discounts[].amount` is the line's
  share of coupons and manual discounts; `total_tax` is tax after discounts. Amounts carry
  4 decimals ("54.0000") and are rounded half-even to the currency.
- Order `coupon_discount + discount_amount` not allocated to lines becomes an order discount.
- Shipping is the order's `shipping_cost_ex_tax` plus `handling_cost_ex_tax`; their taxes
  are the shipping tax. `total_inc_tax` is the declared grand total.

Bundles ("product pick list"): a child product arrives as its own order product with
`parent_order_product_id` set to the parent's order-product id (and `is_bundled_product`
true). The child has to be picked and shipped, so it stays a line, but its price is part of
the parent's price, so its money is zeroed: counting it again would double the sale.
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
    money,
)
from conveyor.channels.mappers.totals import ChannelTotals, order_level_tax
from conveyor.channels.statuses import StatusMeaning, bigcommerce_rule
from conveyor.orders.commands import Address, LineInput, PlaceOrder
from conveyor.shared.languages import order_language


def map_order(
    order: bytes | str | dict,
    products: bytes | str | list,
    shipping_addresses: bytes | str | list,
    sku_lookup: SkuLookup,
    *,
    channel: str,
) -> MappedOrder:
    data, items, addresses = load_json(order), load_json(products) or [], load_json(shipping_addresses) or []
    currency = data.get("currency_code") or data.get("default_currency_code") or ""
    amounts, resolver = Amounts(currency), SkuResolver(sku_lookup)
    lines = [_line(item, amounts, resolver) for item in items]
    problems = [] if len(addresses) <= 1 else [f"multiple_shipping_addresses: {len(addresses)}, first used"]
    wrapping = amounts.read(data.get("wrapping_cost_inc_tax") or data.get("wrapping_cost_ex_tax"), "wrapping_cost")
    if wrapping:
        problems.append(f"unsupported_wrapping_cost: {data.get('wrapping_cost_ex_tax')} {currency}")
    billing = data.get("billing_address") or {}
    mapped = PlaceOrder(
        channel=channel,
        currency=currency,
        lines=lines,
        external_id=id_str(data.get("id")),
        customer_name=_name(billing),
        customer_email=billing.get("email") or "",
        customer_phone=billing.get("phone") or "",
        billing_address=_address(billing),
        shipping_address=_address(addresses[0]) if addresses else None,
        shipping_minor=_sum(data, amounts, "shipping_cost_ex_tax", "handling_cost_ex_tax"),
        order_discount_minor=_unallocated_discount(data, items, amounts),
        notes=data.get("customer_message") or "",
        locale=order_language(data.get("customer_locale")),  # Orders V2: "the customer's locale"
    )
    shipping_tax = _sum(data, amounts, "shipping_cost_tax", "handling_cost_tax")
    totals = _channel_totals(data, amounts, sum(li.tax_minor for li in lines), shipping_tax, wrapping)
    rule = bigcommerce_rule(data.get("status_id"))
    return finish(mapped, resolver, extra=Finish(
        declared_total_minor=totals.total_minor,
        problems=[*problems, *amounts.problems],
        shipping_tax_minor=shipping_tax,
        channel_totals=totals,
        order_number=id_str(data.get("id")),
        payment_state=rule.payment,
        platform_status=str(data.get("status") or rule.label),
        cancelled_on_channel=rule.meaning == StatusMeaning.CANCELLED,
        line_refs=[_ref(item) for item in items],
    ))


def order_id_from_webhook(payload: bytes | str | dict) -> str:
    """The order id a `store/order/*` callback points at."""
    data = load_json(payload)
    return id_str((data.get("data") or {}).get("id"))


def sku_key(item: dict[str, Any]) -> str:
    """The SKU, else one stable key per product/variant: `bigcommerce:product:<id>:<variant_id>`."""
    sku = (item.get("sku") or "").strip()
    if sku:
        return sku
    if not item.get("product_id") and not item.get("variant_id"):
        return ""
    return f"bigcommerce:product:{id_str(item.get('product_id') or 0)}:{id_str(item.get('variant_id') or 0)}"


def legacy_keys(item: dict[str, Any]) -> tuple[str, ...]:
    """Keys used before the stable ones, still honoured for existing mappings."""
    keys = []
    if item.get("variant_id"):
        keys.append(f"variant_id:{item['variant_id']}")
    if item.get("product_id"):
        keys.append(f"product_id:{item['product_id']}")
    return tuple(keys)


def is_bundle_child(item: dict[str, Any]) -> bool:
    return item.get("parent_order_product_id") not in (None, 0, "", "0")


def _ref(item: dict[str, Any]) -> LineRef:
    return LineRef(id_str(item.get("id")), sku_key(item), int(item.get("quantity") or 0),
                   id_str(item.get("product_id")), id_str(item.get("variant_id")))


def _line(item: dict[str, Any], amounts: Amounts, resolver: SkuResolver) -> LineInput:
    quantity = int(item.get("quantity") or 0)
    name = item.get("name_customer") or item.get("name") or ""
    label = f"line {id_str(item.get('id'))}"
    sku = resolver.resolve(sku_key(item), f"{label}: {name}", legacy_keys(item))
    if is_bundle_child(item):
        return LineInput(sku=sku, quantity=quantity, name=f"{name} (bundled)")
    discount = sum(amounts.read(d.get("amount"), f"{label} discount") for d in item.get("applied_discounts") or [])
    total = amounts.read(item.get("total_ex_tax") or item.get("base_total"), f"{label} total_ex_tax")
    # A line's `total_tax` is BigCommerce's computed share to 4 decimals ("10.7663"): rounded
    # without a flag, because the charged figures (`total_tax`, `total_inc_tax`) are checked.
    return make_line(sku, quantity, total, discount, money(item.get("total_tax"), amounts.currency), name)


def _unallocated_discount(data: dict[str, Any], items: list[dict[str, Any]], amounts: Amounts) -> int:
    declared = _sum(data, amounts, "coupon_discount", "discount_amount")
    # Read the channel's allocations, not line.discount_minor: that also holds rounding residue.
    allocated = sum(
        amounts.read(d.get("amount"), "line discount")
        for item in items
        if not is_bundle_child(item)
        for d in item.get("applied_discounts") or []
    )
    return max(declared - allocated, 0)


def _channel_totals(data: dict[str, Any], amounts: Amounts, line_tax: int, shipping_tax: int,
                    wrapping: int) -> ChannelTotals:
    tax = amounts.optional(data.get("total_tax"), "total_tax")
    discount = None
    if data.get("coupon_discount") is not None or data.get("discount_amount") is not None:
        discount = (amounts.read(data.get("coupon_discount"), "coupon_discount", keep=True)
                    + amounts.read(data.get("discount_amount"), "discount_amount", keep=True))
    wrapping_tax = amounts.read(data.get("wrapping_cost_tax"), "wrapping_cost_tax")
    return ChannelTotals(
        currency=amounts.currency,
        subtotal_minor=amounts.optional(data.get("subtotal_ex_tax"), "subtotal_ex_tax"),
        discount_minor=discount,
        shipping_minor=_sum(data, amounts, "shipping_cost_ex_tax", "handling_cost_ex_tax"),
        tax_minor=tax,
        line_tax_minor=line_tax,
        order_level_tax_minor=order_level_tax(tax, line_tax + wrapping_tax, shipping_tax),
        other_charges_minor=wrapping,
        total_minor=amounts.optional(data.get("total_inc_tax"), "total_inc_tax"),
        as_sent=dict(amounts.as_sent),
    )


def _sum(data: dict[str, Any], amounts: Amounts, *keys: str) -> int:
    return sum(amounts.read(data.get(key), key) for key in keys)


def _name(raw: dict[str, Any]) -> str:
    return " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)


def _address(raw: dict[str, Any]) -> Address | None:
    if not raw:
        return None
    return Address(
        name=_name(raw),
        company=raw.get("company") or "",
        line1=raw.get("street_1") or "",
        line2=raw.get("street_2") or "",
        city=raw.get("city") or "",
        region=raw.get("state") or "",
        postal_code=raw.get("zip") or "",
        country=raw.get("country_iso2") or raw.get("country") or "",
        phone=raw.get("phone") or "",
    )
