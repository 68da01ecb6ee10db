"""Loopback helpers for tests that start real servers (conveyor serve, SMTP, a PostgreSQL cluster)."""

from __future__ import annotations

import socket
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base: str, tries: int = 300) -> None:
    """Poll `base`/healthz every 0.1 s until it answers 200 (30 s by default)."""
    for _ in range(tries):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not start")
