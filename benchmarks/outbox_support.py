#!/usr/bin/env python
"""Shared parts of the outbox benchmarks (outbox_throughput.py, worker_crash.py):

- a fast webhook receiver (asyncio, HTTP/1.1 keep-alive, its own process) that answers 200 and
  counts deliveries per `webhook-id`; `GET /stats` reports {"total", "unique"};
- a fresh database (a private PostgreSQL database next to CONVEYOR_TEST_POSTGRES_URL's, or a
  SQLite file), migrated, with one webhook subscription to the receiver;
- N events written straight into the outbox (what N placed orders would leave there);
- a worker process (`python benchmarks/outbox_support.py worker ...`) that runs the real worker
  (`messaging.handlers.build_worker`) until the outbox is empty and prints its CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))


# --- the receiver ----------------------------------------------------------------------------------------

async def _serve(port: int) -> None:
    seen: dict[bytes, int] = {}
    total = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal total
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                length, webhook_id = 0, b""
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"webhook-id":
                        webhook_id = value.strip()
                if length:
                    await reader.readexactly(length)
                if path == b"/stats":
                    body = json.dumps({"total": total, "unique": len(seen), "cpu_s": time.process_time()}).encode()
                else:
                    total += 1
                    seen[webhook_id] = seen.get(webhook_id, 0) + 1
                    body = b'{"ok":true}'
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def start_receiver(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(Path(__file__)), "receiver", "--port", str(port)])
    for _ in range(100):
        try:
            stats()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("receiver did not start")


RECEIVER_PORT = 18_931


def stats() -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{RECEIVER_PORT}/stats", timeout=5) as r:
        return json.loads(r.read())


# --- the database -----------------------------------------------------------------------------------------

def fresh_database(kind: str, tag: str) -> str:
    from bench_db import fresh_postgres

    from conveyor.shared.migrate import upgrade

    if kind == "sqlite":
        path = Path(f"/tmp/conveyor_bench_{tag}_{os.getpid()}.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = fresh_postgres(f"bench_{tag}_{os.getpid()}")
    upgrade(url)
    return url


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def container_for(url: str):  # noqa: ANN201
    from conveyor.bootstrap import build
    from conveyor.config import Settings

    return build(Settings(database_url=url, log_level="warning"))


def seed(url: str, events: int) -> None:
    """One subscription to the receiver (every topic) and `events` order.created events."""
    from conveyor.messaging import outbox
    from conveyor.messaging.handlers import create_subscription
    from conveyor.messaging.model import OutboxMessage
    from conveyor.messaging.outbox import Topic
    from conveyor.shared.db import table_of
    from conveyor.shared.sql import insert_rows

    c = container_for(url)
    create_subscription(c, f"http://127.0.0.1:{RECEIVER_PORT}/hooks", ["*"], "benchmark receiver")
    for start in range(0, events, 5000):
        rows = [outbox.message_row(Topic.ORDER_CREATED, f"ord_bench_{n:07d}", {
            "order_id": f"ord_bench_{n:07d}", "channel_id": "chn_bench", "external_id": str(n), "status": "allocated",
            "total_minor": 1999, "currency": "EUR"}) for n in range(start, min(events, start + 5000))]
        with c.uow() as uow:
            insert_rows(uow.session, table_of(OutboxMessage), rows)
            uow.commit()
    c.close()


class PostgresCpu:
    """CPU seconds (user + system, from /proc) of the PostgreSQL backends serving one database,
    sampled every 0.1 s while the benchmark runs (a backend's count only grows; the last value
    seen per backend is summed, so at most the last 0.1 s of a closing backend is missed)."""

    def __init__(self, url: str) -> None:
        import threading

        from sqlalchemy import create_engine, make_url

        parsed = make_url(url)
        self.database = parsed.database
        self.enabled = parsed.get_backend_name() == "postgresql"
        self.engine = create_engine(parsed.set(database="postgres"), pool_size=1) if self.enabled else None
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PostgresCpu:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join()
            self.engine.dispose()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def _sample(self) -> None:
        from sqlalchemy import text

        ticks = os.sysconf("SC_CLK_TCK")
        with self.engine.connect() as conn:
            while not self._stop.wait(0.1):
                pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                    {"d": self.database}).scalars().all()
                conn.rollback()
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        self.seen[pid] = (int(fields[11]) + int(fields[12])) / ticks
                    except (OSError, IndexError, ValueError):
                        continue


def remaining(url: str, c=None) -> int:  # noqa: ANN001 - an open container, to reuse
    from sqlalchemy import func, select

    from conveyor.messaging.model import OutboxMessage

    own = c is None
    c = c or container_for(url)
    with c.reader() as uow:
        left = uow.session.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.status != "done")) or 0
    if own:
        c.close()
    return int(left)


# --- the worker process -------------------------------------------------------------------------------------

def start_worker(url: str, batch: int, lease: float, wait_for_go: bool = False) -> subprocess.Popen:
    """A worker process. With `wait_for_go` it loads everything, prints "ready" and waits for a
    line on stdin, so start-up time stays out of a measurement."""
    return subprocess.Popen([sys.executable, str(Path(__file__)), "worker", "--url", url, "--batch", str(batch),
                             "--lease", str(lease), *(["--wait"] if wait_for_go else [])],
                            stdout=subprocess.PIPE, stdin=subprocess.PIPE if wait_for_go else None, text=True)


def start_workers_together(url: str, count: int, batch: int, lease: float) -> list[subprocess.Popen]:
    procs = [start_worker(url, batch, lease, wait_for_go=True) for _ in range(count)]
    for proc in procs:
        assert proc.stdout is not None
        while (line := proc.stdout.readline()) and line.strip() != "ready":
            pass  # log lines before it
        assert line, "a worker died while starting"
    return procs


def go(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()


def worker_main(url: str, batch: int, lease: float, wait: bool) -> None:
    from conveyor.messaging.handlers import build_worker
    from conveyor.messaging.worker import Policy

    c = container_for(url)
    worker = build_worker(c, Policy(batch=batch, lease_seconds=lease, io_concurrency=32))
    remaining(url, c)  # connect once before the clock starts
    if wait:
        print("ready", flush=True)
        sys.stdin.readline()
    cpu0, handled, idle = time.process_time(), 0, 0
    while idle < 3:  # a few empty claims in a row: nothing left (or another worker holds the rest)
        claimed = worker.run_once()
        handled += claimed
        if claimed:
            idle = 0
        else:
            idle += 1 if remaining(url, c) == 0 else 0
            time.sleep(0.02)
    print(json.dumps({"handled": handled, "cpu_s": time.process_time() - cpu0}), flush=True)
    worker.close()
    c.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["receiver", "worker"])
    parser.add_argument("--port", type=int, default=RECEIVER_PORT)
    parser.add_argument("--url")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--lease", type=float, default=120.0)
    parser.add_argument("--wait", action="store_true")
    args = parser.parse_args()
    if args.role == "receiver":
        asyncio.run(_serve(args.port))
    else:
        worker_main(args.url, args.batch, args.lease, args.wait)
