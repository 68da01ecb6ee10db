"""Routing quality and speed benchmark: how far each strategy's plans are from the exact optimum of
the cost model on hard order families, and how long `lowest_cost` takes to decide.

    .venv/bin/python benchmarks/routing_quality.py [--orders N] [--seed S] [--families a,b]
                                                   [--speed-orders N] [--repeat N]

Quality: N orders per family (benchmarks/routing_families.py: shared SKUs across lines, split and
non-split kits, fragmented stock, near-but-one, two far locations beating one near, late traps,
heavy items, the issue's "metro" shape and the original "classic" generator), each with 4-50
locations at real US metro coordinates, destinations at real ZIPs. The reference is an exact
two-stage integer program written without the strategies' code (tests/unit/routing/
routing_reference.py): most line units first, then least cost. For every strategy: orders where it
ships fewer line units than possible ("fewer units"), and over the others the cost gap to the
optimum in % (mean, p95, max). `optimal` must show 0 everywhere; "timeouts" counts its time limits.

Speed: decision CPU time (time.thread_time of the routing thread, so other processes on a shared
machine do not count) of `lowest_cost` and `optimal` at 4, 15 and 50 locations, 5 lines ("metro"
orders; `--speed-family classic` for the original generator, 1-5 lines); `--families ""` skips
the quality runs; `--repeat N` routes every order N times and keeps the fastest (filters out most of what
other processes on the same cores add to CPU time: caches, frequency).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit" / "routing"))  # the reference
sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import conveyor  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np
from routing_families import FAMILIES, destinations, metro
from routing_reference import line_units, milp_reference

from conveyor.routing import warm_up
from conveyor.routing.cost import plan_cost
from conveyor.routing.strategies import STRATEGIES

ORDER = ["priority", "nearest", "fewest_splits", "lowest_cost", "optimal"]
LOCATIONS = (4, 6, 10, 15, 25, 50)  # locations per order in the quality runs (drawn per order)


@dataclass
class Tally:
    gaps: list[float] = field(default_factory=list)
    fewer_units: int = 0
    more_units: int = 0  # more than the reference: a bug in one of the two
    timeouts: int = 0


def quality(family: str, orders: int, seed: int) -> tuple[dict[str, Tally], int]:
    rng = random.Random(seed)
    zips = destinations(rng)
    tallies = {name: Tally() for name in ORDER}
    unsolved = 0
    for _ in range(orders):
        request, cands = FAMILIES[family](rng, zips, rng.choice(LOCATIONS))
        best = milp_reference(request, cands)
        if best is None:
            unsolved += 1
            continue
        for name in ORDER:
            plan = STRATEGIES[name](request, cands)
            t = tallies[name]
            t.timeouts += "time limit" in plan.summary
            units = line_units(plan, request)
            if units < best.units:
                t.fewer_units += 1
            elif units > best.units:
                t.more_units += 1
            elif best.cost > 0:
                t.gaps.append(100.0 * (plan_cost(plan, request, cands) - best.cost) / best.cost)
    return tallies, unsolved


def report_quality(family: str, tallies: dict[str, Tally], orders: int, unsolved: int) -> None:
    print(f"\n{family} ({orders} orders{f', {unsolved} without a reference' if unsolved else ''})")
    head = f"{'strategy':<14}{'gap mean %':>11}{'gap p95 %':>10}{'gap max %':>10}{'fewer units':>12}"
    print(head + f"{'more units':>11}{'timeouts':>9}")
    for name, t in tallies.items():
        gaps = np.array(t.gaps or [0.0])
        print(
            f"{name:<14}{gaps.mean():>11.2f}{np.percentile(gaps, 95):>10.2f}{gaps.max():>10.2f}"
            f"{t.fewer_units:>12}{t.more_units:>11}{t.timeouts:>9}"
        )


def speed(family: str, locations: int, orders: int, seed: int, repeat: int) -> dict[str, np.ndarray]:
    rng = random.Random(seed)
    zips = destinations(rng)
    if family == "metro":
        cases = [metro(rng, zips, locations, 5) for _ in range(orders)]
    else:
        cases = [FAMILIES[family](rng, zips, locations) for _ in range(orders)]
    out = {}
    for name in ("lowest_cost", "optimal"):
        times = []
        for request, cands in cases:
            cpu = float("inf")
            for _ in range(repeat):
                start = time.thread_time()
                STRATEGIES[name](request, cands)
                cpu = min(cpu, time.thread_time() - start)
            times.append(cpu * 1000)
        out[name] = np.array(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300, help="orders per family (quality)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated family names")
    parser.add_argument("--speed-orders", type=int, default=1000, help="orders per location count (speed)")
    parser.add_argument("--repeat", type=int, default=1, help="route each order N times, keep the fastest")
    parser.add_argument("--speed-family", default="metro", help="family timed (metro: always 5 lines)")
    args = parser.parse_args()
    warm_up(optimiser=True)
    _warm()
    overall: dict[str, Tally] = {name: Tally() for name in ORDER}
    families = [f for f in args.families.split(",") if f]
    for family in families:
        tallies, unsolved = quality(family, args.orders, args.seed + list(FAMILIES).index(family))
        report_quality(family, tallies, args.orders, unsolved)
        for name, t in tallies.items():
            o = overall[name]
            o.gaps += t.gaps
            o.fewer_units, o.more_units, o.timeouts = (
                o.fewer_units + t.fewer_units, o.more_units + t.more_units, o.timeouts + t.timeouts)
    if families:
        report_quality("all families", overall, args.orders * len(families), 0)
    if args.speed_orders:
        print(f"\ndecision CPU ms ({args.speed_family} orders{', 5 lines' if args.speed_family == 'metro' else ''})")
        print(f"{'locations':<10}{'strategy':<14}{'p50':>8}{'p99':>8}{'max':>8}")
        for n, locations in enumerate((4, 15, 50)):
            timed = speed(args.speed_family, locations, args.speed_orders, args.seed + 100 + n, max(args.repeat, 1))
            for name, ms in timed.items():
                p50, p99 = np.percentile(ms, 50), np.percentile(ms, 99)
                print(f"{locations:<10}{name:<14}{p50:>8.3f}{p99:>8.3f}{ms.max():>8.2f}")


def _warm() -> None:
    """Let numpy, scipy and the caches settle, so timings measure routing, not start-up."""
    rng = random.Random(0)
    zips = destinations(rng)
    for _ in range(30):
        request, cands = metro(rng, zips, 15)
        for name in ORDER:
            STRATEGIES[name](request, cands)


if __name__ == "__main__":
    main()
