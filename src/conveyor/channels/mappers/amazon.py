"""Amazon SP-API Orders v0 (`getOrders` Order + `getOrderItems` OrderItems) → `PlaceOrder`.

Money, per the OrderItem schema:
- `ItemPrice` is the price of the whole line (unit price x `QuantityOrdered`), not per unit,
  and excludes shipping and gift wrap.
- `ItemTax` is the line's tax; `PromotionDiscount` the promotion on the line, and
  `PromotionDiscountTax` the tax taken off by it (so line tax = ItemTax − PromotionDiscountTax).
- `ShippingPrice − ShippingDiscount` is shipping; `ShippingTax − ShippingDiscountTax` its tax.
- Gift wrap sits in the item's `BuyerInfo` (`GiftWrapPrice`, `GiftWrapTax`) and cash on delivery
  in `CODFee − CODFeeDiscount`: `PlaceOrder` has no place for either, so they are kept as the
  channel's other charges and reported as problems (the total check then flags the order too).
- `OrderTotal` on the Order is the declared total; it is absent while the order is `Pending`
  (items then carry no prices). The currency then comes from `MarketplaceId`, the order is mapped
  with what there is and held as awaiting payment until a later poll sees it `Unshipped`.
- Amounts with more decimals than the currency has (the docs' JPY example "25.99") are flagged.
- `BuyerRequestedCancel.IsBuyerRequestedCancel` on an item is the buyer asking to cancel: reported.
`AmazonOrderId` ("113-1234567-1234567") is the external id and the order number; `OrderItemId` is
each line's platform id (needed by shipment confirmations). `SellerSKU` is the mapping key
(`amazon:asin:<asin>` when a listing has none). Marketplaces that quote tax-inclusive prices can be
mapped with `taxes_included=True` so the total check does not add tax twice.
"""

from __future__ import annotations

from typing import Any

from conveyor.channels.mappers.amazon_marketplaces import currency_for, language_for
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
from conveyor.channels.mappers.totals import ChannelTotals
from conveyor.channels.statuses import StatusMeaning, amazon_rule
from conveyor.orders.commands import Address, LineInput, PlaceOrder
from conveyor.shared.languages import order_language


def map_order(
    order: bytes | str | dict,
    order_items: bytes | str | dict | list,
    sku_lookup: SkuLookup,
    *,
    channel: str,
    taxes_included: bool = False,
) -> MappedOrder:
    data, items = _order(load_json(order)), _items(load_json(order_items))
    currency = order_currency(data, items)
    amounts, resolver = Amounts(currency), SkuResolver(sku_lookup)
    status = str(data.get("OrderStatus") or "")
    problems = _status_problems(data, items)
    ordered = [item for item in items if int(item.get("QuantityOrdered") or 0) > 0]
    lines = [_line(item, amounts, resolver) for item in ordered]
    shipping, shipping_tax = _shipping(items, amounts)
    charges = _other_charges(items, amounts, problems)
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
        # SP-API orders carry no buyer language: the marketplace's is the one the buyer shopped in.
        locale=order_language(language_for(data.get("MarketplaceId"))),
    )
    total = amounts.optional((data.get("OrderTotal") or {}).get("Amount"), "OrderTotal")
    line_tax = sum(li.tax_minor for li in lines)
    totals = ChannelTotals(
        currency=currency, subtotal_minor=sum(money(_money_of(i, "ItemPrice").get("Amount"), currency)
                                              for i in ordered) if total is not None else None,
        discount_minor=sum(li.discount_minor for li in lines) if total is not None else None,
        shipping_minor=shipping, tax_minor=line_tax + shipping_tax, line_tax_minor=line_tax,
        other_charges_minor=charges, total_minor=total, as_sent=dict(amounts.as_sent))
    rule = amazon_rule(status)
    return finish(mapped, resolver, extra=Finish(
        declared_total_minor=total, problems=[*problems, *_dedupe(amounts.problems)],
        shipping_tax_minor=shipping_tax, taxes_included=taxes_included, channel_totals=totals,
        order_number=id_str(data.get("AmazonOrderId")), payment_state=rule.payment, platform_status=status,
        cancelled_on_channel=rule.meaning == StatusMeaning.CANCELLED,
        line_refs=[LineRef(id_str(i.get("OrderItemId")), sku_key(i), int(i.get("QuantityOrdered") or 0),
                           id_str(i.get("ASIN"))) for i in ordered],
    ))


def order_currency(data: dict[str, Any], items: list[dict[str, Any]]) -> str:
    """OrderTotal's currency, else the items', else the marketplace's (Pending orders have none)."""
    return ((data.get("OrderTotal") or {}).get("CurrencyCode") or _item_currency(items)
            or currency_for(data.get("MarketplaceId")))


