"""statsforecast and statsmodels on the same series as our numpy methods (docs/decisions.md, forecasting).

Not part of the project's dependencies: run through forecast_backtest.py with an interpreter that has
them, e.g. `PYTHONPATH=src /tmp/sf-venv/bin/python benchmarks/forecast_backtest.py --series 1000 --libraries 200`
after `python3 -m venv /tmp/sf-venv && /tmp/sf-venv/bin/pip install statsforecast statsmodels`.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from conveyor.planning.forecast import Method, run_method
from conveyor.planning.metrics import mase, mase_scale, wape
from conveyor.planning.selection import forecast_demand


def _row(name: str, future: np.ndarray, predicted: np.ndarray, scale: np.ndarray, seconds: float) -> str:
    errors = mase(future, predicted, scale)
    pooled = np.abs(future - predicted).sum() / future.sum()
    return (
        f"| {name} | {np.nanmean(errors):.3f} | {np.nanmedian(errors):.3f} | {pooled:.1%} | "
        f"{np.nanmean(wape(future, predicted)):.1%} | {seconds:.2f} |"
    )


def _statsforecast(history: np.ndarray, horizon: int) -> list[tuple[str, np.ndarray, float, float]]:
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import (
        ADIDA,
        IMAPA,
        TSB,
        AutoETS,
        AutoTheta,
        CrostonOptimized,
        CrostonSBA,
        SeasonalNaive,
    )

    count, days = history.shape
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(count), days),
            "ds": np.tile(pd.date_range("2025-01-06", periods=days, freq="D"), count),
            "y": history.ravel(),
        }
    )
    models = [
        SeasonalNaive(season_length=7),
        AutoETS(season_length=7),
        AutoTheta(season_length=7),
        CrostonOptimized(),
        CrostonSBA(),
        TSB(alpha_d=0.1, alpha_p=0.1),
        ADIDA(),
        IMAPA(),
    ]
    out = []
    for model in models:
        name = f"statsforecast {type(model).__name__}"
        started = time.perf_counter()
        StatsForecast(models=[model], freq="D").forecast(df=frame[frame.unique_id < 3], h=horizon)  # JIT warm-up
        warm = time.perf_counter() - started
        started_cpu, started = time.process_time(), time.perf_counter()
        result = StatsForecast(models=[model], freq="D", n_jobs=1).forecast(df=frame, h=horizon)
        wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        column = [c for c in result.columns if c not in ("unique_id", "ds")][0]
        predicted = result.sort_values(["unique_id", "ds"])[column].to_numpy().reshape(count, horizon)
        out.append((name, np.maximum(predicted, 0.0), cpu, warm))
        print(f"  {name}: {wall:.1f} s wall, {cpu:.1f} s CPU (+{warm:.1f} s first-call compile)", flush=True)
    return out


def _statsmodels(history: np.ndarray, horizon: int) -> tuple[str, np.ndarray, float, float]:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    predicted = np.zeros((history.shape[0], horizon))
    started = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, row in enumerate(history):
            model = ExponentialSmoothing(row, trend="add", damped_trend=True, seasonal="add", seasonal_periods=7)
            predicted[i] = model.fit().forecast(horizon)
    cpu = time.process_time() - started
    print(f"  statsmodels Holt-Winters (damped, additive weekly): {cpu:.1f} s CPU", flush=True)
    return ("statsmodels ExponentialSmoothing", np.maximum(predicted, 0.0), cpu, 0.0)


def compare(history: np.ndarray, future: np.ndarray) -> None:
    count, horizon = history.shape[0], future.shape[1]
    scale = mase_scale(history)
    print(f"\nLibraries on the first {count} series (CPU seconds for all {count}, single process):")
    rows = []
    for method in (Method.SEASONAL_NAIVE, Method.HOLT_DAMPED_WEEKLY, Method.SBA, Method.TSB):
        started = time.process_time()
        predicted = run_method(method, history, [history.shape[1]], horizon)[0]
        rows.append(_row(f"ours {method.value}", future, predicted, scale, time.process_time() - started))
    started = time.process_time()
    predicted = np.array([f.daily for f in forecast_demand(history, horizon)])
    rows.append(_row("ours automatic (backtest choice)", future, predicted, scale, time.process_time() - started))
    library_runs = [*_statsforecast(history, horizon), _statsmodels(history, horizon)]
    for name, predicted, cpu, _warm in library_runs:
        rows.append(_row(name, future, predicted, scale, cpu))
    print("| method | mean MASE | median MASE | pooled WAPE | mean WAPE | CPU s |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
