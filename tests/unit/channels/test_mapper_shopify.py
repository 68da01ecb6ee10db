import json

from conveyor.channels.mappers import shopify


def test_maps_lines_prices_discounts_and_taxes(fixture_bytes, sku_lookup):
    result = shopify.map_order(fixture_bytes("shopify/order_create.json"), sku_lookup, channel="web")
    order = result.order
    assert order.channel == "web" and order.currency == "USD"
    tee, ipod = order.lines
    assert (tee.sku, tee.quantity, tee.unit_price_minor, tee.discount_minor, tee.tax_minor) == (
        "TEE-RED-M",
        2,
        2500,
        500,
        360,
    )
    # Blank SKU: the variant id is the mapping key.
    assert (ipod.sku, ipod.quantity, ipod.unit_price_minor, ipod.tax_minor) == (
        "IPOD-NANO-PINK",
        1,
        19999,
        1600,
    )
    assert order.shipping_minor == 1000 and result.shipping_tax_minor == 80


def test_totals_match_the_declared_total(fixture_bytes, sku_lookup):
    result = shopify.map_order(fixture_bytes("shopify/order_create.json"), sku_lookup, channel="web")
    assert result.declared_total_minor == 27539
    assert result.computed_total_minor == 27539
    assert result.total_mismatch is False and result.problems == []


def test_id_beyond_2_pow_53_is_kept_exactly(fixture_bytes, sku_lookup):
    result = shopify.map_order(fixture_bytes("shopify/order_create.json"), sku_lookup, channel="web")
    assert result.order.external_id == "9007199254740993123"
    assert int(result.order.external_id) > 2**53


def test_customer_and_addresses_with_coordinates(fixture_bytes, sku_lookup):
    order = shopify.map_order(fixture_bytes("shopify/order_create.json"), sku_lookup, channel="web").order
    assert order.customer_name == "Bob Norman" and order.customer_email == "bob.norman@mail.example.com"
    ship = order.shipping_address
    assert (ship.line1, ship.line2, ship.city, ship.region, ship.postal_code, ship.country) == (
        "Chestnut Street 92",
        "Apt 4",
        "Louisville",
        "KY",
        "40202",
        "US",
    )
    assert ship.company == "Acme Inc"
    assert (ship.latitude, ship.longitude) == (38.2527, -85.7585)
    assert order.tags == ["vip", "wholesale"] and order.notes == "Please leave at the back door"


def test_unmapped_sku_puts_order_on_hold_and_names_the_line(fixture_json, sku_lookup):
    payload = fixture_json("shopify/order_create.json")
    payload["line_items"][0]["sku"] = "NOT-IN-CATALOG"
    result = shopify.map_order(payload, sku_lookup, channel="web")
    assert result.order.hold_reason.startswith("unmapped_sku")
    assert "NOT-IN-CATALOG" in result.order.hold_reason
    assert any(p.startswith("unmapped_sku: NOT-IN-CATALOG") and "Classic Tee" in p for p in result.problems)
    assert result.order.lines[0].sku == "NOT-IN-CATALOG"  # the line is kept, not dropped


def test_wrong_declared_total_is_flagged_not_rejected(fixture_json, sku_lookup):
    payload = fixture_json("shopify/order_create.json")
    payload["total_price"] = "300.00"
    result = shopify.map_order(json.dumps(payload), sku_lookup, channel="web")
    assert result.total_mismatch is True
    assert result.declared_total_minor == 30000
    assert len(result.order.lines) == 2
    assert any(p.startswith("total_mismatch") for p in result.problems)


def test_tax_inclusive_shop_does_not_add_tax_twice(fixture_json, sku_lookup):
    payload = fixture_json("shopify/order_create.json")
    payload["taxes_included"] = True
    payload["total_price"] = "254.99"  # 249.99 - 5.00 + 10.00, tax already inside the prices
    result = shopify.map_order(payload, sku_lookup, channel="web")
    assert result.taxes_included is True
    assert result.total_mismatch is False
