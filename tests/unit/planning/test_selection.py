"""Automatic method choice, accuracy metrics and demand classes."""

from __future__ import annotations

import numpy as np
import pytest

from conveyor.planning.forecast import Method
from conveyor.planning.metrics import DemandClass, classify, mase, mase_scale, wape
from conveyor.planning.selection import BacktestPlan, candidates, forecast_demand
from conveyor.shared.errors import ValidationFailed

WEEK = np.array([10.0, 10.0, 10.0, 10.0, 12.0, 3.0, 1.0])


def rng() -> np.random.Generator:
    return np.random.default_rng(11)


def test_wape_and_mase_match_hand_computed_values():
    actual = np.array([[2.0, 0.0, 4.0, 2.0]])
    forecast = np.array([[1.0, 1.0, 1.0, 1.0]])
    # |errors| = 1, 1, 3, 1 → 6; sold 8 → WAPE 0.75; MAE 1.5.
    assert wape(actual, forecast)[0] == pytest.approx(0.75)
    history = np.array([[1.0, 2, 3, 4, 5, 6, 7, 3, 2, 3, 4, 5, 6, 9]])  # weekly diffs: 2,0,0,0,0,0,2
    assert mase_scale(history)[0] == pytest.approx(4 / 7)
    assert mase(actual, forecast, mase_scale(history))[0] == pytest.approx(1.5 / (4 / 7))


def test_metrics_guard_against_nothing_sold_and_flat_histories():
    nothing = np.zeros((1, 7))
    assert np.isnan(wape(nothing, np.ones((1, 7)))[0])
    zero_history = np.zeros((1, 21))
    assert mase(nothing, nothing, mase_scale(zero_history))[0] == 0.0  # perfect on an all-zero series
    assert np.isnan(mase(np.ones((1, 7)), nothing, mase_scale(zero_history))[0])
    constant = np.full((1, 21), 4.0)  # no naive error at all: scaled by the mean demand instead
    assert mase_scale(constant)[0] == 4.0
    weekly_exact = np.tile(WEEK, 3)[None, :]  # repeats exactly weekly: scaled by the day-to-day change
    assert mase_scale(weekly_exact)[0] == pytest.approx(np.abs(np.diff(weekly_exact[0])).mean())


def test_demand_classes_follow_syntetos_boylan_cut_offs():
    generator = rng()
    smooth = generator.poisson(30.0, 200)
    erratic = np.where(generator.random(200) < 0.5, 1.0, 40.0)  # every day, sizes vary wildly
    intermittent = np.where(generator.random(200) < 0.2, 3.0, 0.0)
    lumpy = np.where(generator.random(200) < 0.2, generator.choice([1.0, 30.0], 200), 0.0)
    history = np.array([smooth, erratic, intermittent, lumpy, np.zeros(200)], dtype=float)
    assert classify(history) == [
        DemandClass.SMOOTH,
        DemandClass.ERRATIC,
        DemandClass.INTERMITTENT,
        DemandClass.LUMPY,
        DemandClass.NONE,
    ]


def test_candidates_depend_on_the_class_and_always_include_the_baseline():
    assert Method.CROSTON not in candidates(DemandClass.SMOOTH, weekly=False)
    assert Method.HOLT_DAMPED in candidates(DemandClass.SMOOTH, weekly=False)
    sporadic = candidates(DemandClass.LUMPY, weekly=False)
    assert {Method.CROSTON, Method.SBA, Method.TSB} <= set(sporadic)
    assert Method.SES_WEEKLY in candidates(DemandClass.INTERMITTENT, weekly=True)
    assert Method.SES_WEEKLY not in candidates(DemandClass.INTERMITTENT, weekly=False)
    for cls in (DemandClass.SMOOTH, DemandClass.ERRATIC, DemandClass.INTERMITTENT, DemandClass.LUMPY):
        assert Method.SEASONAL_NAIVE in candidates(cls, weekly=False)
    assert candidates(DemandClass.NONE, weekly=True) == (Method.ZERO,)


def test_backtest_origins_shrink_with_the_history():
    plan = BacktestPlan(windows=3, window_days=14)
    assert plan.origins(364) == [322, 336, 350]
    assert plan.origins(60) == [32, 46]  # only two windows fit after 28 training days
    assert plan.origins(41) == []


