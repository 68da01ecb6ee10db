"""Arithmetic of reports and KPIs (pure): periods, currency conversion, percentiles, roll-ups.

The report queries (`planning.reports`) return small grouped rows per UTC day and currency; this
turns them into the periods asked for (day, ISO week starting Monday, month), converted into the
base currency at each day's ECB reference rate — so a month mixing EUR and USD sales is converted
day by day, not at one month-end rate. Money stays in integer minor units (Decimal in between,
rounded half-even once per day and currency group).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from conveyor.shared.errors import ValidationFailed
from conveyor.shared.money import exponent, to_minor_rounded

GRAINS = ("day", "week", "month")
# (amount, from currency, to currency, day) → converted amount
Convert = Callable[[Decimal, str, str, date], Decimal]


def period_of(day: date, grain: str) -> str:
    """The label of the period a day falls in: 2026-11-30, 2026-W49 (ISO week), 2026-11."""
    if grain == "day":
        return day.isoformat()
    if grain == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    raise ValidationFailed(f"grain must be one of {', '.join(GRAINS)}", grain=grain)


def days(start: date, end: date) -> list[date]:
    """Every day from `start` up to (not including) `end`."""
    return [start + timedelta(days=n) for n in range((end - start).days)]


@lru_cache(maxsize=1)
def _ecb() -> Any:
    from currency_converter import CurrencyConverter

    # Bundled ECB history (no network). Weekends and holidays take the nearest known rate.
    return CurrencyConverter(decimal=True, fallback_on_missing_rate=True, fallback_on_wrong_date=True)


def ecb_convert(amount: Decimal, currency: str, to: str, day: date) -> Decimal:
    if currency == to:
        return amount
    try:
        return Decimal(_ecb().convert(amount, currency, to, date=day))
    except ValueError as exc:  # a currency the ECB does not publish
        raise ValidationFailed(f"no exchange rate from {currency} to {to}", currency=currency) from exc


def to_base(minor: int, currency: str, base: str, day: date, convert: Convert = ecb_convert) -> int:
    """Minor units of `currency` on `day` as minor units of `base`."""
    if currency == base:
        return minor
    amount = Decimal(minor).scaleb(-exponent(currency))
    return to_minor_rounded(convert(amount, currency, base, day), base)


@dataclass(frozen=True, slots=True)
class DayRow:
    """One group of a sales query: a UTC day, a dimension value (channel, SKU, location; "" for all)."""

    day: date
    key: str
    currency: str
    orders: int
    units: int
    revenue_minor: int


@dataclass(frozen=True, slots=True)
class SalesPoint:
    period: str
    key: str
    orders: int
    units: int
    revenue_minor: int  # in the base currency
    currency: str

    @property
    def average_order_minor(self) -> int | None:
        """Average order value (rounded half-up to the minor unit); None without orders."""
        if not self.orders:
            return None
        return (2 * self.revenue_minor + self.orders) // (2 * self.orders)


def roll_up(rows: Iterable[DayRow], grain: str, base: str, convert: Convert = ecb_convert) -> list[SalesPoint]:
    """Day rows → one point per (period, key), revenue converted to `base`; sorted by period, key."""
    period_of(date(2000, 1, 1), grain)  # validates the grain
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        t = totals[(period_of(row.day, grain), row.key)]
        t[0] += row.orders
        t[1] += row.units
        t[2] += to_base(row.revenue_minor, row.currency, base, row.day, convert)
    return [SalesPoint(period, key, o, u, r, base) for (period, key), (o, u, r) in sorted(totals.items())]


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0–100) by linear interpolation between closest ranks (as numpy's
    default and spreadsheets' PERCENTILE.INC): p50 of 1, 2, 3, 4 is 2.5. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def csv_rows(points: Iterable[Any], fields: Sequence[str]) -> list[list[Any]]:
    """A header and one row per item (attributes or keys named by `fields`), for CSV downloads."""
    rows: list[list[Any]] = [list(fields)]
    for p in points:
        rows.append([p.get(f) if isinstance(p, dict) else getattr(p, f) for f in fields])
    return rows


def money_text(minor: int | None, currency: str) -> str | None:
    """Minor units as a decimal string in the currency's own precision ("1234.50")."""
    if minor is None:
        return None
    return str(Decimal(minor).scaleb(-exponent(currency)))
