from decimal import Decimal

from conveyor.channels.mappers import woocommerce


def _map(fixture_bytes, sku_lookup):
    return woocommerce.map_order(fixture_bytes("woocommerce/order_created.json"), sku_lookup, channel="woo")


def test_lines_use_subtotal_and_coupon_share(fixture_bytes, sku_lookup):
    order = _map(fixture_bytes, sku_lookup).order
    single, tee = order.lines
    assert (
        single.sku,
        single.quantity,
        single.unit_price_minor,
        single.discount_minor,
        single.tax_minor,
    ) == (
        "VINYL-SINGLE",
        2,
        600,
        200,
        190,
    )
    # Empty SKU falls back to the variation id.
    assert (tee.sku, tee.quantity, tee.unit_price_minor, tee.tax_minor) == ("TEE-BLACK-L", 1, 2800, 532)
    assert order.currency == "EUR" and order.external_id == "727"


def test_totals_shipping_and_declared_total(fixture_bytes, sku_lookup):
    result = _map(fixture_bytes, sku_lookup)
    assert result.order.shipping_minor == 1000 and result.shipping_tax_minor == 190
    assert result.declared_total_minor == 5712 == result.computed_total_minor
    assert not result.total_mismatch


def test_html_entities_are_unescaped(fixture_bytes, sku_lookup):
    order = _map(fixture_bytes, sku_lookup).order
    assert order.lines[0].name == "Woo Single & Vinyl"
    assert order.lines[1].name == "Ship Your Idea – Black, L"
    assert order.customer_name == "José García"
    assert order.shipping_address.company == "Tapas & Co"
    assert order.shipping_address.line2 == "2º B"
    assert order.notes == "Ring twice & wait"


def test_numeric_prices_and_product_id_fallback(fixture_json):
    payload = fixture_json("woocommerce/order_created.json")
    item = payload["line_items"][1]
    item.update(sku="", variation_id=0, subtotal=Decimal("28.00"), total=28, price=28.0)
    seen = []
    result = woocommerce.map_order(payload, lambda key: seen.append(key) or None, channel="woo")
    assert "product_id:22" in seen
    assert result.order.lines[1].unit_price_minor == 2800
    assert result.order.hold_reason.startswith("unmapped_sku")


def test_negative_fee_is_an_order_discount(fixture_json, sku_lookup):
    payload = fixture_json("woocommerce/order_created.json")
    payload["fee_lines"] = [{"name": "Loyalty discount", "total": "-5.00", "total_tax": "0.00"}]
    payload["total"] = "52.12"
    result = woocommerce.map_order(payload, sku_lookup, channel="woo")
    assert result.order.order_discount_minor == 500
    assert not result.total_mismatch
