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
    resolver = SkuResolver(sku_lookup)
    lines = [_line(item, currency, resolver) for item in items]
    problems = [] if len(addresses) <= 1 else [f"multiple_shipping_addresses: {len(addresses)}, first used"]
    if money(data.get("wrapping_cost_ex_tax"), currency):
        problems.append(f"unsupported_wrapping_cost: {data.get('wrapping_cost_ex_tax')}")
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
        shipping_minor=_sum(data, currency, "shipping_cost_ex_tax", "handling_cost_ex_tax"),
        order_discount_minor=_unallocated_discount(data, items, currency),
        notes=data.get("customer_message") or "",
    )
    declared = money(data["total_inc_tax"], currency) if data.get("total_inc_tax") is not None else None
    shipping_tax = _sum(data, currency, "shipping_cost_tax", "handling_cost_tax")
    return finish(mapped, resolver, declared, problems=problems, shipping_tax_minor=shipping_tax)


def order_id_from_webhook(payload: bytes | str | dict) -> str:
    """The order id a `store/order/*` callback points at."""
    data = load_json(payload)
    return id_str((data.get("data") or {}).get("id"))


def sku_key(item: dict[str, Any]) -> str:
    sku = (item.get("sku") or "").strip()
    if sku:
        return sku
    if item.get("variant_id"):
        return f"variant_id:{item['variant_id']}"
    return f"product_id:{item['product_id']}" if item.get("product_id") else ""


def is_bundle_child(item: dict[str, Any]) -> bool:
    return item.get("parent_order_product_id") not in (None, 0, "", "0")


def _line(item: dict[str, Any], currency: str, resolver: SkuResolver) -> LineInput:
    quantity = int(item.get("quantity") or 0)
    name = item.get("name_customer") or item.get("name") or ""
    sku = resolver.resolve(sku_key(item), f"line {id_str(item.get('id'))}: {name}")
    if is_bundle_child(item):
        return LineInput(sku=sku, quantity=quantity, name=f"{name} (bundled)")
    discount = sum(money(d.get("amount"), currency) for d in item.get("applied_discounts") or [])
    total = money(item.get("total_ex_tax") or item.get("base_total"), currency)
    return make_line(sku, quantity, total, discount, money(item.get("total_tax"), currency), name)


def _unallocated_discount(data: dict[str, Any], items: list[dict[str, Any]], currency: str) -> int:
    declared = _sum(data, currency, "coupon_discount", "discount_amount")
    # Read the channel's allocations, not line.discount_minor: that also holds rounding residue.
    allocated = sum(
        money(d.get("amount"), currency)
        for item in items
        if not is_bundle_child(item)
        for d in item.get("applied_discounts") or []
    )
    return max(declared - allocated, 0)


def _sum(data: dict[str, Any], currency: str, *keys: str) -> int:
    return sum(money(data.get(key), currency) for key in keys)


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
