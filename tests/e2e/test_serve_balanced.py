"""`conveyor serve --workers 2` gives each worker a listening socket of its own (SO_REUSEPORT), so
the kernel spreads connections over the workers instead of one worker accepting a whole burst; a
worker killed with -9 is replaced on its socket and no connection is refused meanwhile."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.served import healthz_per_process, serving

CONNECTIONS = 64


@pytest.mark.slow
def test_each_worker_listens_on_its_own_socket_and_gets_its_share(tmp_path: Path):
    with serving(tmp_path, workers=2) as served:
        base, server = served.base, served.process
        # uvicorn's own supervisor shares one listening socket among its workers.
        _wait_for(lambda: _listening_sockets(served.port) == 2, "a listening socket per worker")

        assert _burst(base) == [200] * CONNECTIONS
        before = healthz_per_process(served.metrics_dir)
        shares = sorted(before.values())
        # 64 connections hashed over two sockets: binomial(64, 1/2), below 12 is five deviations out.
        # One shared socket hands a burst to whichever worker wakes first.
        assert len(shares) == 2 and shares[0] >= 12, shares

        victim = max(_worker_pids(server.pid))
        os.kill(victim, signal.SIGKILL)
        # Until the replacement is up, connections hashed to its socket wait in that socket's
        # queue (the supervisor keeps it open): answered late, never refused.
        assert _burst(base, timeout=60) == [200] * CONNECTIONS
        _wait_for(lambda: len(_worker_pids(server.pid)) == 2 and victim not in _worker_pids(server.pid),
                  "the killed worker replaced")
        replacement = {f: n for f, n in healthz_per_process(served.metrics_dir).items() if f not in before}
        assert len(replacement) == 1 and sum(replacement.values()) > 0, replacement  # it served its socket


def _burst(base: str, timeout: float = 10) -> list[int]:
    """CONNECTIONS fresh keep-alive connections opened at once, one request each."""
    def one(_: int) -> int:
        with httpx.Client(timeout=timeout) as fresh:
            return fresh.get(f"{base}/healthz").status_code

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        return list(pool.map(one, range(CONNECTIONS)))


def _listening_sockets(port: int) -> int:
    """Sockets in state LISTEN on 127.0.0.1:port, from the kernel's table."""
    wanted = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == wanted and row.split()[3] == "0A")


def _worker_pids(parent: int) -> set[int]:
    """The supervisor's worker processes (multiprocessing's spawn children that serve)."""
    kids = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return {int(k) for k in kids if "multiprocessing" in Path(f"/proc/{k}/cmdline").read_text()
            and "resource_tracker" not in Path(f"/proc/{k}/cmdline").read_text()}


def _wait_for(condition, what: str, seconds: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not seen within {seconds:.0f} s: {what}")
