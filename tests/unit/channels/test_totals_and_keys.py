"""The shared mapping pieces: amounts that lose digits are flagged, order-level tax is spread
exactly, mismatches are told in money, and old mapping keys keep working."""

import json

from hypothesis import given
from hypothesis import strategies as st

from conveyor.channels.mappers import shopify
from conveyor.channels.mappers.common import Amounts, SkuResolver, allocate_order_level_tax, mismatch_text
from conveyor.orders.commands import LineInput, PlaceOrder

from .lifecycle_support import doc


def test_extra_decimals_are_flagged_and_trailing_zeros_are_not():
    amounts = Amounts("USD")
    assert amounts.read("12.345", "fee") == 1234 and amounts.read("54.0000", "price") == 5400
    assert amounts.problems == ["amount_precision: fee 12.345 USD has more than 2 decimals; taken as 12.34"]


def test_zero_decimal_currency():
    amounts = Amounts("JPY")
    assert amounts.read("1000", "x") == 1000 and amounts.problems == []
    assert amounts.read("25.99", "ItemPrice") == 26 and len(amounts.problems) == 1


@given(tax=st.integers(min_value=0, max_value=10**7),
       nets=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8))
def test_order_level_tax_is_spread_to_the_cent(tax, nets):
    order = PlaceOrder("c", "USD", [LineInput("S", 1, unit_price_minor=n) for n in nets])
    allocate_order_level_tax(order, tax)
    assert sum(line.tax_minor for line in order.lines) == tax
    if sum(nets):
        # no tax lands on a line that costs nothing
        assert all(line.tax_minor == 0 for line, n in zip(order.lines, nets, strict=True) if n == 0)


def test_mismatch_is_told_in_money():
    assert mismatch_text(30000, 27539, "USD") == "channel 300.00 USD, computed 275.39 USD"
    assert mismatch_text(3000, 2990, "JPY") == "channel 3000 JPY, computed 2990 JPY"


def test_wrong_declared_total_is_flagged_with_both_figures():
    payload = doc("shopify/order_sample_paid.json")
    payload["total_price"] = "300.00"
    mapped = shopify.map_order(json.dumps(payload), lambda k: "IPOD", channel="shop")
    assert mapped.total_mismatch and mapped.mismatch_note == "channel 300.00 USD, computed 388.00 USD"
    assert "total_mismatch: channel 300.00 USD, computed 388.00 USD" in mapped.problems
    assert mapped.channel_totals.total_minor == 30000  # kept as sent, not corrected


def test_old_keys_still_resolve_but_the_line_names_the_stable_key():
    resolver = SkuResolver({"variant_id:808950810": "IPOD"}.get)
    assert resolver.resolve("shopify:variant:808950810", "line 1", ("variant_id:808950810",)) == "IPOD"
    missing = SkuResolver({}.get)
    assert missing.resolve("shopify:variant:1", "line 1", ("variant_id:1",)) == "shopify:variant:1"
    assert missing.unmapped == ["shopify:variant:1"]
