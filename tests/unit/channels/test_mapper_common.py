from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conveyor.channels.mappers.common import load_json, money, split_line_total
from conveyor.shared.errors import ValidationFailed


def test_json_numbers_with_fractions_become_decimal_and_ids_stay_exact():
    data = load_json(b'{"id": 9007199254740993123, "price": 19.99}')
    assert data["id"] == 9007199254740993123
    assert data["price"] == Decimal("19.99")


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [("19.99", "USD", 1999), ("54.0000", "USD", 5400), ("12.345", "USD", 1234), ("12.355", "USD", 1236),
     (28.0, "USD", 2800), (5, "USD", 500), ("3000", "JPY", 3000), ("1.234", "BHD", 1234), (None, "USD", 0),
     ("", "EUR", 0)],
)  # fmt: skip
def test_money_parses_channel_amounts(value, currency, minor):
    assert money(value, currency) == minor


def test_money_refuses_garbage():
    with pytest.raises(ValidationFailed):
        money("12,50 EUR", "EUR")


@given(total=st.integers(min_value=0, max_value=10**9), quantity=st.integers(min_value=1, max_value=1000))
def test_split_line_total_is_exact(total, quantity):
    unit, residue = split_line_total(total, quantity)
    assert unit * quantity - residue == total
    assert 0 <= residue < quantity
