"""A line's tax rate is not stored; documents read it back from its tax and value, as the simplest
rate that gives that tax after rounding."""

from decimal import Decimal

import pytest

from conveyor.billing.order_money import implied_rate


@pytest.mark.parametrize(("tax", "base", "rate"), [
    (600, 5997, Decimal("10")),  # 599.7 rounds to 6.00: 10 %, not 10.005 %
    (1139, 5997, Decimal("19")),
    (532, 5997, Decimal("8.87")),  # 8.875 % gives the same cents; the simpler rate is shown
    (140, 1899, Decimal("7.37")),  # 7.372…: 7.4 % would make 1.41
    (0, 1000, Decimal("0")),
    (50, 0, Decimal("0")),
])
def test_the_simplest_rate_that_gives_the_tax(tax, base, rate):
    assert implied_rate(tax, base) == rate
    if base:
        assert round(Decimal(base) * rate / 100) == tax
