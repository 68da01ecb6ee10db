"""`conveyor serve --workers N` as a real process on SQLite, for the tests that need several worker
processes (metrics across processes, a socket per worker), and what they read back."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.net import free_port, wait_until_up


@dataclass
class Served:
    base: str  # http://127.0.0.1:PORT
    port: int
    process: subprocess.Popen  # the supervisor
    metrics_dir: Path  # prometheus_client's multiprocess files: one per worker process


@contextmanager
def serving(tmp_path: Path, workers: int = 2) -> Iterator[Served]:
    """A migrated SQLite database and `conveyor serve` on a free port, answering /healthz."""
    port, metrics = free_port(), tmp_path / "prom"
    env = {**os.environ, "CONVEYOR_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "CONVEYOR_METRICS_DIR": str(metrics), "CONVEYOR_LOG_LEVEL": "warning"}
    conveyor = [sys.executable, "-m", "conveyor.cli.main"]
    subprocess.run([*conveyor, "db", "upgrade"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([*conveyor, "serve", "--port", str(port), "--workers", str(workers)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        served = Served(f"http://127.0.0.1:{port}", port, server, metrics)
        wait_until_up(served.base)
        yield served
    finally:
        server.terminate()
        server.wait(timeout=30)




def healthz_per_process(directory: Path) -> dict[str, float]:
    """Each worker's own count of /healthz requests, read from its sample file."""
    from prometheus_client.multiprocess import MultiProcessCollector

    counts = {}
    for path in directory.glob("counter_*.db"):
        samples = [s for m in MultiProcessCollector.merge([str(path)]) for s in m.samples]
        counts[path.name] = sum(s.value for s in samples if s.name == "conveyor_http_requests_total"
                                and s.labels.get("route") == "/healthz")
    return counts
