from conveyor.channels.mappers import amazon


def _first_order(fixture_json, page):
    return fixture_json(f"amazon/get_orders_{page}.json")["payload"]["Orders"][0]


def test_item_price_is_for_the_whole_quantity(fixture_json, fixture_bytes, sku_lookup):
    order = _first_order(fixture_json, "page1")
    items = fixture_bytes("amazon/order_items_113-1234567-1234567.json")
    result = amazon.map_order(order, items, sku_lookup, channel="amz")
    mug = result.order.lines[0]
    assert (mug.sku, mug.quantity, mug.unit_price_minor, mug.discount_minor, mug.tax_minor) == (
        "MUG-BLUE-12OZ",
        3,
        999,
        300,
        222,
    )
    assert result.order.shipping_minor == 599 and result.shipping_tax_minor == 49
    assert result.order.external_id == "113-1234567-1234567"
    assert result.declared_total_minor == 5191 == result.computed_total_minor


def test_unmapped_seller_sku_holds_order(fixture_json, fixture_bytes, sku_lookup):
    order = _first_order(fixture_json, "page1")
    items = fixture_bytes("amazon/order_items_113-1234567-1234567.json")
    result = amazon.map_order(order, items, sku_lookup, channel="amz")
    assert result.order.hold_reason == "unmapped_sku: UNKNOWN-SKU-9"
    assert result.problems == ["unmapped_sku: UNKNOWN-SKU-9 (item 52852651034159: Coaster Set)"]


def test_address_and_buyer(fixture_json, fixture_bytes, sku_lookup):
    order = _first_order(fixture_json, "page1")
    items = fixture_bytes("amazon/order_items_113-1234567-1234567.json")
    mapped = amazon.map_order(order, items, sku_lookup, channel="amz").order
    ship = mapped.shipping_address
    assert (ship.name, ship.line1, ship.city, ship.region, ship.postal_code, ship.country) == (
        "Michael Brown",
        "1 Infinite Loop",
        "SEATTLE",
        "WA",
        "98101-1234",
        "US",
    )
    assert mapped.customer_email == "abc123xyz@marketplace.amazon.com"


def test_zero_decimal_currency(fixture_json, fixture_bytes, sku_lookup):
    order = _first_order(fixture_json, "page2")
    items = fixture_bytes("amazon/order_items_503-7654321-7654321.json")
    result = amazon.map_order(order, items, sku_lookup, channel="amz")
    tea = result.order.lines[0]
    assert result.order.currency == "JPY"
    assert (tea.quantity, tea.unit_price_minor) == (3, 1000)
    assert result.declared_total_minor == 3000 and not result.total_mismatch


def test_uneven_item_price_keeps_the_line_total_exact(fixture_json, sku_lookup):
    order = {"AmazonOrderId": "111-0000000-0000001", "OrderTotal": {"CurrencyCode": "USD", "Amount": "10.00"}}
    items = [
        {
            "SellerSKU": "MUG-BLUE",
            "QuantityOrdered": 3,
            "ItemPrice": {"CurrencyCode": "USD", "Amount": "10.00"},
        }
    ]
    result = amazon.map_order(order, items, sku_lookup, channel="amz")
    line = result.order.lines[0]
    assert line.unit_price_minor * line.quantity - line.discount_minor == 1000
    assert not result.total_mismatch


def test_pending_order_is_reported(sku_lookup):
    order = {"AmazonOrderId": "111-0000000-0000002", "OrderStatus": "Pending"}
    items = [
        {
            "SellerSKU": "MUG-BLUE",
            "QuantityOrdered": 1,
            "ItemPrice": {"CurrencyCode": "USD", "Amount": "9.99"},
        }
    ]
    result = amazon.map_order(order, items, sku_lookup, channel="amz")
    assert result.declared_total_minor is None and not result.total_mismatch
    assert any(p.startswith("pending") for p in result.problems)
