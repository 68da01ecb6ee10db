"""Automatic method choice by rolling-origin backtest, and the forecasts that come out of it.

For each series: classify its demand (smooth / erratic / intermittent / lumpy, Syntetos–Boylan),
test it for a weekly pattern, and backtest the candidate methods for that class on its own history:
from each of a few origins near the end (by default 3 windows of 14 days) every candidate forecasts
the next window from the days before the origin only. The candidate with the lowest mean squared
error over those windows wins (ties go to the simpler method); it is refitted on the whole history
to forecast ahead, and its backtest WAPE, MASE and error spread travel with the forecast.
Seasonal naive (same weekday last week) is always a candidate, as the baseline to beat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from conveyor.planning.demand import MAX_HISTORY_DAYS
from conveyor.planning.forecast import MIN_HISTORY_DAYS, Array, Forecast, Method, run_method
from conveyor.planning.metrics import DemandClass, classify, mase, mase_scale, wape
from conveyor.planning.seasonality import SEASON_DAYS, weekly_pattern
from conveyor.shared.errors import ValidationFailed

# Simplest first: on equal backtest error the earlier method wins.
PREFERENCE = (
    Method.ZERO,
    Method.SES,
    Method.SBA,
    Method.TSB,
    Method.CROSTON,
    Method.HOLT_DAMPED,
    Method.SES_WEEKLY,
    Method.HOLT_DAMPED_WEEKLY,
    Method.SEASONAL_NAIVE,
)
FREQUENT = (Method.SES, Method.HOLT_DAMPED, Method.SEASONAL_NAIVE)
SPORADIC = (Method.SES, Method.SBA, Method.CROSTON, Method.TSB, Method.SEASONAL_NAIVE)
WEEKLY = (Method.SES_WEEKLY, Method.HOLT_DAMPED_WEEKLY)
# What a series too short to backtest gets.
DEFAULT_FOR_CLASS = {
    DemandClass.SMOOTH: Method.SES,
    DemandClass.ERRATIC: Method.SES,
    DemandClass.INTERMITTENT: Method.SBA,
    DemandClass.LUMPY: Method.SBA,
    DemandClass.NONE: Method.ZERO,
}
MIN_TRAINING_DAYS = 28  # before the first backtest origin: two weeks of warm-up, two of fitting


@dataclass(frozen=True, slots=True)
class BacktestPlan:
    windows: int = 3
    window_days: int = 14
    criterion: str = "mse"  # "mse" (forecasts the mean) or "mae" (favours the median, i.e. zeros)

    def origins(self, total_days: int) -> list[int]:
        """Backtest origins for a history of `total_days`, fewer windows if it is short; [] = too short."""
        for windows in range(self.windows, 0, -1):
            first = total_days - windows * self.window_days
            if first >= MIN_TRAINING_DAYS:
                return [first + k * self.window_days for k in range(windows)]
        return []


def candidates(demand_class: DemandClass, weekly: bool) -> tuple[Method, ...]:
    """The methods backtested for a series of this class (weekly: it has a significant weekday pattern)."""
    if demand_class is DemandClass.NONE:
        return (Method.ZERO,)
    base = FREQUENT if demand_class in (DemandClass.SMOOTH, DemandClass.ERRATIC) else SPORADIC
    return base + WEEKLY if weekly else base


def forecast_demand(
    histories: Sequence[Sequence[float]] | Array,
    horizon: int = 28,
    plan: BacktestPlan | None = None,
    max_history_days: int = MAX_HISTORY_DAYS,
) -> list[Forecast]:
    """One forecast per history (daily demand, oldest first, the last day being the latest full day).

    Histories may differ in length (a new SKU has a short one). Only the latest `max_history_days`
    are used, and from 28 days on a history is trimmed at its old end to whole weeks so that
    series of similar age are forecast together in one vectorised batch."""
    if horizon < 1:
        raise ValidationFailed("the forecast horizon must be at least one day", horizon=horizon)
    series = [_checked(np.asarray(h, dtype=np.float64), i) for i, h in enumerate(histories)]
    groups: dict[int, list[int]] = defaultdict(list)
    for index, values in enumerate(series):
        groups[_usable_days(len(values), max_history_days)].append(index)
    results: list[Forecast | None] = [None] * len(series)
    for days, members in groups.items():
        batch = np.array([series[i][len(series[i]) - days :] for i in members]).reshape(len(members), days)
        for index, forecast in zip(members, forecast_batch(batch, horizon, plan or BacktestPlan()), strict=True):
            results[index] = forecast
    return [f for f in results if f is not None]


def _usable_days(length: int, max_history_days: int) -> int:
    days = min(length, max_history_days)
    return days - days % SEASON_DAYS if days >= MIN_TRAINING_DAYS else days


def _checked(values: Array, index: int) -> Array:
    if values.ndim != 1 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValidationFailed(
            f"history {index} must be a list of finite, non-negative daily quantities", history=index
        )
    return values


def forecast_batch(history: Array, horizon: int, plan: BacktestPlan) -> list[Forecast]:
    """Forecasts for equally long histories (an n × T array)."""
    count, total_days = history.shape
    classes = classify(history)
    if total_days < MIN_HISTORY_DAYS:
        return [_too_short(row, cls, horizon) for row, cls in zip(history, classes, strict=True)]
    origins = plan.origins(total_days)
    if not origins:
        return _unbacktested(history, classes, horizon)
    weekly = weekly_pattern(history)
    allowed = [set(candidates(cls, bool(w))) for cls, w in zip(classes, weekly, strict=True)]
    run = _Backtest(history, origins, plan, horizon)
    for method in PREFERENCE:
        rows = np.array([i for i in range(count) if method in allowed[i]], dtype=np.intp)
        if rows.size:
            run.score(method, rows)
    return [run.result(i, classes[i]) for i in range(count)]


class _Backtest:
    """Scores of every method tried on each row, and the best so far."""

    def __init__(self, history: Array, origins: list[int], plan: BacktestPlan, horizon: int) -> None:
        self.history, self.origins, self.plan, self.horizon = history, origins, plan, horizon
        days = plan.window_days
        self.actual = np.concatenate([history[:, o : o + days] for o in origins], axis=1)
        self.scale = mase_scale(history[:, : origins[0]])
        count = history.shape[0]
        self.best_score = np.full(count, np.inf)
        self.best_method = np.full(count, Method.ZERO.value, dtype=object)
        self.best_predicted = np.zeros_like(self.actual)
        self.best_ahead = np.zeros((count, horizon))

    def score(self, method: Method, rows: NDArray[np.intp]) -> None:
        days = self.plan.window_days
        checkpoints = [*self.origins, self.history.shape[1]]
        runs = run_method(method, self.history[rows], checkpoints, max(days, self.horizon))
        predicted = np.concatenate([f[:, :days] for f in runs[:-1]], axis=1)
        error = self.actual[rows] - predicted
        score = (error**2).mean(axis=1) if self.plan.criterion == "mse" else np.abs(error).mean(axis=1)
        better = score < self.best_score[rows]
        won = rows[better]
        self.best_score[won] = score[better]
        self.best_method[won] = method.value
        self.best_predicted[won] = predicted[better]
        self.best_ahead[won] = runs[-1][better, : self.horizon]

    def result(self, row: int, demand_class: DemandClass) -> Forecast:
        actual, predicted = self.actual[row : row + 1], self.best_predicted[row : row + 1]
        return Forecast(
            method=Method(self.best_method[row]),
            daily=tuple(float(v) for v in self.best_ahead[row]),
            sigma=float(np.sqrt(((actual - predicted) ** 2).mean())),
            fitted_days=self.history.shape[1],
            wape=_maybe(wape(actual, predicted)[0]),
            mase=_maybe(mase(actual, predicted, self.scale[row : row + 1])[0]),
            demand_class=demand_class,
            backtest_days=actual.shape[1],
        )


def _maybe(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _unbacktested(history: Array, classes: list[DemandClass], horizon: int) -> list[Forecast]:
    """Too short to backtest: the class's default method, the history's spread as the error."""
    total_days = history.shape[1]
    forecasts: list[Forecast] = []
    for row, cls in zip(history, classes, strict=True):
        method = DEFAULT_FOR_CLASS[cls]
        ahead = run_method(method, row[None, :], [total_days], horizon)[0][0]
        forecasts.append(
            Forecast(method, tuple(float(v) for v in ahead), float(row.std()), total_days, None, None, cls)
        )
    return forecasts


def _too_short(row: Array, demand_class: DemandClass, horizon: int) -> Forecast:
    """Under two weeks of history (a new item): the mean so far, flat."""
    mean = float(row.mean()) if row.size else 0.0
    method = Method.HISTORY_MEAN if mean > 0 else Method.ZERO
    sigma = float(row.std()) if row.size else 0.0
    return Forecast(method, (mean,) * horizon, sigma, row.size, None, None, demand_class)
