"""Amazon SP-API Orders v0 (`getOrders` Order + `getOrderItems` OrderItems) → `PlaceOrder`.

Money, per the OrderItem schema:
- `ItemPrice` is the price of the whole line (unit price x `QuantityOrdered`), not per unit,
  and excludes shipping and gift wrap.
- `ItemTax` is the line's tax; `PromotionDiscount` the promotion on the line, and
  `PromotionDiscountTax` the tax taken off by it (so line tax = ItemTax − PromotionDiscountTax).
- `ShippingPrice − ShippingDiscount` is shipping; `ShippingTax − ShippingDiscountTax` its tax.
  `GiftWrapPrice`/`GiftWrapTax` have no place in `PlaceOrder` and are reported as a problem.
- `OrderTotal` on the Order is the declared total; it is absent while the order is `Pending`
  (and items then carry no prices), which is reported rather than guessed.
`AmazonOrderId` ("113-1234567-1234567") is the external id. `SellerSKU` is the mapping key
(`ASIN:<asin>` when a listing has none). Marketplaces that quote tax-inclusive prices can be
mapped with `taxes_included=True` so the total check does not add tax twice.
"""

from __future__ import annotations

from typing import Any

from conveyor.channels.mappers.common import (
    MappedOrder,
    SkuLookup,
    SkuResolver,
    finish,
    load_json,
    make_line,
    money,
)
from conveyor.orders.commands import Address, LineInput, PlaceOrder


def map_order(
    order: bytes | str | dict,
    order_items: bytes | str | dict | list,
    sku_lookup: SkuLookup,
    *,
    channel: str,
    taxes_included: bool = False,
) -> MappedOrder:
    data, items = _order(load_json(order)), _items(load_json(order_items))
    currency = (data.get("OrderTotal") or {}).get("CurrencyCode") or _item_currency(items)
    resolver = SkuResolver(sku_lookup)
    problems = _status_problems(data, items, currency)
    lines = [_line(item, currency, resolver) for item in items if int(item.get("QuantityOrdered") or 0) > 0]
    shipping, shipping_tax = _shipping(items, currency)
    buyer, address = data.get("BuyerInfo") or {}, data.get("ShippingAddress") or {}
    mapped = PlaceOrder(
        channel=channel,
        currency=currency,
        lines=lines,
        external_id=data.get("AmazonOrderId"),
        customer_name=buyer.get("BuyerName") or address.get("Name") or "",
        customer_email=buyer.get("BuyerEmail") or "",
        customer_phone=address.get("Phone") or "",
        shipping_address=_address(address),
        shipping_minor=shipping,
        tags=[f"amazon:{data['FulfillmentChannel']}"] if data.get("FulfillmentChannel") else [],
    )
    total = data.get("OrderTotal")
    declared = money(total.get("Amount"), currency) if total else None
    return finish(
        mapped,
        resolver,
        declared,
        problems=problems,
        shipping_tax_minor=shipping_tax,
        taxes_included=taxes_included,
    )


def sku_key(item: dict[str, Any]) -> str:
    sku = (item.get("SellerSKU") or "").strip()
    return sku or (f"ASIN:{item['ASIN']}" if item.get("ASIN") else "")


def _order(data: dict[str, Any]) -> dict[str, Any]:
    # Accept a bare Order or a getOrder response (`{"payload": Order}`).
    return data.get("payload", data)


def _items(data: dict[str, Any] | list) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return data
    return data.get("payload", data).get("OrderItems") or []


def _amount(item: dict[str, Any], key: str, currency: str) -> int:
    return money((item.get(key) or {}).get("Amount"), currency)


def _item_currency(items: list[dict[str, Any]]) -> str:
    for item in items:
        if (item.get("ItemPrice") or {}).get("CurrencyCode"):
            return item["ItemPrice"]["CurrencyCode"]
    return ""


def _shipping(items: list[dict[str, Any]], currency: str) -> tuple[int, int]:
    """Shipping after shipping discounts, and its tax after the discount's tax."""
    price = sum(
        _amount(i, "ShippingPrice", currency) - _amount(i, "ShippingDiscount", currency) for i in items
    )
    tax = sum(
        _amount(i, "ShippingTax", currency) - _amount(i, "ShippingDiscountTax", currency) for i in items
    )
    return price, tax


def _line(item: dict[str, Any], currency: str, resolver: SkuResolver) -> LineInput:
    quantity = int(item.get("QuantityOrdered") or 0)
    name = item.get("Title") or ""
    sku = resolver.resolve(sku_key(item), f"item {item.get('OrderItemId')}: {name}")
    tax = _amount(item, "ItemTax", currency) - _amount(item, "PromotionDiscountTax", currency)
    discount = _amount(item, "PromotionDiscount", currency)
    return make_line(sku, quantity, _amount(item, "ItemPrice", currency), discount, tax, name)


def _status_problems(data: dict[str, Any], items: list[dict[str, Any]], currency: str) -> list[str]:
    problems = []
    if data.get("OrderStatus") == "Pending":
        problems.append("pending: Amazon sends no prices until payment is authorised")
    if any(_amount(i, "GiftWrapPrice", currency) for i in items):
        problems.append("unsupported_gift_wrap: gift wrap charges are not mapped")
    return problems


def _address(raw: dict[str, Any]) -> Address | None:
    if not raw:
        return None
    line2 = ", ".join(p for p in (raw.get("AddressLine2"), raw.get("AddressLine3")) if p)
    return Address(
        name=raw.get("Name") or "",
        line1=raw.get("AddressLine1") or "",
        line2=line2,
        city=raw.get("City") or "",
        region=raw.get("StateOrRegion") or "",
        postal_code=raw.get("PostalCode") or "",
        country=raw.get("CountryCode") or "",
        phone=raw.get("Phone") or "",
    )
