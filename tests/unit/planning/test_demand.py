"""Daily demand series from order history."""

from __future__ import annotations

from datetime import date

import pytest

from conveyor.planning.demand import daily_series, history_start, sum_by_day
from conveyor.shared.errors import ValidationFailed


def test_order_lines_become_a_zero_filled_daily_series():
    lines = [(date(2026, 3, 1), 2), (date(2026, 3, 3), 1), (date(2026, 3, 3), 4), (date(2026, 2, 1), 9)]
    series = daily_series(sum_by_day(lines), date(2026, 3, 1), date(2026, 3, 5))
    assert series == [2.0, 0.0, 5.0, 0.0, 0.0]  # the February line lies outside the window


def test_history_starts_at_the_first_sale_or_the_cap():
    assert history_start(date(2026, 2, 20), date(2026, 3, 1)) == date(2026, 2, 20)
    assert history_start(date(2020, 1, 1), date(2026, 3, 1), max_days=10) == date(2026, 2, 20)
    assert history_start(None, date(2026, 3, 1), max_days=1) == date(2026, 3, 1)


def test_an_inverted_range_is_refused():
    with pytest.raises(ValidationFailed):
        daily_series({}, date(2026, 3, 2), date(2026, 3, 1))
