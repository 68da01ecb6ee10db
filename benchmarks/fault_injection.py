#!/usr/bin/env python
"""Fault injection (issue 16, must-show 5): concurrent clients place orders against a real
`conveyor serve --workers 2` on PostgreSQL while outbox workers (`conveyor worker`) deliver every
event to a webhook receiver; every few seconds one API worker process and one outbox worker are
killed with SIGKILL (uvicorn starts a new API worker; we start a new outbox worker). Clients do what
a real one does when a connection dies mid-request: retry with the same Idempotency-Key.

At the end, checked and printed as counts:
- every acknowledged order (201) exists exactly once (by id and by external id);
- none is half-written: each has lines, its `order.placed` timeline event and its `order.created`
  message, and `conveyor audit` (levels = ledger, lines = allocation rows, ...) is clean;
- every outbox event was delivered to the receiver at least once, and nothing is left in the outbox.

    .venv/bin/python benchmarks/fault_injection.py [--seconds 60] [--kills 6] [--clients 16]

A short form runs in CI: tests/e2e/test_fault_injection.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import outbox_support as support
from bench_net import free_port

HERE = Path(__file__).resolve().parent
LEASE_S = 5  # a killed outbox worker's messages are taken over this soon
support.RECEIVER_PORT = 18_957  # its own receiver port: may run beside worker_crash.py


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0, help="how long orders are placed")
    parser.add_argument("--kills", type=int, default=6, help="rounds of kill -9 (an API worker + an outbox worker)")
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    report = run(args.seconds, args.kills, args.clients)
    print(json.dumps(report), flush=True)
    sys.exit(0 if report["ok"] else 1)


def run(seconds: float, kills: int, clients: int) -> dict:
    receiver = support.start_receiver(support.RECEIVER_PORT)
    url = support.fresh_database("postgres", "faults")
    procs: list[subprocess.Popen] = []
    try:
        token = seed(url)
        port = free_port()
        env = {**os.environ, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_LOG_LEVEL": "warning",
               "CONVEYOR_DB_POOL_SIZE": "10", "CONVEYOR_API_KEY_CACHE_SECONDS": "60"}
        server = _start([sys.executable, "-m", "conveyor.cli.main", "serve", "--port", str(port), "--workers", "2"],
                        env)
        procs.append(server)
        _wait_until_up(port)
        outbox_workers = [_outbox_worker(env) for _ in range(2)]
        procs += outbox_workers
        load = Load(port, token, clients)
        load.start()
        killed = {"api_workers": 0, "outbox_workers": 0}
        started = time.monotonic()
        for round_no in range(kills):
            time.sleep(max(0.5, seconds / (kills + 1)))
            if _kill_an_api_worker(server.pid):
                killed["api_workers"] += 1
            victim = outbox_workers.pop(round_no % len(outbox_workers))
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
            killed["outbox_workers"] += 1
            outbox_workers.append(_outbox_worker(env))
            procs.append(outbox_workers[-1])
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
        load.stop()
        drained_s = _drain(url)
        report = check(url, load)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
        receiver.terminate()
        support.drop_database(url)
    return {"seconds": seconds, "clients": clients, "killed": killed, **report, "drain_s": round(drained_s, 1)}


def seed(url: str) -> str:
    """A channel, two warehouses with plenty of stock, an admin key, one webhook subscription to
    the receiver for every topic."""
    from conveyor.auth.handlers import create_key
    from conveyor.catalog.handlers import create_product
    from conveyor.catalog.service import SkuData
    from conveyor.channels.handlers import create_channel
    from conveyor.inventory.handlers import create_location, receive
    from conveyor.inventory.locations import LocationData
    from conveyor.messaging.handlers import create_subscription

    c = support.container_for(url)
    create_channel(c, code="web", name="Web shop")
    for n in (1, 2):
        create_location(c, LocationData(code=f"WH{n}", name=f"Warehouse {n}", priority=n * 10))
    for sku in ("SKU-A", "SKU-B", "SKU-C"):
        create_product(c, f"Product {sku}", [SkuData(code=sku, name=sku, price_minor=1000)])
        for wh in ("WH1", "WH2"):
            receive(c, sku, wh, 1_000_000, actor="bench")
    create_subscription(c, f"http://127.0.0.1:{support.RECEIVER_PORT}/hooks", ["*"], "fault injection receiver")
    _, token = create_key(c, "admin", "fault injection")
    c.close()
    return token


class Load:
    """Clients placing orders; a request whose connection dies is retried with the same
    Idempotency-Key until it gets an answer (what a careful client does)."""

    def __init__(self, port: int, token: str, clients: int) -> None:
        self.base, self.token, self.clients = f"http://127.0.0.1:{port}", token, clients
        self.acknowledged: dict[str, str] = {}  # external id -> order id (201)
        self.unanswered: list[str] = []  # gave up without an answer (never expected)
        self.statuses: Counter[int] = Counter()
        self.retries = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, args=(n,)) for n in range(clients)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(120)

    def _client(self, n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=self.base, timeout=30, headers={"Authorization": f"Bearer {self.token}"}) as http:
            i = 0
            while not self._stop.is_set():
                i += 1
                external = f"c{n}-{i}"
                body = {"channel": "web", "external_id": external, "currency": "USD",
                        "customer": {"name": "Fault Tester", "email": f"{external}@example.com"},
                        "shipping_address": {"line1": "1 Main St", "city": "New York", "region": "NY",
                                             "postal_code": "10001", "country": "US"},
                        "lines": [{"sku": sku, "quantity": rng.randint(1, 3), "unit_price": "10.00"}
                                  for sku in rng.sample(["SKU-A", "SKU-B", "SKU-C"], rng.randint(1, 3))]}
                self._place(http, external, body)

    def _place(self, http: httpx.Client, external: str, body: dict) -> None:
        for attempt in range(60):
            try:
                r = http.post("/api/v1/orders", json=body, headers={"Idempotency-Key": external})
            except httpx.TransportError:  # the worker serving us was killed: same request again
                with self._lock:
                    self.retries += 1
                time.sleep(min(1.0, 0.05 * (attempt + 1)))
                continue
            with self._lock:
                self.statuses[r.status_code] += 1
                if r.status_code == 201:
                    self.acknowledged[external] = r.json()["id"]
            if r.status_code in (201, 200, 409, 422):
                return
            time.sleep(0.2)  # 503 (a database hiccup): retry
        with self._lock:
            self.unanswered.append(external)


def check(url: str, load: Load) -> dict:
    from sqlalchemy import text

    from conveyor.audit import run_audit
    from conveyor.messaging.topics import INTERNAL

    c = support.container_for(url)
    with c.reader() as uow:
        def rows(sql: str) -> list:
            return list(uow.session.execute(text(sql)))

        by_external = {r[0]: (r[1], r[2]) for r in rows(
            "SELECT external_id, COUNT(*), MIN(id) FROM orders GROUP BY external_id")}
        with_lines = {r[0] for r in rows("SELECT DISTINCT order_id FROM order_lines")}
        placed_event = {r[0] for r in rows("SELECT order_id FROM order_events WHERE type = 'order.placed'")}
        created_msg = {r[0] for r in rows("SELECT key FROM outbox WHERE topic = 'order.created'")}
        events = rows("SELECT topic, status FROM outbox")
        violations = run_audit(uow)
    c.close()
    acknowledged = load.acknowledged
    missing = [x for x, oid in acknowledged.items() if by_external.get(x, (0, None))[1] != oid]
    twice = [x for x, (count, _) in by_external.items() if count != 1]
    stored_ids = {oid for _, oid in by_external.values()}
    half_written = sorted(stored_ids - (with_lines & placed_event & created_msg))
    deliverable = sum(1 for topic, _ in events if topic not in INTERNAL)
    seen = support.stats()
    left = sum(1 for _, status in events if status != "done")
    report = {
        "orders_acknowledged": len(acknowledged), "orders_stored": len(by_external),
        "committed_without_answer": len(set(by_external) - set(acknowledged)),
        "acknowledged_missing": len(missing), "stored_more_than_once": len(twice),
        "half_written": len(half_written), "audit_violations": len(violations),
        "client_retries_after_a_dropped_connection": load.retries, "unanswered": len(load.unanswered),
        "statuses": dict(sorted(load.statuses.items())),
        "events_to_deliver": deliverable, "events_delivered": seen["unique"], "deliveries": seen["total"],
        "duplicate_deliveries": seen["total"] - seen["unique"], "outbox_left": left,
    }
    report["ok"] = (not missing and not twice and not half_written and not violations and not load.unanswered
                    and seen["unique"] >= deliverable and left == 0 and len(acknowledged) > 0)
    return report


def _drain(url: str, limit_s: float = 600) -> float:
    """Let a fresh worker finish what the killed ones left (their leases run out first)."""
    started = time.monotonic()
    env = {**os.environ, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_LOG_LEVEL": "warning"}
    worker = _outbox_worker(env)
    c = support.container_for(url)
    try:
        while (left := support.remaining(url, c)) > 0:
            if time.monotonic() - started > limit_s:
                break
            if os.environ.get("FAULTS_DEBUG"):
                _show_left(c, time.monotonic() - started)
            time.sleep(0.5 if left else 0)
    finally:
        took = time.monotonic() - started
        c.close()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    return took


def _show_left(c, at: float) -> None:  # noqa: ANN001
    from sqlalchemy import text

    with c.reader() as uow:
        left = list(uow.session.execute(text(
            "SELECT topic, status, attempts, available_at, last_error FROM outbox WHERE status != 'done'")))
    print(f"{at:.1f}s", [(r[0], r[1], r[2], str(r[3])[11:19], r[4][:60]) for r in left[:5]], file=sys.stderr)


def _outbox_worker(env: dict) -> subprocess.Popen:
    return _start([sys.executable, "-m", "conveyor.cli.main", "worker", "--lease", str(LEASE_S), "--batch", "100",
                   "--idle-sleep", "0.1"], env)


def _start(argv: list[str], env: dict) -> subprocess.Popen:
    # Their output goes to our stderr (warnings and errors only: CONVEYOR_LOG_LEVEL=warning).
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def _api_workers(supervisor: int) -> list[int]:
    """uvicorn's worker processes: the supervisor's children started by multiprocessing's spawn."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == supervisor and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


def _kill_an_api_worker(supervisor: int) -> bool:
    workers = _api_workers(supervisor)
    if not workers:
        return False
    os.kill(random.choice(workers), signal.SIGKILL)
    return True



def _wait_until_up(port: int, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the API did not start")


if __name__ == "__main__":
    main()
