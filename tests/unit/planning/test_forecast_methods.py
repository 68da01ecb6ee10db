"""Each forecasting method on series whose structure we know, within stated tolerances."""

from __future__ import annotations

import numpy as np
import pytest

from conveyor.planning.forecast import Method, daily_at, demand_over, forecast_with, run_method
from conveyor.planning.seasonality import weekly_pattern

SMOOTHERS = [Method.SES, Method.HOLT_DAMPED, Method.SES_WEEKLY, Method.HOLT_DAMPED_WEEKLY]
INTERMITTENT = [Method.CROSTON, Method.SBA, Method.TSB]
WEEK = np.array([10.0, 10.0, 10.0, 10.0, 12.0, 3.0, 1.0])


def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.mark.parametrize("method", [*SMOOTHERS, Method.CROSTON, Method.TSB, Method.SEASONAL_NAIVE])
def test_a_constant_series_is_forecast_exactly(method):
    forecast = forecast_with(method, [5.0] * 120, horizon=14)
    assert forecast == pytest.approx([5.0] * 14, rel=1e-6)


def test_sba_shrinks_croston_by_its_bias_correction():
    # SBA = Croston × (1 − alpha/2) with alpha from the grid (0.05 … 0.3): 85–97.5 % of Croston.
    croston = forecast_with(Method.CROSTON, [5.0] * 120, horizon=1)[0]
    sba = forecast_with(Method.SBA, [5.0] * 120, horizon=1)[0]
    assert 0.85 * croston <= sba <= 0.975 * croston


def test_damped_holt_follows_a_linear_trend():
    days = np.arange(200, dtype=float)
    history = 10.0 + 0.5 * days
    forecast = forecast_with(Method.HOLT_DAMPED, history, horizon=14)
    truth = 10.0 + 0.5 * np.arange(200, 214)
    # Damping (phi ≤ 0.98) flattens the trend a little over two weeks: within 2 % of the truth.
    assert forecast == pytest.approx(truth, rel=0.02)
    assert forecast[-1] > forecast[0]  # still rising


def test_simple_smoothing_lags_a_trend_that_holt_catches():
    history = 10.0 + 0.5 * np.arange(200, dtype=float)
    ses = forecast_with(Method.SES, history, horizon=7)
    holt = forecast_with(Method.HOLT_DAMPED, history, horizon=7)
    truth = 10.0 + 0.5 * 203
    assert abs(holt[3] - truth) < abs(ses[3] - truth)


def test_forecasts_never_go_below_zero_on_a_falling_trend():
    history = np.maximum(100.0 - 1.0 * np.arange(98), 0.0)
    history[-5:] = [5, 4, 3, 2, 1]
    for method in (Method.HOLT_DAMPED, Method.HOLT_DAMPED_WEEKLY):
        assert min(forecast_with(method, history, horizon=60)) >= 0.0


@pytest.mark.parametrize("method", [Method.SES_WEEKLY, Method.HOLT_DAMPED_WEEKLY])
def test_weekly_profile_reproduces_a_weekday_pattern(method):
    history = np.tile(WEEK, 20)  # 140 days, position 0 = first day of the pattern
    forecast = forecast_with(method, history, horizon=14)
    assert forecast == pytest.approx(list(np.tile(WEEK, 2)), rel=0.05)


def test_weekly_profile_continues_the_cycle_from_the_last_day():
    history = np.tile(WEEK, 20)[:-3]  # ends mid-week, on pattern position 3: next comes position 4
    forecast = forecast_with(Method.SES_WEEKLY, history, horizon=7)
    assert forecast == pytest.approx(list(np.roll(WEEK, -4)), rel=0.05)


def test_weekly_profile_on_noisy_demand_is_close_to_the_true_means():
    history = rng().poisson(np.tile(WEEK * 3, 40)).astype(float)  # 280 days
    forecast = forecast_with(Method.SES_WEEKLY, history, horizon=7)
    assert forecast == pytest.approx(list(WEEK * 3), rel=0.3, abs=1.5)


def test_seasonal_naive_repeats_the_last_week():
    history = np.arange(1.0, 36.0)
    assert forecast_with(Method.SEASONAL_NAIVE, history, horizon=10) == [29, 30, 31, 32, 33, 34, 35, 29, 30, 31]


def test_weekly_pattern_is_detected_only_where_there_is_one():
    generator = rng()
    flat = generator.poisson(5.0, (200, 140)).astype(float)
    weekly = generator.poisson(np.tile(WEEK, 20), (50, 140)).astype(float)
    assert weekly_pattern(weekly).all()
    assert weekly_pattern(flat).mean() <= 0.05  # tested at the 1 % level
    assert not weekly_pattern(np.tile(WEEK, 7)[None, :]).any()  # 7 weeks: too short to judge


def test_a_trend_alone_is_not_taken_for_a_weekly_pattern():
    trending = rng().poisson(5.0 + 0.2 * np.arange(140), (40, 140)).astype(float)
    assert weekly_pattern(trending).mean() <= 0.05


@pytest.mark.parametrize("method", INTERMITTENT)
def test_intermittent_methods_forecast_the_mean_rate(method):
    generator = rng()
    history = np.where(generator.random(730) < 0.2, 3.0, 0.0)  # 0.6 a day on average
    forecast = forecast_with(method, history, horizon=7)
    assert forecast == pytest.approx([0.6] * 7, rel=0.35)
    assert len(set(forecast)) == 1  # flat: no pattern to follow


def test_tsb_decays_when_an_item_stops_selling_and_croston_does_not():
    generator = rng()
    history = np.where(generator.random(300) < 0.3, 2.0, 0.0)
    history[-90:] = 0.0
    tsb = forecast_with(Method.TSB, history, horizon=1)[0]
    croston = forecast_with(Method.CROSTON, history, horizon=1)[0]
    assert tsb < 0.5 * croston
    assert tsb < 0.3 * 0.6  # well under the rate it used to sell at


def test_intermittent_series_with_no_demand_in_the_first_weeks_starts_at_its_first_sale():
    history = np.zeros(120)
    history[60::4] = 2.0  # from day 60, 2 every fourth day: 0.5 a day
    for method in INTERMITTENT:
        assert forecast_with(method, history, horizon=1)[0] == pytest.approx(0.5, rel=0.4)


@pytest.mark.parametrize("method", [m for m in Method if m not in (Method.ZERO, Method.HISTORY_MEAN)])
def test_a_forecast_from_a_checkpoint_uses_only_the_days_before_it(method):
    generator = rng()
    history = generator.poisson(np.tile(WEEK, 30), (5, 210)).astype(float)
    changed = history.copy()
    changed[:, 150:] = generator.poisson(40.0, (5, 60))
    before = run_method(method, history, [100, 150, 210], 14)
    after = run_method(method, changed, [100, 150, 210], 14)
    np.testing.assert_allclose(before[0], after[0])
    np.testing.assert_allclose(before[1], after[1])
    assert not np.allclose(before[2], after[2])  # the final forecast does see the new days


def test_checkpoints_before_the_warm_up_are_refused():
    with pytest.raises(ValueError):
        run_method(Method.SES, np.ones((1, 50)), [10], 7)


def test_demand_over_pro_rates_fractions_and_repeats_the_last_week():
    daily = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]  # last full week: 4 … 10
    assert demand_over(daily, 2.5) == pytest.approx(1 + 2 + 0.5 * 3)
    assert daily_at(daily, 10) == 4.0  # day 10 is the weekday of day 3
    assert demand_over(daily, 12) == pytest.approx(55 + 4 + 5)
    assert demand_over(daily, 0) == 0.0
