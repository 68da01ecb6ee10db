"""Croston, SBA and TSB for intermittent demand (many days without any), vectorised over series.

Croston (1972) smooths the size of the non-zero demands and the interval between them separately
and forecasts size / interval per day. SBA (Syntetos & Boylan 2005) multiplies that by
(1 − alpha/2), removing Croston's known upward bias. TSB (Teunter, Syntetos & Babai 2011) smooths
the probability of a demand every day instead of the interval, so the forecast decays while an
item stops selling (Croston's stays where the last sale left it).

Like `planning.smoothing`, one pass runs a small grid of smoothing weights side by side and each
checkpoint picks, per series, the weights with the lowest one-step squared error so far. The first
two weeks set the starting size and interval; a series with no demand in them starts at its first
demand.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from conveyor.planning.smoothing import WARMUP_DAYS

Array = NDArray[np.float64]

CROSTON_ALPHAS = np.array([0.05, 0.1, 0.15, 0.2, 0.3])
_TSB = np.array(list(itertools.product((0.05, 0.1, 0.2, 0.3), (0.02, 0.05, 0.1, 0.2, 0.3))))
TSB_SIZE_WEIGHTS, TSB_PROBABILITY_WEIGHTS = _TSB[:, 0], _TSB[:, 1]


def croston(history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    return _croston(history, checkpoints, horizon, debiased=False)


def sba(history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    return _croston(history, checkpoints, horizon, debiased=True)


def _warmup_sizes(history: Array) -> tuple[Array, Array]:
    """Mean non-zero demand (NaN when there was none) and the number of demand days in warm-up."""
    warmup = history[:, :WARMUP_DAYS]
    demand_days = (warmup > 0).sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        size = warmup.sum(axis=1) / demand_days
    return np.where(demand_days > 0, size, np.nan), demand_days


def _croston(history: Array, checkpoints: Sequence[int], horizon: int, debiased: bool) -> list[Array]:
    count, total_days = history.shape
    grid = len(CROSTON_ALPHAS)
    alpha = CROSTON_ALPHAS[None, :]
    bias = (1.0 - alpha / 2.0) if debiased else np.ones_like(alpha)
    size0, demand_days = _warmup_sizes(history)
    size = np.repeat(size0[:, None], grid, axis=1)
    with np.errstate(divide="ignore"):
        interval = np.repeat(np.where(demand_days > 0, WARMUP_DAYS / demand_days, np.nan)[:, None], grid, axis=1)
    since_last = _days_since_last_demand(history[:, :WARMUP_DAYS])
    sse = np.zeros((count, grid))
    saved: dict[int, Array] = {}
    wanted = set(checkpoints)
    for day in range(WARMUP_DAYS, total_days + 1):
        rate = np.nan_to_num(size / interval) * bias
        if day in wanted:
            saved[day] = _pick(rate, sse)
        if day == total_days:
            break
        demand = history[:, day : day + 1]
        sse += (demand - rate) ** 2
        since_last += 1.0
        occurred = demand > 0
        started = ~np.isnan(size)
        size = np.where(occurred, np.where(started, size + alpha * (demand - size), demand), size)
        gap = since_last[:, None]
        interval = np.where(occurred, np.where(started, interval + alpha * (gap - interval), gap), interval)
        since_last = np.where(occurred[:, 0], 0.0, since_last)
    return [np.repeat(saved[c][:, None], horizon, axis=1) for c in checkpoints]


def tsb(history: Array, checkpoints: Sequence[int], horizon: int) -> list[Array]:
    count, total_days = history.shape
    size_weight, probability_weight = TSB_SIZE_WEIGHTS[None, :], TSB_PROBABILITY_WEIGHTS[None, :]
    grid = size_weight.shape[1]
    size0, demand_days = _warmup_sizes(history)
    size = np.repeat(size0[:, None], grid, axis=1)
    probability = np.repeat((demand_days / WARMUP_DAYS)[:, None], grid, axis=1)
    sse = np.zeros((count, grid))
    saved: dict[int, Array] = {}
    wanted = set(checkpoints)
    for day in range(WARMUP_DAYS, total_days + 1):
        rate = probability * np.nan_to_num(size)
        if day in wanted:
            saved[day] = _pick(rate, sse)
        if day == total_days:
            break
        demand = history[:, day : day + 1]
        sse += (demand - rate) ** 2
        occurred = demand > 0
        probability = probability + probability_weight * (occurred - probability)
        started = ~np.isnan(size)
        size = np.where(occurred, np.where(started, size + size_weight * (demand - size), demand), size)
    return [np.repeat(saved[c][:, None], horizon, axis=1) for c in checkpoints]


def _pick(rate: Array, sse: Array) -> Array:
    """Per series, the rate of the grid column with the lowest squared error so far."""
    return rate[np.arange(rate.shape[0]), np.argmin(sse, axis=1)]


def _days_since_last_demand(window: Array) -> Array:
    """Days from the last demand to the end of `window` (its whole length when there was none)."""
    days = window.shape[1]
    occurred = window > 0
    last = np.where(occurred.any(axis=1), days - 1 - np.argmax(occurred[:, ::-1], axis=1), -1)
    return (days - 1 - last).astype(np.float64)
