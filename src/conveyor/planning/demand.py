"""Daily demand series from order history: the input the forecasts expect.

The database side (the lead's report query) sums ordered units per SKU, location and UTC day; this
turns those sums into one zero-filled list per series, oldest day first, ending on the last full day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from conveyor.shared.errors import ValidationFailed

MAX_HISTORY_DAYS = 728


def history_start(first_sale: date | None, last_day: date, max_days: int = MAX_HISTORY_DAYS) -> date:
    """The first day worth fetching: the item's first sale, but no more than `max_days` back."""
    earliest = last_day - timedelta(days=max_days - 1)
    return earliest if first_sale is None or first_sale < earliest else first_sale


def daily_series(units_by_day: Mapping[date, float], first_day: date, last_day: date) -> list[float]:
    """One value per day from `first_day` to `last_day` inclusive; days without sales are 0.
    Days outside the range are ignored."""
    if last_day < first_day:
        raise ValidationFailed("the last day comes before the first", first_day=str(first_day), last=str(last_day))
    days = (last_day - first_day).days + 1
    series = [0.0] * days
    for day, units in units_by_day.items():
        offset = (day - first_day).days
        if 0 <= offset < days:
            series[offset] += float(units)
    return series


def sum_by_day(rows: Iterable[tuple[date, float]]) -> dict[date, float]:
    """Add up (day, units) rows, e.g. order lines, per day."""
    totals: dict[date, float] = {}
    for day, units in rows:
        totals[day] = totals.get(day, 0.0) + float(units)
    return totals
