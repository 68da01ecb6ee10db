from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.ids import new_id
from conveyor.shared.money import Money, format_minor, to_minor


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("199.00", "USD", 19900), ("0.5", "EUR", 50), ("1500", "JPY", 1500), ("1.234", "BHD", 1234),
    ("0", "USD", 0),
])
def test_amounts_parse_to_minor_units_by_currency_exponent(amount, currency, minor):
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(("amount", "currency"), [("1.5", "JPY"), ("1.001", "USD"), ("1e3", "USD"),
                                                   ("abc", "USD"), ("1,00", "EUR")])
def test_too_many_decimals_or_not_a_decimal_is_refused(amount, currency):
    with pytest.raises(ValidationFailed):
        to_minor(amount, currency)


def test_unknown_currency_has_its_own_code():
    with pytest.raises(ValidationFailed) as err:
        to_minor("1.00", "XYZ")
    assert err.value.code == ErrorCode.UNKNOWN_CURRENCY


@given(st.integers(min_value=-10**12, max_value=10**12), st.sampled_from(["USD", "JPY", "BHD", "EUR"]))
def test_format_and_parse_round_trip(minor, currency):
    assert to_minor(format_minor(minor, currency).lstrip("-"), currency) == abs(minor)


def test_money_refuses_mixing_currencies():
    assert Money(100, "USD") + Money(50, "USD") == Money(150, "USD")
    with pytest.raises(ValueError):
        Money(100, "USD") + Money(50, "EUR")


def test_ids_are_prefixed_unique_and_sort_by_creation_time():
    first = new_id("order")
    time.sleep(0.002)
    later = [new_id("order") for _ in range(1000)]
    assert first.startswith("ord_") and len(set(later)) == 1000
    assert all(first < x for x in later)
