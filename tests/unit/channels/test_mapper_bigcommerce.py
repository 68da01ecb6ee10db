from conveyor.channels.mappers import bigcommerce


def _map(fixture_bytes, sku_lookup, products=None):
    return bigcommerce.map_order(
        fixture_bytes("bigcommerce/order_250.json"),
        products if products is not None else fixture_bytes("bigcommerce/order_250_products.json"),
        fixture_bytes("bigcommerce/order_250_shipping_addresses.json"),
        sku_lookup,
        channel="bc",
    )


def test_lines_with_four_decimal_prices(fixture_bytes, sku_lookup):
    order = _map(fixture_bytes, sku_lookup).order
    camera, lens, cloth = order.lines
    assert (
        camera.sku,
        camera.quantity,
        camera.unit_price_minor,
        camera.discount_minor,
        camera.tax_minor,
    ) == (
        "CAMERA-BODY",
        1,
        14500,
        1450,
        1077,
    )
    assert (cloth.sku, cloth.quantity, cloth.unit_price_minor, cloth.tax_minor) == (
        "LENS-CLOTH",
        2,
        1000,
        165,
    )
    assert order.currency == "USD" and order.external_id == "250"


def test_bundle_child_is_shipped_but_not_charged_twice(fixture_bytes, sku_lookup):
    result = _map(fixture_bytes, sku_lookup)
    lens = result.order.lines[1]
    assert (lens.sku, lens.quantity) == ("LENS-50MM", 1)  # still picked and shipped
    assert (lens.unit_price_minor, lens.discount_minor, lens.tax_minor) == (0, 0, 0)
    assert result.computed_total_minor == result.declared_total_minor == 17591
    assert not result.total_mismatch


def test_shipping_billing_and_shipping_address(fixture_bytes, sku_lookup):
    result = _map(fixture_bytes, sku_lookup)
    order = result.order
    assert order.shipping_minor == 1200 and result.shipping_tax_minor == 99
    assert order.billing_address.name == "Jane Doe" and order.customer_email == "janedoe@example.com"
    ship = order.shipping_address
    assert (ship.name, ship.line1, ship.line2, ship.city, ship.postal_code, ship.country) == (
        "John Doe",
        "12 Elm Street",
        "Unit 3",
        "Austin",
        "78701",
        "US",
    )


def test_unmapped_product_holds_the_order(fixture_json, fixture_bytes):
    products = fixture_json("bigcommerce/order_250_products.json")
    result = _map(fixture_bytes, {"CAM-100": "CAMERA-BODY"}.get, products=products)
    assert result.order.hold_reason == "unmapped_sku: LENS-50, bigcommerce:product:90:155"
    assert len(result.problems) == 2


def test_order_id_from_thin_webhook(fixture_bytes):
    assert bigcommerce.order_id_from_webhook(fixture_bytes("bigcommerce/webhook_order_created.json")) == "250"
