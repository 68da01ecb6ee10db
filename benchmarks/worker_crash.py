#!/usr/bin/env python
"""Crash safety of the worker: kill -9 it in the middle of deliveries, restart it, repeat; at
the end every event must have reached the receiver at least once (none lost). Reported: events,
deliveries received, distinct events received, duplicates (deliveries the receiver saw twice:
the at-least-once price of a crash between the POST and the commit that marks it done; receivers
drop them by `webhook-id`), and how long recovery took (the dead worker's lease must run out).

    .venv/bin/python benchmarks/worker_crash.py [--events 3000] [--kills 3] [--db postgres|sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time

import outbox_support as support

LEASE_S = 5.0  # short, so the restarted worker takes over the dead one's messages soon


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    receiver = support.start_receiver(support.RECEIVER_PORT)
    url = support.fresh_database(args.db, "crash")
    try:
        support.seed(url, args.events)
        kills = []
        started = time.monotonic()
        for _ in range(args.kills):
            # Kill when the receiver has seen a further share of the events: mid-delivery.
            target = support.stats()["unique"] + max(1, args.events // (args.kills + 2))
            worker = support.start_worker(url, batch=100, lease=LEASE_S)
            while support.stats()["unique"] < target and worker.poll() is None:
                time.sleep(0.005)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            kills.append(support.stats()["unique"])
        killed_at = time.monotonic()
        final = support.start_worker(url, batch=100, lease=LEASE_S)
        final.communicate(timeout=1800)
        recovered_s = time.monotonic() - killed_at
        seen = support.stats()
        left = support.remaining(url)
    finally:
        receiver.terminate()
        support.drop_database(url)
    report = {"db": args.db, "events": args.events, "kills": args.kills, "killed_after_unique": kills,
              "received": seen["total"], "distinct_received": seen["unique"], "lost": args.events - seen["unique"],
              "duplicates": seen["total"] - seen["unique"], "outbox_left": left, "lease_s": LEASE_S,
              "recovery_s": round(recovered_s, 1), "total_s": round(time.monotonic() - started, 1)}
    print(json.dumps(report), flush=True)
    assert report["lost"] == 0 and left == 0, report


if __name__ == "__main__":
    main()
