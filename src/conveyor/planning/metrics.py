"""Forecast accuracy per series: WAPE and MASE, plus the demand classes of Syntetos and Boylan.

WAPE = Σ|actual − forecast| / Σ actual over the evaluated days (NaN when nothing was sold: the
ratio is undefined). MASE = mean |actual − forecast| / the mean absolute error of the seasonal
naive forecast (same weekday last week) on the history before the evaluated days. Below 1 a method
beats that baseline in-sample; the backtest also compares out of sample directly.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

SEASON_DAYS = 7
# Syntetos, Boylan & Croston (2005) cut-offs, as used by most planning tools.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


def wape(actual: Array, forecast: Array) -> Array:
    """Per row; NaN where the row's actual demand sums to zero."""
    sold = actual.sum(axis=1)
    errors = np.abs(actual - forecast).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sold > 0, errors / sold, np.nan)


def mase_scale(history: Array) -> Array:
    """In-sample MAE of the seasonal naive forecast per row, guarded against zero.

    When that MAE is zero (a history that repeats exactly every week) the lag-1 naive MAE is used,
    then the mean demand (a constant series); an all-zero history has no scale (NaN)."""
    weekly = _mean_abs_diff(history, SEASON_DAYS)
    daily = _mean_abs_diff(history, 1)
    level = history.mean(axis=1) if history.shape[1] else np.zeros(history.shape[0])
    scale = np.where(weekly > 0, weekly, np.where(daily > 0, daily, level))
    return np.where(scale > 0, scale, np.nan)


def mase(actual: Array, forecast: Array, scale: Array) -> Array:
    """Per row; a perfect forecast of an all-zero history scores 0, otherwise such rows are NaN."""
    mae = np.abs(actual - forecast).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = mae / scale
    return np.where(np.isnan(scale), np.where(mae == 0, 0.0, np.nan), scaled)


def _mean_abs_diff(history: Array, lag: int) -> Array:
    if history.shape[1] <= lag:
        return np.zeros(history.shape[0])
    return np.abs(history[:, lag:] - history[:, :-lag]).mean(axis=1)


class DemandClass(StrEnum):
    SMOOTH = "smooth"  # frequent, steady sizes
    ERRATIC = "erratic"  # frequent, very variable sizes
    INTERMITTENT = "intermittent"  # many days without demand, steady sizes
    LUMPY = "lumpy"  # many days without demand, variable sizes
    NONE = "none"  # no demand at all


def classify(history: Array) -> list[DemandClass]:
    """ADI (average days between demands) against 1.32 and CV² of the non-zero sizes against 0.49."""
    demand_days = (history > 0).sum(axis=1)
    adi = np.where(demand_days > 0, history.shape[1] / np.maximum(demand_days, 1), np.inf)
    cv2 = _nonzero_cv2(history, demand_days)
    classes = []
    for days, interval, variation in zip(demand_days, adi, cv2, strict=True):
        if days == 0:
            classes.append(DemandClass.NONE)
        elif interval < ADI_CUTOFF:
            classes.append(DemandClass.SMOOTH if variation < CV2_CUTOFF else DemandClass.ERRATIC)
        else:
            classes.append(DemandClass.INTERMITTENT if variation < CV2_CUTOFF else DemandClass.LUMPY)
    return classes


def _nonzero_cv2(history: Array, demand_days: NDArray[np.int_]) -> Array:
    """Squared coefficient of variation of the non-zero demands (population variance)."""
    occurred = history > 0
    safe_days = np.maximum(demand_days, 1)
    mean = history.sum(axis=1) / safe_days
    variance = (np.where(occurred, (history - mean[:, None]) ** 2, 0.0)).sum(axis=1) / safe_days
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, variance / mean**2, 0.0)
