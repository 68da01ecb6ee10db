"""Weekly (day-of-week) seasonality: a significance test and a running day-of-week profile.

Positions are relative to the first day of the history (day t is weekday t mod 7 of the series),
so no calendar is needed: a forecast continues the same cycle from the last day of the history.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Bools = NDArray[np.bool_]

SEASON_DAYS = 7
# Weight of each new week in a weekday's running average: about ten weeks of memory, long enough
# to average out noise and short enough to follow a change of pattern within a season.
PROFILE_WEIGHT = 0.1
# The test needs this many full weeks; shorter histories never use a weekly profile.
MIN_WEEKS = 8
SIGNIFICANCE = 0.01


def weekly_pattern(history: Array) -> Bools:
    """True for each series whose demand differs by weekday beyond chance (p < 0.01).

    A two-way analysis of variance over the last full weeks (weeks × weekdays, weeks as blocks),
    so a level that moves from week to week (trend, promotions) is not mistaken for a weekday
    effect. Series shorter than MIN_WEEKS full weeks are never seasonal."""
    count, total_days = history.shape
    weeks = total_days // SEASON_DAYS
    if weeks < MIN_WEEKS or count == 0:
        return np.zeros(count, dtype=bool)
    # Whole weeks ending at the last day, in the series' own weekday positions.
    start = total_days - weeks * SEASON_DAYS
    grid = history[:, start:].reshape(count, weeks, SEASON_DAYS)
    grand = grid.mean(axis=(1, 2))[:, None]
    day_means = grid.mean(axis=1)
    week_means = grid.mean(axis=2)
    ss_day = weeks * ((day_means - grand) ** 2).sum(axis=1)
    ss_week = SEASON_DAYS * ((week_means - grand) ** 2).sum(axis=1)
    ss_total = ((grid - grand[:, :, None]) ** 2).sum(axis=(1, 2))
    ss_error = np.maximum(ss_total - ss_day - ss_week, 0.0)
    df_day, df_error = SEASON_DAYS - 1, (SEASON_DAYS - 1) * (weeks - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f_stat = (ss_day / df_day) / (ss_error / df_error)
    from scipy.special import fdtrc  # lazily: scipy is heavy and only this test needs it

    p_value = fdtrc(df_day, df_error, np.nan_to_num(f_stat, nan=0.0, posinf=np.inf))
    # A perfectly regular pattern (no error at all) is seasonal if the weekdays differ.
    exact = ss_error <= 1e-12 * np.maximum(ss_total, 1e-300)
    return np.where(exact, ss_day > 1e-12, p_value < SIGNIFICANCE)


class WeeklyProfile:
    """Running day-of-week factors (mean 1 over a week) for many series.

    Each weekday keeps an exponentially weighted average of its own demand; a factor is that
    average over the mean of all seven. Averages of demand (not of ratios) stay well defined
    when many days have no demand."""

    def __init__(self, warmup: Array) -> None:
        count, days = warmup.shape
        whole = days - days % SEASON_DAYS
        self.means = warmup[:, :whole].reshape(count, -1, SEASON_DAYS).mean(axis=1)

    def factor(self, day: int) -> Array:
        """Factors for weekday position `day` of every series, shape (n, 1)."""
        week_mean = self.means.mean(axis=1)
        column = self.means[:, day % SEASON_DAYS]
        safe_mean = np.where(week_mean > 0, week_mean, 1.0)
        return np.where(week_mean > 0, column / safe_mean, 1.0)[:, None]

    def update(self, day: int, demand: Array) -> None:
        column = day % SEASON_DAYS
        self.means[:, column] += PROFILE_WEIGHT * (demand - self.means[:, column])

    def ahead(self, start: int, horizon: int) -> Array:
        """Factors for days start .. start+horizon-1, shape (n, horizon)."""
        week_mean = self.means.mean(axis=1, keepdims=True)
        safe_mean = np.where(week_mean > 0, week_mean, 1.0)
        factors = np.where(week_mean > 0, self.means / safe_mean, 1.0)
        return factors[:, (start + np.arange(horizon)) % SEASON_DAYS]
