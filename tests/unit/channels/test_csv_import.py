import io

import pytest

from conveyor.channels.csv_import import parse_orders
from conveyor.shared.errors import ValidationFailed

PROFILE = {
    "external_id": "Order Number",
    "sku": "SKU",
    "quantity": "Qty",
    "unit_price": "Unit Price",
    "currency": "Currency",
    "customer_name": "Customer",
    "customer_email": "Email",
    "ship_name": "Ship To",
    "ship_line1": "Street",
    "ship_city": "City",
    "ship_postal_code": "Postcode",
    "ship_country": "Country",
    "shipping": "Shipping",
    "notes": "Notes",
}


@pytest.fixture
def result(fixture_bytes):
    text = fixture_bytes("csv/orders_mixed.csv").decode()
    return parse_orders(io.StringIO(text, newline=""), PROFILE, channel="csv")


def test_good_orders_are_grouped_across_non_adjacent_rows(result):
    by_id = {o.external_id: o for o in result.orders}
    assert sorted(by_id) == ["1001", "1002"]
    ann = by_id["1001"]
    assert [(line.sku, line.quantity, line.unit_price_minor) for line in ann.lines] == [
        ("MUG-BLUE", 2, 999), ("TEE-RED-M", 1, 2500),
    ]  # fmt: skip
    assert ann.currency == "USD" and ann.shipping_minor == 495 and ann.channel == "csv"
    assert ann.customer_name == "Ann Lee" and ann.shipping_address.city == "Springfield"


def test_amounts_follow_the_currency_exponent(result):
    ken = next(o for o in result.orders if o.external_id == "1002")
    assert ken.currency == "JPY" and ken.lines[0].unit_price_minor == 1500
    assert ken.notes == "Leave at door" and ken.shipping_address.country == "JP"


def test_bad_rows_are_reported_with_row_numbers_and_reasons(result):
    reasons = {(e.row, e.external_id): e.reason for e in result.rejected}
    assert "not a positive whole number" in reasons[(5, "1003")]
    assert reasons[(8, None)] == "missing external_id"
    assert "more than 2 decimals" in reasons[(9, "1004")]
    assert "unknown currency" in reasons[(10, "1005")]
    assert "differs" in reasons[(12, "1006")]
    assert [e.row for e in result.rejected] == sorted(e.row for e in result.rejected)


def test_an_order_with_any_bad_row_is_rejected_whole(result):
    # Order 1003's second row is fine, but its first is not: nothing of 1003 is imported.
    assert "1003" in result.rejected_order_ids and "1006" in result.rejected_order_ids
    assert all(o.external_id not in {"1003", "1004", "1005", "1006"} for o in result.orders)


def test_profile_naming_a_missing_column_fails_the_file():
    with pytest.raises(ValidationFailed) as err:
        parse_orders(
            ["id,sku,qty\n"], {"external_id": "id", "sku": "sku", "quantity": "Quantity"}, channel="c"
        )
    assert err.value.extra["missing_columns"] == ["Quantity"]


def test_default_currency_decimal_comma_and_sku_mapping():
    lines = ["ref;item;n;price;disc\n", "A-1;chan-sku;3;12,50;1,00\n", "A-1;other;1;2;\n"]
    profile = {
        "external_id": "ref",
        "sku": "item",
        "quantity": "n",
        "unit_price": "price",
        "line_discount": "disc",
    }
    result = parse_orders(
        lines, profile, channel="c", default_currency="EUR", delimiter=";", decimal_separator=",",
        sku_lookup={"chan-sku": "OUR-SKU"}.get,
    )  # fmt: skip
    (order,) = result.orders
    assert [(line.sku, line.unit_price_minor, line.discount_minor) for line in order.lines] == [
        ("OUR-SKU", 1250, 100), ("other", 200, 0),
    ]  # fmt: skip
    assert order.hold_reason == "unmapped_sku: other"


def test_header_with_byte_order_mark_and_missing_currency():
    lines = ["\ufeffid,sku,qty\n", "1,A,1\n"]
    result = parse_orders(lines, {"external_id": "id", "sku": "sku", "quantity": "qty"}, channel="c")
    assert result.orders == [] and "no currency" in result.rejected[0].reason
