"""A fresh `conveyor serve --workers 2` meets its traffic at once and loses none of it; stopped
(SIGTERM) with requests in flight, it finishes them before it exits.

The server is a real process on a loopback port, on a seeded SQLite database. Requests arrive as
soon as the listening socket exists, while both workers are still importing and warming up
(the ZIP table, the OpenAPI document): they wait in the socket's backlog and must all be answered.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conveyor.auth.handlers import create_key
from conveyor.bootstrap import build
from conveyor.config import Settings
from tests.e2e.conftest import order_body
from tests.helpers import seed_world
from tests.net import free_port

CLIENTS = 64
TIMEOUT = httpx.Timeout(120.0)  # a hang fails the test; nothing here is a speed check

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path, sqlite_template) -> tuple[str, str]:
    path = tmp_path / "cold.db"
    path.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    c = build(Settings(database_url=url))
    seed_world(c, {"SKU-A": 100_000}, locations=1)
    _, token = create_key(c, "admin", "cold start")
    c.close()
    return url, token


def _serve(url: str, port: int, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_LOG_LEVEL": "warning",
           "CONVEYOR_SECRET_KEY": "cold-start-test-secret-key-0123456789"}
    log = (tmp_path / "server.log").open("w")
    return subprocess.Popen([sys.executable, "-m", "conveyor.cli.main", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _wait_for_socket(port: int, server: subprocess.Popen) -> None:
    """Until the supervisor has bound the port (before any worker is ready); at most ~3 minutes."""
    for _ in range(3600):
        assert server.poll() is None, "the server exited at start"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail("the server never opened its port")


def _stop(server: subprocess.Popen, signalled: bool = False) -> int:
    """Stop the server (unless `signalled` already: a second SIGTERM during a graceful shutdown
    that a loaded machine makes slow would end it at once) and return its exit code."""
    if not signalled and server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    try:
        return server.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        raise


def _client_session(base: str, token: str, n: int) -> list[tuple[str, int | str]]:
    """One client: a health probe, an order, the order read back. Exceptions are results too."""
    headers = {"Authorization": f"Bearer {token}"}
    results: list[tuple[str, int | str]] = []
    with httpx.Client(base_url=base, timeout=TIMEOUT, headers=headers) as http:
        for name, call in (("healthz", lambda: http.get("/healthz")),
                           ("order", lambda: http.post("/api/v1/orders", json=order_body(external_id=f"C-{n}")))):
            try:
                r = call()
                results.append((name, r.status_code))
                if name == "order" and r.status_code == 201:
                    got = http.get(f"/api/v1/orders/{r.json()['id']}")
                    results.append(("read back", got.status_code))
            except httpx.HTTPError as exc:  # a reset or refused connection: a lost request
                results.append((name, type(exc).__name__))
    return results


def test_two_fresh_workers_answer_64_clients_at_once(world, tmp_path):
    url, token = world
    port = free_port()
    server = _serve(url, port, tmp_path)
    try:
        _wait_for_socket(port, server)
        with ThreadPoolExecutor(CLIENTS) as pool:
            sessions = list(pool.map(lambda n: _client_session(f"http://127.0.0.1:{port}", token, n),
                                     range(CLIENTS)))
    finally:
        assert _stop(server) == 0, (tmp_path / "server.log").read_text()[-3000:]
    answers = [a for session in sessions for a in session]
    expected = [("healthz", 200), ("order", 201), ("read back", 200)]
    wrong = [(n, s) for n, s in enumerate(sessions) if s != expected]
    assert not wrong, wrong[:5]
    assert len(answers) == 3 * CLIENTS


def _accepted(port: int, server_pid: int) -> int:
    """Connections to `port` that a process of the server has accepted, from /proc: an established
    connection still in a listening socket's backlog is no request in flight (a server stopping
    closes its backlog unanswered), so it counts only once one of the server's processes holds it."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                established.add(fields[9])  # the socket's inode
    held = set()
    for pid in _process_group(server_pid):
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    held.add(target[len("socket:["):-1])
        except OSError:  # the process ended meanwhile
            continue
    return len(established & held)


def _process_group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:  # field 5: the process group
                pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs /proc/net/tcp to see requests in flight")
def test_sigterm_lets_requests_in_flight_finish(world, tmp_path):
    url, token = world
    port = free_port()
    server = _serve(url, port, tmp_path)
    in_flight, signalled = 8, False
    try:
        _wait_for_socket(port, server)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz", timeout=TIMEOUT).status_code == 200
        # Hold SQLite's write lock, so that every order placed now waits inside the server.
        blocker = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        results: list[int | str] = []

        def place(n: int) -> None:
            try:
                r = httpx.post(f"{base}/api/v1/orders", json=order_body(external_id=f"T-{n}"),
                               headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
                results.append(r.status_code)
            except httpx.HTTPError as exc:
                results.append(type(exc).__name__)

        clients = [threading.Thread(target=place, args=(n,)) for n in range(in_flight)]
        for t in clients:
            t.start()
        for _ in range(1200):  # until the server has taken every request (or 60 s)
            if _accepted(port, server.pid) >= in_flight:
                break
            time.sleep(0.05)
        assert _accepted(port, server.pid) >= in_flight, "the requests never reached the server"
        os.killpg(server.pid, signal.SIGTERM)  # stop now: the orders are still waiting for the lock
        signalled = True
        time.sleep(0.5)  # let the signal land while they wait (not a speed check: they still must finish)
        blocker.execute("ROLLBACK")
        blocker.close()
        for t in clients:
            t.join(120)
    finally:
        code = _stop(server, signalled)
    assert results == [201] * in_flight, results
    assert code == 0, (tmp_path / "server.log").read_text()[-3000:]
