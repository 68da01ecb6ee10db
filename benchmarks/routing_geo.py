"""Cost of the first US ZIP lookup in a fresh process: the ZIP centroid table is built then.

    .venv/bin/python benchmarks/routing_geo.py [--runs N]

Each run starts a new interpreter, imports routing.geo, then looks up one ZIP — from one thread,
and from 8 threads at once (as when an API process takes its first requests) — and prints wall
and CPU time of that first lookup and the resident memory it added (VmRSS, and the peak). Also
prints how long importing routing.rules + routing.strategies takes and whether that imported scipy
or zipcodes (it should import neither).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

PROBE = r"""
import resource, sys, threading, time
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmRSS"))
import conveyor.routing.geo as geo
before, wall, cpu = rss(), time.perf_counter(), time.process_time()
if THREADS > 1:
    threads = [threading.Thread(target=geo.zip_point, args=("10001",)) for _ in range(THREADS)]
    [t.start() for t in threads]; [t.join() for t in threads]
else:
    geo.zip_point("10001")
print(f"{(time.perf_counter() - wall) * 1e3:.1f} {(time.process_time() - cpu) * 1e3:.1f} "
      f"{rss() - before:.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
"""

IMPORTS = r"""
import sys, time
start = time.perf_counter()
import conveyor.routing.rules, conveyor.routing.strategies
print(f"{(time.perf_counter() - start) * 1e3:.0f} {'scipy' in sys.modules} {'zipcodes' in sys.modules}")
"""


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'threads':<8}{'wall ms':>9}{'cpu ms':>9}{'+RSS MB':>9}{'peak MB':>9}")
    for threads in (1, 8):
        for _ in range(args.runs):
            wall, cpu, added, peak = run(PROBE.replace("THREADS", str(threads))).split()
            print(f"{threads:<8}{wall:>9}{cpu:>9}{added:>9}{peak:>9}")
    for _ in range(args.runs):
        ms, scipy, zipcodes = run(IMPORTS).split()
        print(f"import rules + strategies: {ms} ms; scipy imported: {scipy}; zipcodes imported: {zipcodes}")


if __name__ == "__main__":
    main()
