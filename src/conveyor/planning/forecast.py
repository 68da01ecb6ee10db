"""Forecasting methods for daily demand, vectorised over many series of equal length.

Every method has the same shape: `run(history, checkpoints, horizon) -> list of forecasts`, where
`history` is an (n series × T days) array of non-negative daily demand, and the forecast for a
checkpoint `c` (shape n × horizon, day 0 = day `c`) is made from `history[:, :c]` alone. One pass
over the history serves every checkpoint: the smoothing methods fit their parameters on a small
grid by the one-step-ahead squared error accumulated up to each checkpoint, so the rolling-origin
backtest (`planning.selection`) refits at every origin at no extra cost and never sees the future.

Methods: seasonal naive (the baseline), simple exponential smoothing, Holt's damped trend, both
optionally with a weekly (day-of-week) profile, and Croston, SBA and TSB for intermittent demand
(see `planning.smoothing` and `planning.intermittent`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from conveyor.planning import intermittent, smoothing
from conveyor.planning.metrics import DemandClass
from conveyor.planning.smoothing import WARMUP_DAYS

Array = NDArray[np.float64]
MethodRun = Callable[[Array, Sequence[int], int], list[Array]]

SEASON_DAYS = 7


class Method(StrEnum):
    SEASONAL_NAIVE = "seasonal_naive"
    SES = "ses"
    HOLT_DAMPED = "holt_damped"
    SES_WEEKLY = "ses_weekly"
    HOLT_DAMPED_WEEKLY = "holt_damped_weekly"
    CROSTON = "croston"
    SBA = "sba"
    TSB = "tsb"
    ZERO = "zero"  # no demand at all in the history: forecast nothing
    HISTORY_MEAN = "history_mean"  # under two weeks of history (a new item): the mean so far


@dataclass(frozen=True, slots=True)
class Forecast:
    """A demand forecast for one SKU at one location.

    `daily[0]` is the expected demand on the first day after the history, `daily[k]` k days later.
    `sigma` is the standard deviation of a one-day forecast error, measured out of sample in the
    backtest (or the history's own spread when it is too short to backtest); safety stock uses it.
    `wape` and `mase` are the method's accuracy in that backtest, None when it could not be measured
    (too little history, or no demand at all in the holdout for WAPE)."""

    method: Method
    daily: tuple[float, ...]
    sigma: float
    fitted_days: int
    wape: float | None
    mase: float | None
    demand_class: DemandClass
    backtest_days: int = 0

    @property
    def mean_daily(self) -> float:
        return sum(self.daily) / len(self.daily) if self.daily else 0.0

    def total(self, days: float) -> float:
        """Expected demand over the next `days` days (fractions pro-rated; beyond the horizon the
        last week of the forecast repeats)."""
        return demand_over(self.daily, days)


def demand_over(daily: Sequence[float], days: float) -> float:
    """Sum of a daily forecast over `days` (may be fractional or longer than the forecast)."""
    if days <= 0 or not daily:
        return 0.0
    whole = int(days)
    total = sum(daily_at(daily, k) for k in range(whole))
    return total + (days - whole) * daily_at(daily, whole)


def daily_at(daily: Sequence[float], k: int) -> float:
    """The forecast for day k; past the horizon the last full week repeats (keeps the weekday)."""
    if k < len(daily):
        return daily[k]
    tail = min(SEASON_DAYS, len(daily))
    start = len(daily) - tail
    return daily[start + (k - start) % tail]


def seasonal_naive(history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    """Each day repeats the same weekday of the last week before the checkpoint."""
    offsets = np.arange(horizon) % SEASON_DAYS
    return [history[:, c - SEASON_DAYS + offsets] for c in checkpoints]


def zero(history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    return [np.zeros((history.shape[0], horizon)) for _ in checkpoints]


RUNS: dict[Method, MethodRun] = {
    Method.SEASONAL_NAIVE: seasonal_naive,
    Method.SES: smoothing.ses,
    Method.HOLT_DAMPED: smoothing.holt_damped,
    Method.SES_WEEKLY: smoothing.ses_weekly,
    Method.HOLT_DAMPED_WEEKLY: smoothing.holt_damped_weekly,
    Method.CROSTON: intermittent.croston,
    Method.SBA: intermittent.sba,
    Method.TSB: intermittent.tsb,
    Method.ZERO: zero,
}

MIN_HISTORY_DAYS = WARMUP_DAYS  # every method needs two weeks to start from


def run_method(method: Method, history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    """Forecasts of `method` from each checkpoint (each in 14..T), never negative."""
    total_days = history.shape[1]
    if any(c < MIN_HISTORY_DAYS or c > total_days for c in checkpoints):
        raise ValueError(f"checkpoints must lie in {MIN_HISTORY_DAYS}..{total_days}, got {list(checkpoints)}")
    return [np.maximum(f, 0.0) for f in RUNS[method](history, checkpoints, horizon)]


def forecast_with(method: Method, history: Sequence[float], horizon: int) -> list[float]:
    """One series, one chosen method (no backtest): the daily forecast over `horizon` days."""
    series = np.asarray(history, dtype=np.float64)[None, :]
    return [float(v) for v in run_method(method, series, [series.shape[1]], horizon)[0][0]]
