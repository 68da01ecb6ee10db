"""Safety stock, reorder points and stock projections against hand-computed values."""

from __future__ import annotations

import math
from datetime import date

import pytest

from conveyor.planning.forecast import Forecast, Method
from conveyor.planning.metrics import DemandClass
from conveyor.planning.safety import (
    Arrival,
    LeadTime,
    days_of_supply,
    project_stock,
    reorder_levels,
    safety_stock,
    service_z,
)
from conveyor.shared.errors import ValidationFailed

TODAY = date(2026, 3, 2)


def flat(per_day: float, sigma: float, days: int = 28) -> Forecast:
    return Forecast(Method.SES, (per_day,) * days, sigma, 364, 0.3, 0.8, DemandClass.SMOOTH)


@pytest.mark.parametrize(("level", "z"), [(0.5, 0.0), (0.9, 1.2816), (0.95, 1.6449), (0.99, 2.3263)])
def test_z_is_the_normal_quantile_of_the_service_level(level, z):
    assert service_z(level) == pytest.approx(z, abs=1e-4)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1])
def test_service_levels_outside_zero_to_one_are_refused(level):
    with pytest.raises(ValidationFailed):
        service_z(level)


def test_safety_stock_with_demand_and_lead_time_variability():
    # d = 20/day, σd = 5, L = 9 days, σL = 2 days, 95 %:
    # 1.6449 × sqrt(9 × 25 + 400 × 4) = 1.6449 × sqrt(1825) = 70.27
    assert safety_stock(1.6449, 20, 5, 9, 2) == pytest.approx(70.27, abs=0.01)
    # A fixed lead time leaves only the demand term: 1.6449 × 5 × 3 = 24.67
    assert safety_stock(1.6449, 20, 5, 9, 0) == pytest.approx(24.67, abs=0.01)


def test_reorder_levels_from_a_flat_forecast():
    levels = reorder_levels(flat(20.0, 5.0), LeadTime(9, 2), service_level=0.95)
    assert levels.safety_stock == pytest.approx(service_z(0.95) * math.sqrt(1825))
    assert levels.protection_demand == pytest.approx(180.0)
    assert levels.reorder_point == pytest.approx(180.0 + levels.safety_stock)
    assert levels.reorder_point_units == 251  # 250.27 rounded up


def test_review_period_extends_the_protection_interval():
    levels = reorder_levels(flat(10.0, 3.0), LeadTime(5), service_level=0.9, review_days=7)
    assert levels.protection_days == 12
    assert levels.protection_demand == pytest.approx(120.0)
    assert levels.safety_stock == pytest.approx(service_z(0.9) * 3.0 * math.sqrt(12))


def test_lead_time_demand_follows_the_forecast_shape():
    # Weekend-heavy forecast: a 2.5-day lead time starting Friday covers Fri, Sat and half of Sun.
    forecast = Forecast(
        Method.SES_WEEKLY, (4.0, 10.0, 10.0, 2.0, 2.0, 2.0, 2.0), 1.0, 364, None, None, DemandClass.SMOOTH
    )
    levels = reorder_levels(forecast, LeadTime(2.5), service_level=0.95)
    assert levels.protection_demand == pytest.approx(4 + 10 + 5)
    assert levels.demand_per_day == pytest.approx(19 / 2.5)


def test_no_demand_means_no_safety_stock():
    levels = reorder_levels(flat(0.0, 0.0), LeadTime(10, 3), service_level=0.99)
    assert levels.safety_stock == 0.0 and levels.reorder_point == 0.0


def test_negative_lead_times_are_refused():
    with pytest.raises(ValidationFailed):
        LeadTime(-1)
    with pytest.raises(ValidationFailed):
        reorder_levels(flat(1, 1), LeadTime(3), 0.95, review_days=-2)


def test_stockout_date_and_days_of_supply_without_arrivals():
    projection = project_stock(25, [10.0] * 14, TODAY)
    # 10, 10 leave 5; day 2 needs 10: short on day 2, half-way through it.
    assert projection.stockout_on == date(2026, 3, 4)
    assert projection.days_of_supply == pytest.approx(2.5)
    assert projection.closing[:4] == (15.0, 5.0, -5.0, -15.0)


def test_an_arrival_pushes_the_stockout_back():
    arrivals = [Arrival(40, date(2026, 3, 4)), Arrival(10, date(2026, 3, 10))]
    projection = project_stock(25, [10.0] * 14, TODAY, arrivals)
    # 25 + 40 on day 2 lasts to day 6 (65 - 60 = 5 left, short of 10 on day 6).
    assert projection.stockout_on == date(2026, 3, 8)
    assert projection.days_of_supply == pytest.approx(6.5)


def test_an_overdue_arrival_counts_from_today():
    projection = project_stock(0, [5.0] * 7, TODAY, [Arrival(12, date(2026, 2, 20))])
    assert projection.stockout_on == date(2026, 3, 4)
    assert projection.days_of_supply == pytest.approx(2.4)


def test_stock_that_lasts_beyond_the_forecast_uses_its_last_week():
    projection = project_stock(100, [1.0] * 14, TODAY)
    assert projection.stockout_on == date(2026, 6, 10)  # 100 days later
    assert projection.days_of_supply == pytest.approx(100.0)
    assert len(projection.closing) == 14


def test_nothing_selling_never_runs_out_and_backorders_are_out_today():
    assert project_stock(3, [0.0] * 28, TODAY).stockout_on is None
    assert project_stock(3, [0.0] * 28, TODAY).days_of_supply is None
    backordered = project_stock(-4, [1.0] * 7, TODAY)
    assert backordered.stockout_on == TODAY and backordered.days_of_supply == 0.0


def test_days_of_supply_pro_rates_the_last_day():
    assert days_of_supply(7, [2.0, 2.0, 4.0, 4.0]) == pytest.approx(2.75)
    assert days_of_supply(5, [0.0] * 7) is None
    assert days_of_supply(1000, [1.0] * 7, max_days=365) is None
