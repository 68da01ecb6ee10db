#!/usr/bin/env python
"""Forecast accuracy backtest: every method and the automatic choice against seasonal naive.

Generates SKU×location daily demand with a fixed seed — smooth, erratic, intermittent and lumpy
demand, some with a trend or a level shift, some with a weekday pattern, some that stop selling —
gives each method the first `--history` days and scores its forecast of the next `--horizon` days,
which no method (and no backtest inside the automatic choice) has seen. Results go in
docs/benchmarks.md ("Forecast accuracy").

    .venv/bin/python benchmarks/forecast_backtest.py --series 1000

With `--libraries N`, also scores statsforecast and statsmodels on the first N series (run it with
an interpreter that has them, e.g. a throwaway venv: `PYTHONPATH=src /tmp/sf-venv/bin/python …`).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from conveyor.planning.forecast import Method, run_method  # noqa: E402
from conveyor.planning.metrics import classify, mase, mase_scale, wape  # noqa: E402
from conveyor.planning.safety import LeadTime, reorder_levels  # noqa: E402
from conveyor.planning.selection import BacktestPlan, forecast_demand  # noqa: E402

KINDS = ("smooth", "erratic", "intermittent", "lumpy")
KIND_SHARES = (0.25, 0.15, 0.35, 0.25)  # most SKU×location series in retail are intermittent
WEEKDAY_SHAPES = (
    (1.0, 1.0, 1.0, 1.05, 1.2, 1.5, 1.3),  # weekend shop
    (1.2, 1.2, 1.2, 1.2, 1.1, 0.2, 0.1),  # business buyers, quiet weekends
    (0.9, 0.8, 0.8, 0.9, 1.1, 1.4, 1.2),
)


@dataclass(frozen=True)
class Series:
    kind: str
    trend: bool
    weekly: bool
    stops: bool


def generate(count: int, days: int, seed: int = 20261130) -> tuple[np.ndarray, list[Series]]:
    """`count` daily demand series of `days` days with known structure."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for _ in range(count):
        label = Series(
            kind=str(rng.choice(KINDS, p=KIND_SHARES)),
            trend=bool(rng.random() < 0.3),
            weekly=bool(rng.random() < 0.4),
            stops=bool(rng.random() < 0.05),
        )
        rows.append(_one(rng, days, label))
        labels.append(label)
    return np.array(rows, dtype=np.float64), labels


