#!/usr/bin/env python
"""Outbox deliveries per second: N events (order.created) in the outbox, one webhook subscription
to a local receiver, then 1 and 4 real worker processes (`messaging.handlers.build_worker`) drain
it on PostgreSQL: each event is fanned out to a `webhook.delivery` message, POSTed signed to the
receiver, logged in the delivery log and marked done. Reported: wall time until the receiver
has every event and the outbox is empty, deliveries/s, and the workers' CPU time per delivery
(what the machine's other load does not distort).

    .venv/bin/python benchmarks/outbox_throughput.py [--events 10000] [--workers 1 4] [--db postgres|sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import outbox_support as support


def run(kind: str, events: int, workers: int, batch: int) -> dict:
    url = support.fresh_database(kind, f"tp{workers}")
    try:
        support.seed(url, events)
        procs = support.start_workers_together(url, workers, batch, 120.0)
        before = support.stats()
        load = os.getloadavg()[0]
        with support.PostgresCpu(url) as database:
            started = time.monotonic()
            support.go(procs)
            reports = [json.loads(p.communicate(timeout=1800)[0].strip().splitlines()[-1]) for p in procs]
            wall = time.monotonic() - started
        after = support.stats()
        database_cpu = database.seconds
        got = after["unique"] - before["unique"]
        left = support.remaining(url)
    finally:
        support.drop_database(url)
    cpu = sum(r["cpu_s"] for r in reports)
    receiver_cpu = after["cpu_s"] - before["cpu_s"]
    pipeline_ms = 1000 * (cpu + receiver_cpu + database_cpu) / max(got, 1)
    return {"db": kind, "workers": workers, "events": events, "delivered": got, "left": left, "wall_s": round(wall, 2),
            "deliveries_per_s": round(got / wall), "worker_cpu_ms_per_delivery": round(1000 * cpu / max(got, 1), 3),
            "receiver_cpu_ms_per_delivery": round(1000 * receiver_cpu / max(got, 1), 3),
            "database_cpu_ms_per_delivery": round(1000 * database_cpu / max(got, 1), 3),
            "cpu_bound_deliveries_per_s_on_2_cores": round(2000 / pipeline_ms) if pipeline_ms else None,
            "load_avg_at_start": round(load, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    receiver = support.start_receiver(support.RECEIVER_PORT)
    try:
        for workers in args.workers:
            result = run(args.db, args.events, workers, args.batch)
            print(json.dumps(result), flush=True)
            assert result["delivered"] == args.events and result["left"] == 0, result
    finally:
        receiver.terminate()


if __name__ == "__main__":
    main()