def sku_key(item: dict[str, Any]) -> str:
    sku = (item.get("SellerSKU") or "").strip()
    return sku or (f"amazon:asin:{item['ASIN']}" if item.get("ASIN") else "")


def buyer_cancel_request(items: list[dict[str, Any]]) -> tuple[bool, str]:
    """Whether the buyer asked to cancel (any item says so), and the reason they gave."""
    for item in items:
        request = item.get("BuyerRequestedCancel") if isinstance(item, dict) else None
        if isinstance(request, dict) and str(request.get("IsBuyerRequestedCancel", "")).lower() == "true":
            return True, str(request.get("BuyerCancelReason") or "")
    return False, ""


def _dedupe(problems: list[str]) -> list[str]:
    return list(dict.fromkeys(problems))


def _order(data: dict[str, Any]) -> dict[str, Any]:
    # Accept a bare Order or a getOrder response (`{"payload": Order}`).
    return data.get("payload", data)


def _items(data: dict[str, Any] | list) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return data
    return data.get("payload", data).get("OrderItems") or []


def _money_of(item: dict[str, Any], key: str) -> dict[str, Any]:
    return item.get(key) or {}


def _amount(item: dict[str, Any], key: str, amounts: Amounts) -> int:
    return amounts.read(_money_of(item, key).get("Amount"), f"item {item.get('OrderItemId')} {key}")


def _item_currency(items: list[dict[str, Any]]) -> str:
    for item in items:
        if (item.get("ItemPrice") or {}).get("CurrencyCode"):
            return item["ItemPrice"]["CurrencyCode"]
    return ""


def _shipping(items: list[dict[str, Any]], amounts: Amounts) -> tuple[int, int]:
    """Shipping after shipping discounts, and its tax after the discount's tax."""
    price = sum(_amount(i, "ShippingPrice", amounts) - _amount(i, "ShippingDiscount", amounts) for i in items)
    tax = sum(_amount(i, "ShippingTax", amounts) - _amount(i, "ShippingDiscountTax", amounts) for i in items)
    return price, tax


def _other_charges(items: list[dict[str, Any]], amounts: Amounts, problems: list[str]) -> int:
    """Gift wrap (item `BuyerInfo`) and COD fees, kept aside and reported: `PlaceOrder` cannot hold them."""
    total = 0
    for item in items:
        wrap = item.get("BuyerInfo") or item  # older responses put GiftWrapPrice on the item itself
        for key, kind in (("GiftWrapPrice", "gift_wrap"), ("GiftWrapTax", "gift_wrap_tax"), ("CODFee", "cod_fee")):
            charge = _money_of(wrap if kind != "cod_fee" else item, key)
            if charge.get("Amount") in (None, ""):
                continue
            code = charge.get("CurrencyCode") or amounts.currency
            minor = amounts.read(charge["Amount"], f"item {item.get('OrderItemId')} {key}", currency=code)
            if kind == "cod_fee":
                minor -= _amount(item, "CODFeeDiscount", amounts)
            if minor and code != amounts.currency:
                problems.append(f"currency_mismatch: item {item.get('OrderItemId')} {key} {charge['Amount']} {code} "
                                f"in a {amounts.currency} order")
                continue
            if minor:
                total += minor
                problems.append(f"unsupported_{kind}: item {item.get('OrderItemId')} {charge['Amount']} {code}")
    return total


def _line(item: dict[str, Any], amounts: Amounts, resolver: SkuResolver) -> LineInput:
    quantity = int(item.get("QuantityOrdered") or 0)
    name = item.get("Title") or ""
    sku = resolver.resolve(sku_key(item), f"item {item.get('OrderItemId')}: {name}", _legacy(item))
    tax = _amount(item, "ItemTax", amounts) - _amount(item, "PromotionDiscountTax", amounts)
    discount = _amount(item, "PromotionDiscount", amounts)
    return make_line(sku, quantity, _amount(item, "ItemPrice", amounts), discount, tax, name)


def _legacy(item: dict[str, Any]) -> tuple[str, ...]:
    return (f"ASIN:{item['ASIN']}",) if item.get("ASIN") else ()


def _status_problems(data: dict[str, Any], items: list[dict[str, Any]]) -> list[str]:
    problems = []
    if not data.get("OrderTotal") and data.get("OrderStatus") in ("Pending", "PendingAvailability"):
        problems.append("pending: Amazon sends no prices until payment is authorised")
    requested, reason = buyer_cancel_request(items)
    if requested:
        problems.append(f"buyer_cancel_requested: {reason or 'no reason given'}")
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