def _shape(rng: np.random.Generator, days: int, label: Series) -> np.ndarray:
    """Relative level per day: trend or level shift, weekday pattern, end of life."""
    t = np.arange(days)
    shape = np.ones(days)
    if label.trend:
        shape *= 1.0 + rng.uniform(-0.5, 1.0) * t / days
    elif rng.random() < 0.2:
        shape *= np.where(t >= rng.integers(days // 3, days - 40), rng.uniform(0.5, 1.8), 1.0)
    if label.weekly:
        pattern = np.array(WEEKDAY_SHAPES[rng.integers(len(WEEKDAY_SHAPES))])
        strength = rng.uniform(0.5, 1.0)
        shape *= (1.0 + strength * (pattern - 1.0))[(t + rng.integers(7)) % 7]
    if label.stops:
        shape *= t < rng.integers(days - 60, days - 10)
    return shape


def _one(rng: np.random.Generator, days: int, label: Series) -> np.ndarray:
    shape = _shape(rng, days, label)
    if label.kind in ("smooth", "erratic"):
        mean = rng.lognormal(np.log(8.0), 0.8) * shape
        if label.kind == "smooth":
            return rng.poisson(np.maximum(mean, 0.0))
        dispersion = rng.uniform(0.4, 1.2)  # gamma–Poisson: variance well above the mean
        return rng.poisson(rng.gamma(dispersion, np.maximum(mean, 1e-9) / dispersion))
    chance = np.clip(rng.uniform(0.04, 0.5) * shape, 0.0, 0.95)
    occurs = rng.random(days) < chance
    if label.kind == "intermittent":
        sizes = 1 + rng.poisson(rng.uniform(0.2, 2.0), days)
    else:
        spread = rng.uniform(0.3, 0.8)
        sizes = 1 + rng.poisson(rng.gamma(spread, rng.uniform(2.0, 10.0) / spread, days))
    return np.where(occurs, sizes, 0)


def score(actual: np.ndarray, predicted: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    errors = mase(actual, predicted, scale)
    per_series_wape = wape(actual, predicted)
    return {
        "mase_mean": float(np.nanmean(errors)),
        "mase_median": float(np.nanmedian(errors)),
        "wape_pooled": float(np.abs(actual - predicted).sum() / actual.sum()),
        "wape_mean": float(np.nanmean(per_series_wape)),
        "bias": float((predicted.sum() - actual.sum()) / actual.sum()),
        "mase_all": errors,  # type: ignore[dict-item]
    }


def evaluate(history: np.ndarray, future: np.ndarray, plans: dict[str, BacktestPlan]) -> dict[str, dict]:
    horizon = future.shape[1]
    scale = mase_scale(history)
    results: dict[str, dict] = {}
    for method in Method:
        if method in (Method.ZERO, Method.HISTORY_MEAN):
            continue
        started = time.process_time()
        predicted = run_method(method, history, [history.shape[1]], horizon)[0]
        results[method.value] = score(future, predicted, scale) | {"cpu_s": time.process_time() - started}
    for name, plan in plans.items():
        started = time.process_time()
        forecasts = forecast_demand(history, horizon, plan)
        predicted = np.array([f.daily for f in forecasts])
        results[name] = score(future, predicted, scale) | {"cpu_s": time.process_time() - started}
        results[name]["chosen"] = [f.method.value for f in forecasts]
    return results


def print_table(results: dict[str, dict], baseline: str = "seasonal_naive") -> None:
    base = results[baseline]["mase_all"]
    print("| method | mean MASE | median MASE | pooled WAPE | mean WAPE | bias | beats seasonal naive | CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        mine = r["mase_all"]
        both = ~np.isnan(mine) & ~np.isnan(base)
        wins = float(np.mean(mine[both] < base[both]))
        print(
            f"| {name} | {r['mase_mean']:.3f} | {r['mase_median']:.3f} | {r['wape_pooled']:.1%} | "
            f"{r['wape_mean']:.1%} | {r['bias']:+.1%} | {wins:.0%} | {r['cpu_s']:.2f} |"
        )


def print_by_class(history: np.ndarray, results: dict[str, dict], names: list[str]) -> None:
    classes = np.array([c.value for c in classify(history)])
    print("\nmean MASE by demand class (as classified from the history):")
    print("| class | series | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for cls in sorted(set(classes)):
        mask = classes == cls
        cells = [f"{np.nanmean(results[n]['mase_all'][mask]):.3f}" for n in names]
        print(f"| {cls} | {int(mask.sum())} | " + " | ".join(cells) + " |")


def print_service_check(history: np.ndarray, future: np.ndarray) -> None:
    """Does the safety stock built from the forecast's sigma give the promised service level?

    For each series, reorder levels for a fixed lead time are computed from its automatic forecast;
    the check counts the series whose actual demand over the lead time stayed within the reorder
    point (forecast demand + safety stock). Reported overall and by demand class."""
    classes = np.array([c.value for c in classify(history)])
    forecasts = forecast_demand(history, future.shape[1])
    print("\nsafety stock check: share of series whose demand over the lead time stayed within the reorder point")
    print("| lead time | target | all | smooth | erratic | intermittent | lumpy |")
    print("|---|---|---|---|---|---|---|")
    for lead_days in (7, 14):
        for target in (0.9, 0.95, 0.99):
            points = np.array([reorder_levels(f, LeadTime(lead_days), target).reorder_point for f in forecasts])
            covered = future[:, :lead_days].sum(axis=1) <= points
            selling = history.sum(axis=1) > 0
            cells = [f"{covered[selling].mean():.1%}"]
            for cls in ("smooth", "erratic", "intermittent", "lumpy"):
                cells.append(f"{covered[classes == cls].mean():.1%}")
            print(f"| {lead_days} days | {target:.0%} | " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--history", type=int, default=364)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--variants", action="store_true", help="also try other backtest plans")
    parser.add_argument("--libraries", type=int, default=0, help="score statsforecast/statsmodels on N series")
    args = parser.parse_args()
    data, _labels = generate(args.series, args.history + args.horizon, args.seed)
    history, future = data[:, : args.history], data[:, args.history :]
    plans = {"automatic": BacktestPlan()}
    if args.variants:
        plans |= {
            "automatic (MAE choice)": BacktestPlan(criterion="mae"),
            "automatic (3×28 days)": BacktestPlan(windows=3, window_days=28),
            "automatic (6×14 days)": BacktestPlan(windows=6, window_days=14),
        }
    print(f"{args.series} series, {args.history} days of history, {args.horizon} days scored, seed {args.seed}")
    results = evaluate(history, future, plans)
    print_table(results)
    print_by_class(history, results, ["seasonal_naive", "ses", "sba", "tsb", "ses_weekly", "automatic"])
    print_service_check(history, future)
    chosen = results["automatic"]["chosen"]
    shares = {m: chosen.count(m) / len(chosen) for m in sorted(set(chosen))}
    print("\nautomatic choice: " + ", ".join(f"{m} {s:.0%}" for m, s in shares.items()))
    if args.libraries:
        from forecast_libraries import compare  # only importable where statsforecast is installed

        compare(history[: args.libraries], future[: args.libraries])
    return 0


if __name__ == "__main__":
    sys.exit(main())