def test_a_trending_series_gets_a_trend_method_and_a_close_forecast():
    days = np.arange(364)
    history = rng().poisson(20.0 + 1.0 * days).astype(float)  # a clear trend: +1 a day, noise ±20
    forecast = forecast_demand([history], horizon=14)[0]
    assert forecast.method in (Method.HOLT_DAMPED, Method.HOLT_DAMPED_WEEKLY)
    truth = 20.0 + 1.0 * np.arange(364, 378)
    assert np.mean(forecast.daily) == pytest.approx(truth.mean(), rel=0.05)
    assert forecast.daily[-1] > forecast.daily[0]


def test_a_weekly_series_gets_a_weekly_method_that_follows_the_weekdays():
    history = rng().poisson(np.tile(WEEK * 2, 52)).astype(float)
    forecast = forecast_demand([history], horizon=7)[0]
    assert forecast.method in (Method.SES_WEEKLY, Method.HOLT_DAMPED_WEEKLY, Method.SEASONAL_NAIVE)
    assert forecast.daily == pytest.approx(list(WEEK * 2), rel=0.3, abs=1.0)
    assert forecast.mase is not None and forecast.mase < 1.0


def test_an_intermittent_series_gets_a_flat_rate_near_its_mean():
    history = np.where(rng().random(364) < 0.15, 4.0, 0.0)
    forecast = forecast_demand([history], horizon=7)[0]
    assert forecast.demand_class == "intermittent"
    assert forecast.mean_daily == pytest.approx(0.6, rel=0.4)
    assert forecast.wape is not None and forecast.backtest_days == 42


def test_sigma_is_the_size_of_a_day_s_forecast_error():
    history = rng().poisson(25.0, 364).astype(float)  # Poisson: the daily spread is sqrt(25) = 5
    forecast = forecast_demand([history], horizon=7)[0]
    assert forecast.sigma == pytest.approx(5.0, rel=0.3)


def test_no_demand_gives_a_zero_forecast():
    forecast = forecast_demand([np.zeros(100)], horizon=5)[0]
    assert forecast.method is Method.ZERO
    assert forecast.daily == (0.0,) * 5 and forecast.sigma == 0.0


def test_short_histories_still_get_a_forecast_without_accuracy_figures():
    new_item, young_item = [2.0, 4.0, 0.0, 2.0], [3.0] * 20
    first, second = forecast_demand([new_item, young_item], horizon=3)
    assert first.method is Method.HISTORY_MEAN and first.daily == (2.0, 2.0, 2.0)
    assert second.method is Method.SES and second.daily == pytest.approx((3.0,) * 3)
    assert first.wape is first.mase is second.wape is None


def test_mixed_lengths_come_back_in_the_order_given():
    generator = rng()
    histories = [generator.poisson(level, days).astype(float) for level, days in ((2, 400), (30, 90), (8, 200))]
    forecasts = forecast_demand(histories, horizon=7)
    assert [round(f.mean_daily) for f in forecasts] == pytest.approx([2, 30, 8], abs=2)
    assert [f.fitted_days for f in forecasts] == [399, 84, 196]  # trimmed to whole weeks


def test_only_the_latest_days_are_used():
    history = np.concatenate([np.full(300, 50.0), np.full(100, 5.0)])
    forecast = forecast_demand([history], horizon=3, max_history_days=70)[0]
    assert forecast.fitted_days == 70 and forecast.daily == pytest.approx((5.0,) * 3)


@pytest.mark.parametrize("bad", [[1.0, -1.0, 2.0], [1.0, float("nan")], [[1.0, 2.0]]])
def test_invalid_histories_are_refused(bad):
    with pytest.raises(ValidationFailed):
        forecast_demand([bad], horizon=7)


def test_the_automatic_choice_beats_seasonal_naive_on_a_mixed_catalogue():
    generator = rng()
    days = np.arange(392)
    level = generator.lognormal(1.0, 1.0, (60, 1)) * (1 + 0.5 * (days / 392) * generator.choice([0, 1], (60, 1)))
    pattern = np.where(generator.random((60, 1)) < 0.5, np.tile(WEEK / WEEK.mean(), 56)[None, :], 1.0)
    demand = generator.poisson(level * pattern * (generator.random((60, 392)) < 0.6)).astype(float)
    history, future = demand[:, :364], demand[:, 364:]
    chosen = np.array([f.daily for f in forecast_demand(history, horizon=28)])
    naive = np.tile(history[:, -7:], 4)
    scale = mase_scale(history)
    assert np.nanmean(mase(future, chosen, scale)) < 0.9 * np.nanmean(mase(future, naive, scale))
