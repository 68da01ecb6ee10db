"""Safety stock, reorder point, projected stock-out date and days of supply.

    safety stock  SS  = z(service level) × sqrt(P × σd² + d² × σL²)
    reorder point ROP = d × P + SS

where P is the protection interval in days (lead time L, plus the review period R when stock is
only reviewed every R days), d the mean forecast demand per day over that interval, σd the
standard deviation of a one-day forecast error (`Forecast.sigma`) and σL the standard deviation of
the lead time in days. z is the standard normal quantile of the cycle service level (the chance of
not running out while a replenishment is on its way): 0.95 → 1.645. Demand over P is taken from the
forecast day by day, so a weekday pattern or a trend inside the lead time counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

from conveyor.planning.forecast import Forecast, daily_at, demand_over
from conveyor.shared.errors import ValidationFailed

MAX_PROJECTION_DAYS = 730


@dataclass(frozen=True, slots=True)
class LeadTime:
    """Days from ordering to the stock being available to sell, on average and its spread."""

    mean_days: float
    sigma_days: float = 0.0

    def __post_init__(self) -> None:
        if not (self.mean_days >= 0 and self.sigma_days >= 0):
            raise ValidationFailed("lead time and its deviation must be zero or more days", lead_time=self.mean_days)


@dataclass(frozen=True, slots=True)
class ReorderLevels:
    service_level: float
    z: float
    demand_per_day: float  # d, mean over the protection interval
    sigma_per_day: float  # σd
    protection_days: float  # P = lead time + review period
    lead_time_sigma_days: float  # σL
    safety_stock: float
    protection_demand: float  # d × P: what is expected to sell before an order placed now arrives
    reorder_point: float

    @property
    def reorder_point_units(self) -> int:
        """The reorder point in whole units (rounded up: never below the computed level)."""
        return math.ceil(self.reorder_point - 1e-9)


def service_z(service_level: float) -> float:
    """Standard normal quantile for a cycle service level in (0, 1), e.g. 0.95 → 1.645."""
    if not 0.0 < service_level < 1.0:
        raise ValidationFailed("the service level must lie between 0 and 1 (e.g. 0.95)", service_level=service_level)
    return NormalDist().inv_cdf(service_level)


def safety_stock(z: float, demand_per_day: float, sigma_per_day: float, days: float, sigma_days: float) -> float:
    """z × sqrt(days × σd² + d² × σL²); never negative (a service level under 50 % means no buffer)."""
    return max(0.0, z * math.sqrt(days * sigma_per_day**2 + demand_per_day**2 * sigma_days**2))


def reorder_levels(
    forecast: Forecast, lead_time: LeadTime, service_level: float, review_days: float = 0.0
) -> ReorderLevels:
    """Safety stock and reorder point for one SKU at one location from its forecast."""
    if review_days < 0:
        raise ValidationFailed("the review period must be zero or more days", review_days=review_days)
    z = service_z(service_level)
    protection = lead_time.mean_days + review_days
    expected = demand_over(forecast.daily, protection)
    per_day = expected / protection if protection > 0 else daily_at(forecast.daily, 0) if forecast.daily else 0.0
    buffer = safety_stock(z, per_day, forecast.sigma, protection, lead_time.sigma_days)
    return ReorderLevels(
        service_level=service_level,
        z=z,
        demand_per_day=per_day,
        sigma_per_day=forecast.sigma,
        protection_days=protection,
        lead_time_sigma_days=lead_time.sigma_days,
        safety_stock=buffer,
        protection_demand=expected,
        reorder_point=expected + buffer,
    )


@dataclass(frozen=True, slots=True)
class Arrival:
    """Stock on its way (an open purchase order line, a transfer): available from `arrives_on`."""

    quantity: float
    arrives_on: date


@dataclass(frozen=True, slots=True)
class StockProjection:
    """`stockout_on`: the first day the forecast demand cannot be met in full (None: not within
    the projection). `days_of_supply`: days from today until then, fractional (2.5 = half-way
    through day 2); None when the stock lasts beyond the projection (or nothing sells).
    `closing`: projected stock at the end of each forecast day (negative = demand not met)."""

    stockout_on: date | None
    days_of_supply: float | None
    closing: tuple[float, ...]


def project_stock(
    on_hand: float,
    daily: Sequence[float],
    today: date,
    arrivals: Sequence[Arrival] = (),
    max_days: int = MAX_PROJECTION_DAYS,
) -> StockProjection:
    """Walk the forecast day by day from `today` (day 0 of `daily`): arrivals are added at the
    start of their day (overdue ones today), then the day's demand is taken. Beyond the forecast's
    horizon its last week repeats, up to `max_days`."""
    incoming: dict[int, float] = {}
    for arrival in arrivals:
        offset = max(0, (arrival.arrives_on - today).days)
        incoming[offset] = incoming.get(offset, 0.0) + arrival.quantity
    stock, closing = float(on_hand), []
    stockout: int | None = None
    supply: float | None = None
    for day in range(max_days):
        stock += incoming.get(day, 0.0)
        demand = daily_at(daily, day) if daily else 0.0
        if stockout is None and stock < demand - 1e-9:  # the day's demand cannot be met in full
            stockout = day
            supply = day + (max(stock, 0.0) / demand if demand > 0 else 0.0)
        stock -= demand
        if day < len(daily):
            closing.append(stock)
        elif stockout is not None:
            break
    return StockProjection(None if stockout is None else today + timedelta(days=stockout), supply, tuple(closing))


def days_of_supply(quantity: float, daily: Sequence[float], max_days: int = MAX_PROJECTION_DAYS) -> float | None:
    """How many days `quantity` lasts at the forecast rate (fractional); None beyond `max_days`."""
    return project_stock(quantity, daily, date(2000, 1, 1), max_days=max_days).days_of_supply
