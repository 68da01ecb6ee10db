#!/usr/bin/env python
"""Forecasting speed: 10,000 SKU×location series × 365 days, fit + automatic choice + forecast.

Target: ≤ 60 s on the 2-core machine. Prints wall time and CPU time (this process plus any
worker processes). The series come from forecast_backtest.generate (same mix of smooth, erratic,
intermittent and lumpy demand); generating them is not timed. Results go in docs/benchmarks.md.

    .venv/bin/python benchmarks/forecast_speed.py --series 10000 --days 365
    .venv/bin/python benchmarks/forecast_speed.py --series 10000 --days 365 --workers 2
    .venv/bin/python benchmarks/forecast_speed.py --series 10000 --days 365 --ragged   # SKUs of mixed age
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from forecast_backtest import generate  # noqa: E402

from conveyor.planning.forecast import Forecast  # noqa: E402
from conveyor.planning.selection import forecast_demand  # noqa: E402


def _forecast_chunk(histories: list[np.ndarray], horizon: int) -> list[Forecast]:
    return forecast_demand(histories, horizon)


def run(histories: list[np.ndarray], horizon: int, workers: int) -> list[Forecast]:
    if workers <= 1:
        return forecast_demand(histories, horizon)
    chunks = [histories[i::workers] for i in range(workers)]  # interleaved: similar lengths in each
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_forecast_chunk, chunks, [horizon] * workers))
    out: list[Forecast] = [None] * len(histories)  # type: ignore[list-item]
    for i, part in enumerate(parts):
        out[i::workers] = part
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--ragged", action="store_true", help="history lengths drawn from 10 … days")
    args = parser.parse_args()
    data, _ = generate(args.series, args.days)
    histories = list(data)
    if args.ragged:
        lengths = np.random.default_rng(1).integers(10, args.days + 1, args.series)
        histories = [row[-n:] for row, n in zip(histories, lengths, strict=True)]
    load = os.getloadavg()[0]
    before = os.times()
    started = time.perf_counter()
    forecasts = run(histories, args.horizon, args.workers)
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.user + after.system + after.children_user + after.children_system) - (
        before.user + before.system + before.children_user + before.children_system
    )
    assert len(forecasts) == args.series and all(len(f.daily) == args.horizon for f in forecasts)
    methods = Counter(f.method.value for f in forecasts)
    print(
        f"{args.series} series × {args.days} days{' (ragged)' if args.ragged else ''}, horizon {args.horizon}, "
        f"workers {args.workers}: wall {wall:.1f} s, CPU {cpu:.1f} s "
        f"({1000 * wall / args.series:.2f} ms/series wall); load average before {load:.2f} on {os.cpu_count()} cores"
    )
    print("methods chosen: " + ", ".join(f"{m} {n}" for m, n in methods.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
