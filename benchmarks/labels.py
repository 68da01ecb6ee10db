#!/usr/bin/env python
"""Labels and pick lists: 1,000 4×6 labels as PDF (one batch, and one PDF each), the same as ZPL,
and a 1,000-line pick list (walking order + PDF). Prints CPU time (time.process_time, one core),
wall time, throughput, peak traced memory (tracemalloc, a separate pass) and the load other
processes put on the machine meanwhile. Target: ≥ 50 labels/s on one core.

    .venv/bin/python benchmarks/labels.py [--labels 1000] [--lines 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from conveyor.fulfillment.documents import render_pick_list_pdf  # noqa: E402
from conveyor.fulfillment.picking import PickRequestLine, build_pick_list  # noqa: E402
from conveyor.shipping.addresses import Address  # noqa: E402
from conveyor.shipping.labels import LabelData, render_label_pdf, render_labels_pdf  # noqa: E402
from conveyor.shipping.tracking_numbers import generate  # noqa: E402
from conveyor.shipping.zpl import render_labels_zpl  # noqa: E402

SHIP_FROM = Address("Conveyor Warehouse", "350 5th Ave", "New York", "10118", "US", region="NY", company="Acme Inc.")
CARRIERS = [("ups", "UPS", "Ground", "ground"), ("fedex", "FedEx", "Express Saver", "express_saver"),
            ("usps", "USPS", "Priority Mail", "priority"), ("dhl", "DHL", "Express Worldwide", "express_worldwide")]


def make_labels(count: int, rng: random.Random) -> list[LabelData]:
    labels = []
    for n in range(count):
        code, name, service_name, service = CARRIERS[n % len(CARRIERS)]
        to = Address(f"Customer {n}", f"{rng.randint(1, 9999)} Market St", "San Francisco",
                     f"94{rng.randint(100, 199)}", "US", region="CA", line2="Suite 300" if n % 3 == 0 else "")
        labels.append(LabelData(generate(code, service, rng=rng), name, service_name, SHIP_FROM, to,
                                rng.randint(100, 20000), reference=f"ORD-{n:06d}", ship_date=date(2026, 11, 17)))
    return labels


def make_lines(count: int, rng: random.Random) -> list[PickRequestLine]:
    skus = [f"SKU-{n:05d}" for n in range(20000)]  # mostly distinct: ~1 stop per line
    bins = {sku: f"{rng.choice('ABC')}-{rng.randint(1, 24):02d}-{rng.randint(1, 40):02d}-{rng.choice('ABCD')}"
            for sku in skus}
    lines = []
    for n in range(count):
        sku = rng.choice(skus)
        lines.append(PickRequestLine(f"fo_{n // 3:05d}", f"ln_{n:05d}", sku, rng.randint(1, 4), bins[sku],
                                     order_ref=f"#{100000 + n // 3}"))
    return lines


def busy_cores() -> tuple[float, float]:
    """(total busy jiffies of the machine, our own CPU seconds) for an 'other processes' figure."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK"), time.process_time()


def measure(name: str, work: Callable[[], object], units: int, unit: str, repeat: int) -> None:
    best_cpu, best_wall, others = float("inf"), float("inf"), []
    for _ in range(repeat):
        machine0, own0 = busy_cores()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        work()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        machine1, own1 = busy_cores()
        others.append(max(((machine1 - machine0) - (own1 - own0)) / wall, 0.0))
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{name:<38} cpu {best_cpu:6.2f} s  wall {best_wall:6.2f} s  {units / best_cpu:8.0f} {unit}/s (cpu)  "
          f"peak traced {peak / 2**20:6.1f} MiB  other processes {min(others):.2f}-{max(others):.2f} cores",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(2026)
    labels = make_labels(args.labels, rng)
    lines = make_lines(args.lines, rng)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, best of {args.repeat}", flush=True)
    size = len(render_labels_pdf(labels))
    measure(f"{args.labels} labels, one batch PDF", lambda: render_labels_pdf(labels), args.labels, "labels",
            args.repeat)
    measure(f"{args.labels} labels, one PDF each", lambda: [render_label_pdf(x) for x in labels], args.labels,
            "labels", args.repeat)
    measure(f"{args.labels} labels, ZPL", lambda: render_labels_zpl(labels), args.labels, "labels", args.repeat)
    pick_list = build_pick_list(lines, "loc_bench", "WAVE-BENCH")
    measure(f"{args.lines} pick lines, walking order", lambda: build_pick_list(lines, "loc_bench", "WAVE-BENCH"),
            args.lines, "lines", args.repeat)
    pick_pdf = render_pick_list_pdf(pick_list)
    measure(f"{args.lines} pick lines, order + PDF",
            lambda: render_pick_list_pdf(build_pick_list(lines, "loc_bench", "WAVE-BENCH")), args.lines, "lines",
            args.repeat)
    print(f"batch label PDF {size / 2**20:.2f} MiB ({size // args.labels} bytes a label); pick list PDF "
          f"{len(pick_pdf) / 2**20:.2f} MiB for {len(pick_list.stops)} stops; "
          f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
