"""Report arithmetic: periods, percentiles, currency roll-ups, average order value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from conveyor.planning.kpis import DayRow, ecb_convert, percentile, period_of, roll_up, to_base
from conveyor.shared.errors import ValidationFailed


def test_periods_are_utc_days_iso_weeks_and_months():
    assert period_of(date(2026, 11, 30), "day") == "2026-11-30"
    assert period_of(date(2026, 11, 30), "week") == "2026-W49"  # a Monday
    assert period_of(date(2027, 1, 1), "week") == "2026-W53"  # ISO: the week belongs to 2026
    assert period_of(date(2026, 11, 30), "month") == "2026-11"
    with pytest.raises(ValidationFailed):
        period_of(date(2026, 11, 30), "year")


def test_percentiles_interpolate_between_ranks():
    assert percentile([10, 24], 50) == 17 and percentile([10, 24], 90) == pytest.approx(22.6)
    assert percentile([4, 1, 3, 2], 50) == 2.5 and percentile([7], 90) == 7 and percentile([], 50) is None


def test_roll_up_converts_each_day_at_its_rate_and_adds_up_in_minor_units():
    rates = {date(2026, 11, 2): Decimal("1.10"), date(2026, 11, 3): Decimal("1.20")}

    def convert(amount: Decimal, cur: str, to: str, day: date) -> Decimal:
        return amount * rates[day]

    rows = [DayRow(date(2026, 11, 2), "web", "EUR", 1, 2, 1000), DayRow(date(2026, 11, 3), "web", "EUR", 2, 3, 1000),
            DayRow(date(2026, 11, 3), "web", "USD", 1, 1, 333)]
    (point,) = roll_up(rows, "month", "USD", convert)
    assert (point.orders, point.units, point.revenue_minor) == (4, 6, 1100 + 1200 + 333)
    assert point.average_order_minor == 658  # 2633 / 4 = 658.25


def test_conversion_respects_the_currencies_exponents():
    def convert(amount: Decimal, cur: str, to: str, day: date) -> Decimal:
        return amount * Decimal("160.125")  # EUR → JPY

    assert to_base(1099, "EUR", "JPY", date(2026, 1, 5), convert) == 1760  # 10.99 × 160.125 = 1759.77...
    assert to_base(1099, "EUR", "EUR", date(2026, 1, 5), convert) == 1099


def test_the_bundled_ecb_rates_convert_offline():
    # 2026-01-05 is a weekday inside the bundled history; the rate is between 1.0 and 1.5 USD per EUR.
    usd = to_base(10_000, "EUR", "USD", date(2026, 1, 5), ecb_convert)
    assert 10_000 < usd < 15_000
    assert to_base(usd, "USD", "EUR", date(2026, 1, 5), ecb_convert) == pytest.approx(10_000, abs=1)
