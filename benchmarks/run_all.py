#!/usr/bin/env python
"""Run every benchmark script that exists in benchmarks/ (`make bench`); results go in docs/benchmarks.md.

Extra arguments are passed to placement.py only, e.g. `run_all.py --orders 1000 --db sqlite`.
Exits non-zero if any benchmark failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["placement.py", "routing_quality.py", "order_csv_import.py", "labels.py", "money_documents.py",
           "routing_geo.py",
           "outbox_throughput.py", "worker_crash.py", "fault_injection.py"]


def main() -> int:
    failed = []
    for name in SCRIPTS:
        script = HERE / name
        if not script.exists():
            print(f"-- {name}: not present, skipped", flush=True)
            continue
        args = sys.argv[1:] if name == "placement.py" else []
        print(f"== {name} {' '.join(args)}".rstrip(), flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script), *args], cwd=HERE.parent)
        print(f"-- {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
