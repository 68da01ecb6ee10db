"""Simple exponential smoothing and Holt's damped trend, optionally times a weekly profile.

One pass over the history runs every parameter combination of a small grid side by side (arrays of
shape series × grid). At each checkpoint the combination with the lowest one-step-ahead squared
error so far is picked for that series, so the choice uses only the past. Squared error (not
absolute) because we forecast the mean: absolute error would favour forecasting the median, which
is zero for slow movers.

With a weekly profile the model is: expected demand on day t = (level + damped trend) × factor of
t's weekday. The level is corrected by the raw error (demand − expected), not by demand / factor:
dividing by a small factor would turn one sale on a quiet weekday into a jump of the level, while
the raw error gives each day the weight its volume deserves and still sums to the weekly mean.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from conveyor.planning.seasonality import WeeklyProfile

Array = NDArray[np.float64]

WARMUP_DAYS = 14  # the first two weeks set the starting level, trend and weekday profile


@dataclass(frozen=True)
class Grid:
    """Parameter combinations, one column each: smoothing weights for level (alpha) and trend
    (beta, as a share of alpha's correction) and the damping of the trend per day (phi)."""

    alpha: Array
    beta: Array
    phi: Array

    @classmethod
    def of(cls, alphas: Sequence[float], betas: Sequence[float], phis: Sequence[float]) -> Grid:
        combos = np.array(list(itertools.product(alphas, betas, phis)), dtype=np.float64)
        return cls(combos[:, 0], combos[:, 1], combos[:, 2])

    @property
    def size(self) -> int:
        return len(self.alpha)


SES_GRID = Grid.of((0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6), (0.0,), (1.0,))
HOLT_GRID = Grid.of((0.05, 0.1, 0.2, 0.3, 0.5), (0.02, 0.1, 0.25), (0.8, 0.9, 0.98))


@dataclass
class _State:
    level: Array
    trend: Array | None
    sse: Array
    factors: Array | None = None  # weekday factors for the days after the checkpoint


def ses(history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    return _smooth(history, checkpoints, horizon, SES_GRID, trended=False, weekly=False)


def holt_damped(history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    return _smooth(history, checkpoints, horizon, HOLT_GRID, trended=True, weekly=False)


def ses_weekly(history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    return _smooth(history, checkpoints, horizon, SES_GRID, trended=False, weekly=True)


def holt_damped_weekly(history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    return _smooth(history, checkpoints, horizon, HOLT_GRID, trended=True, weekly=True)


def _initial_state(history: Array, grid: Grid, trended: bool) -> _State:
    count = history.shape[0]
    first_week = history[:, :7].mean(axis=1)
    second_week = history[:, 7:WARMUP_DAYS].mean(axis=1)
    if trended:
        slope = (second_week - first_week) / 7.0
        # The second week's mean sits 3 days before the last warm-up day.
        level = second_week + 3.0 * slope
        trend: Array | None = np.repeat(slope[:, None], grid.size, axis=1)
    else:
        level = (first_week + second_week) / 2.0
        trend = None
    return _State(np.repeat(level[:, None], grid.size, axis=1), trend, np.zeros((count, grid.size)))


def _smooth(
    history: Array, checkpoints: Sequence[int], horizon: int, grid: Grid, trended: bool, weekly: bool
) -> list[Array]:
    state = _initial_state(history, grid, trended)
    profile = WeeklyProfile(history[:, :WARMUP_DAYS]) if weekly else None
    alpha, damped_beta, phi = grid.alpha[None, :], (grid.alpha * grid.beta)[None, :], grid.phi[None, :]
    wanted = set(checkpoints)
    saved: dict[int, _State] = {}
    total_days = history.shape[1]
    for day in range(WARMUP_DAYS, total_days + 1):
        if day in wanted:
            saved[day] = _State(
                state.level.copy(),
                None if state.trend is None else state.trend.copy(),
                state.sse.copy(),
                None if profile is None else profile.ahead(day, horizon),
            )
        if day == total_days:
            break
        expected = state.level if state.trend is None else state.level + phi * state.trend
        demand = history[:, day : day + 1]
        error = demand - (expected if profile is None else expected * profile.factor(day))
        state.sse += error * error
        state.level = expected + alpha * error
        if state.trend is not None:
            state.trend = phi * state.trend + damped_beta * error
        if profile is not None:
            profile.update(day, demand[:, 0])
    return [_forecast(saved[c], grid, horizon) for c in checkpoints]


def _forecast(state: _State, grid: Grid, horizon: int) -> Array:
    rows = np.arange(state.level.shape[0])
    best = np.argmin(state.sse, axis=1)
    path = np.repeat(state.level[rows, best][:, None], horizon, axis=1)
    if state.trend is not None:
        phi = grid.phi[best][:, None]
        damping = np.cumsum(phi ** np.arange(1, horizon + 1)[None, :], axis=1)  # phi + phi² + … + phi^h
        path = path + state.trend[rows, best][:, None] * damping
    if state.factors is not None:
        path = path * state.factors
    return path
