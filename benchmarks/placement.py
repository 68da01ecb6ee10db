#!/usr/bin/env python
# ruff: noqa: E501  (SQL text and report table rows read better unwrapped)
"""Order-placement load benchmark: the real API server under N concurrent clients.

One invocation, per database (SQLite file in a temp dir, and/or a dedicated PostgreSQL
database that is dropped and recreated):

1. migrate, seed a channel, 4 locations, 200 SKUs with plenty of stock, and an admin API key;
2. count SQL statements per placed order in-process (``place_order`` with a cursor listener),
   with and without an Idempotency-Key;
3. start ``conveyor serve`` (``--workers 1`` and ``--workers 2``; ``--server uvicorn``: plain uvicorn) on a free
   loopback port and drive it with N keep-alive clients posting 3-line orders, variants
   ``uniform`` (SKUs drawn uniformly from the 200) and ``hot`` (every order holds one of 2 hot SKUs);
4. run the same transaction as plain SQL with the driver (psycopg 3 async / sqlite3 threads) at
   the same concurrency: the floor the API is compared with;
5. after every run: no stock bucket negative and ``run_audit`` clean.

    .venv/bin/python benchmarks/placement.py [--orders N] [--clients 32] [--db sqlite|postgres|both]

Everything stays on 127.0.0.1; every run is bounded by --orders and --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bench_net import free_port  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from conveyor.audit import run_audit  # noqa: E402
from conveyor.auth.handlers import create_key  # noqa: E402
from conveyor.bootstrap import Container, build  # noqa: E402
from conveyor.catalog.handlers import create_product  # noqa: E402
from conveyor.catalog.service import SkuData  # noqa: E402
from conveyor.channels.handlers import create_channel  # noqa: E402
from conveyor.config import Settings  # noqa: E402
from conveyor.inventory.handlers import create_location  # noqa: E402
from conveyor.inventory.ledger import StockChange, apply_changes  # noqa: E402
from conveyor.inventory.locations import LocationData  # noqa: E402
from conveyor.inventory.model import LedgerReason  # noqa: E402
from conveyor.orders.handlers import place_order, save_routing_config  # noqa: E402
from conveyor.orders.schemas import OrderIn, render_order  # noqa: E402
from conveyor.shared import ids  # noqa: E402
from conveyor.shared.handlers import Idempotency, run  # noqa: E402
from conveyor.shared.idempotency import IdempotencyClaim, request_hash  # noqa: E402
from conveyor.shared.migrate import upgrade  # noqa: E402

PG_SERVER = os.environ.get("CONVEYOR_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
PG_DB = "conveyor_bench"
N_SKUS, N_LOCATIONS, STOCK = 200, 4, 1_000_000
HOT = ("BENCH-0000", "BENCH-0001")
CHANNEL = "web"
WARMUP = 200


# --------------------------------------------------------------------------- database & seed


def prepare_database(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        url = f"{PG_SERVER}/{PG_DB}"
    upgrade(url)
    return url


@dataclass
class World:
    url: str
    container: Container
    token: str
    key_id: str
    channel_id: str
    skus: dict[str, str] = field(default_factory=dict)  # code -> id
    locations: list[tuple[str, int]] = field(default_factory=list)  # (id, priority)


def seed(url: str) -> World:
    c = build(Settings(database_url=url, api_key_cache_seconds=0))
    channel = create_channel(c, code=CHANNEL, name="Web shop")
    world = World(url, c, "", "", channel.id)
    for n in range(1, N_LOCATIONS + 1):
        loc = create_location(c, LocationData(code=f"WH{n}", name=f"Warehouse {n}", priority=n * 10,
                                              latitude=40.0 + n, longitude=-74.0 - n))
        world.locations.append((loc.id, loc.priority))
    codes = [f"BENCH-{i:04d}" for i in range(N_SKUS)]
    for start in range(0, N_SKUS, 10):
        product = create_product(c, f"Product {start // 10}", [
            SkuData(code=code, name=code, price_minor=1000, weight_grams=500) for code in codes[start:start + 10]])
        world.skus.update({s.code: s.id for s in product.skus})
    run(c.uow, lambda uow: apply_changes(
            uow,
            [
                StockChange(
                    sku_id,
                    loc_id,
                    LedgerReason.RECEIPT,
                    d_on_hand=STOCK,
                    reference_type="receipt",
                    reference_id="bench",
                )
                for sku_id in world.skus.values()
                for loc_id, _ in world.locations
            ],
            "bench",
        ))
    key, world.token = create_key(c, "admin", "bench")
    world.key_id = key.id
    return world


def use_strategy(world: World, strategy: str) -> None:
    """Store a routing configuration whose default strategy is `strategy` (servers read it at start)."""
    save_routing_config(world.container, {"default": {"strategy": strategy, "fallback": "backorder"}}, "bench")


def check_stock(world: World) -> str:
    """No bucket negative, ATP never below zero, and the ledger audit is clean. A pair in hot-SKU
    mode holds its level row plus its bucket rows (inventory/hot.py): both are checked, and the
    allocated total adds them up."""
    with world.container.reader() as uow:
        row = uow.session.execute(
            text(
                "SELECT MIN(on_hand), MIN(allocated), MIN(reserved), MIN(on_hand - allocated - reserved),"
                " SUM(allocated) FROM stock_levels"
            )
        ).one()
        buckets = uow.session.execute(
            text("SELECT MIN(on_hand), MIN(allocated), MIN(on_hand - allocated), COALESCE(SUM(allocated), 0)"
                 " FROM stock_level_buckets")
        ).one()
        violations = run_audit(uow)
    if buckets[0] is not None:
        row = (min(row[0], buckets[0]), min(row[1], buckets[1]), row[2], min(row[3], buckets[2]),
               row[4] + buckets[3])
    negative = min(row[0], row[1], row[2], row[3]) < 0
    return (
        f"stock {'NEGATIVE' if negative else 'never negative'} (min ATP {row[3]}, allocated total "
        f"{row[4]}); audit {'clean' if not violations else f'{len(violations)} VIOLATIONS: {violations[:3]}'}"
    )


# --------------------------------------------------------------------------- order bodies


def order_lines(variant: str, rng: random.Random) -> list[tuple[str, int]]:
    if variant == "one-sku":  # a flash sale: every order wants the same SKU
        return [(HOT[0], 1)]
    codes = sorted(c for c in (f"BENCH-{i:04d}" for i in range(N_SKUS)) if c not in HOT)
    # hot: every order has one of the hot SKUs; uniform: any three SKUs
    chosen = [rng.choice(HOT), *rng.sample(codes, 2)] if variant == "hot" else rng.sample(codes + list(HOT), 3)
    return [(code, rng.randint(1, 3)) for code in chosen]


ZIPS = ["10001", "60614", "77002", "94103", "30303", "98101", "80202", "33101", "02108", "85004"]


def order_body(variant: str, rng: random.Random, external_id: str) -> dict:
    return {
        "channel": CHANNEL,
        "external_id": external_id,
        "currency": "USD",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "shipping_address": {
            "name": "Ada",
            "line1": "1 Main St",
            "city": "New York",
            "region": "NY",
            "postal_code": rng.choice(ZIPS),  # routing sees real distances (US ZIP centroids)
            "country": "US",
        },
        "lines": [{"sku": s, "quantity": q, "unit_price": "10.00"} for s, q in order_lines(variant, rng)],
    }


# --------------------------------------------------------------------------- statement count


def count_statements(world: World, n: int = 30) -> dict[str, tuple[float, float, int]]:
    """Statements per placed order, in-process, without and with an Idempotency-Key.

    Returns {label: (cursor executions excl. BEGIN/COMMIT, incl. BEGIN/COMMIT, server-side statements
    excl. BEGIN/COMMIT with executemany rows counted one by one)}. On SQLite, whose hot path runs
    some statements on the driver's own cursor, each is what SQLite itself ran (its trace callback)."""
    c = world.container
    engine = c.db.engine
    counts = Counter()

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        counts["begin" if statement.lstrip().upper().startswith("BEGIN") else "stmt"] += 1
        # executemany() is one cursor call but one server-side statement per row (psycopg 3 pipelines
        # them in one round trip; sqlite3 loops in C)
        # (SQLAlchemy's multi-row "insertmanyvalues" INSERT also arrives flagged executemany, but with
        # one flat parameter list for its single statement: that counts as one)
        many = executemany and isinstance(parameters, (list, tuple)) and parameters \
            and isinstance(parameters[0], (list, tuple, dict))
        counts["server"] += len(parameters) if many else 1

    def on_begin(conn):
        if c.db.dialect == "postgresql":  # psycopg sends BEGIN itself, not as a cursor execute
            counts["begin"] += 1

    def on_commit(conn):
        counts["commit"] += 1

    def on_sqlite_statement(sql):  # every statement SQLite ran, by SQLAlchemy or on the driver's own cursor
        word = sql.lstrip()[:8].upper()
        end = word.startswith(("COMMIT", "ROLLBACK"))  # a read transaction ends with ROLLBACK
        counts["begin" if word.startswith("BEGIN") else "commit" if end else "stmt"] += 1
        counts["server"] += 0 if end else 1  # BEGIN included, as on_execute counts it (and main() takes it off)

    def trace_on(dbapi_connection, record, proxy):
        dbapi_connection.set_trace_callback(on_sqlite_statement)

    def trace_off(dbapi_connection, record):
        dbapi_connection.set_trace_callback(None)

    sqlite = c.db.dialect == "sqlite"
    listeners = [(engine, "checkout", trace_on), (engine, "checkin", trace_off)] if sqlite else [
        (engine, "before_cursor_execute", on_execute), (engine, "begin", on_begin), (engine, "commit", on_commit)]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    rng, result = random.Random(7), {}
    try:
        for label, with_key in (("no Idempotency-Key", False), ("with Idempotency-Key", True)):
            per_order = []
            for i in range(n):
                body = order_body("uniform", rng, f"count-{label[:2]}-{i}")
                cmd = OrderIn.model_validate(body).to_command(CHANNEL)
                idem = None
                if with_key:
                    claim = IdempotencyClaim(
                        world.key_id,
                        f"count-{i}",
                        request_hash("POST", "/api/v1/orders", json.dumps(body).encode()),
                    )
                    idem = Idempotency(claim, render_order)
                counts.clear()
                r = place_order(c, cmd, actor="bench", idempotency=idem)
                assert r.created, r
                if i >= 3:  # first orders warm the channel cache
                    per_order.append(
                        (
                            counts["stmt"],
                            counts["stmt"] + counts["begin"] + counts["commit"],
                            counts["server"] - counts["begin"],
                        )
                    )
            result[label] = tuple(sum(x[k] for x in per_order) / len(per_order) for k in range(3))
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)
    return result


# --------------------------------------------------------------------------- server



def server_command(kind: str, port: int, workers: int) -> list[str]:
    """`conveyor`: what `conveyor serve` runs (several workers: a listening socket each, and the
    metrics of all processes through prometheus_client's multiprocess files). `uvicorn`: plain
    uvicorn, one socket shared by its workers - for trees that predate `conveyor serve`'s
    supervisor (the figures of earlier sessions were taken so)."""
    if kind == "conveyor":
        return [sys.executable, "-m", "conveyor.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers)]
    return [sys.executable, "-m", "uvicorn", "conveyor.api.main:app", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
            "--timeout-worker-healthcheck", "30",  # a loaded host must not kill a worker mid-start
            "--log-level", "warning"]


class Server:
    def __init__(self, url: str, workers: int, log: Path, kind: str = "conveyor") -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "CONVEYOR_DATABASE_URL": url,
            "CONVEYOR_DEMO_ON_EMPTY": "false",
            "CONVEYOR_LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT / "src"),
        }
        self.log = open(log, "ab")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            server_command(kind, self.port, workers),
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        # with --workers 2 both children must be up before we measure
                        time.sleep(1.0 if workers > 1 else 0.2)
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not become healthy; see {log}")

    def pids(self) -> list[int]:
        pids = [self.proc.pid]
        try:
            kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            pids += [int(k) for k in kids]
        except OSError:
            pass
        return pids

    def cpu_seconds(self) -> float:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except OSError:
                pass
        return total

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process (the uvicorn children; the server itself with one worker)."""
        pids = self.pids()[1:] or self.pids()
        sizes = []
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            sizes.append(kb / 1024)
        return sizes

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)  # the session this benchmark started
                self.proc.wait(5)
        self.log.close()


def machine_busy() -> tuple[int, int, dict[int, int]]:
    """(busy ticks, total ticks, {pid: ticks} of processes that are neither us, our server nor PostgreSQL)."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts), _foreign_ticks()


_OURS: set[int] = set()


def _foreign_ticks() -> dict[int, int]:
    ticks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in _OURS or int(entry.name) == os.getpid():
            continue
        try:
            head, tail = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        if "postgres" in head:
            continue
        f = tail.split()
        ticks[int(entry.name)] = int(f[11]) + int(f[12])
    return ticks


def cpu_between(a, b, seconds: float) -> tuple[float, float]:
    """(machine busy cores, cores used by other processes) between two machine_busy() samples."""
    cpus = os.cpu_count()
    busy = (b[0] - a[0]) / max(1, b[1] - a[1]) * cpus
    other = sum(t - a[2].get(pid, 0) for pid, t in b[2].items()) / os.sysconf("SC_CLK_TCK") / seconds
    return busy, other


# --------------------------------------------------------------------------- load


@dataclass
class RunResult:
    ok: int
    seconds: float
    latencies: list[float]
    errors: Counter
    sample_error: str = ""
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    machine_busy: float = 0.0
    other_cpu: float = 0.0
    orders_per_transaction: float = 0.0  # PostgreSQL: measured orders over the transactions that wrote them

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000


async def _http_client(port: int, head: bytes, bodies, latencies, errors, deadline, sample, idem_prefix):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for n, body in bodies:
            if time.perf_counter() > deadline:
                break
            extra = f"Idempotency-Key: {idem_prefix}-{n}\r\n".encode() if idem_prefix else b""
            request = head + b"Content-Length: %d\r\n" % len(body) + extra + b"\r\n" + body
            t0 = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            payload = await reader.readexactly(length)
            elapsed = time.perf_counter() - t0
            status = int(status_line[9:12]) if len(status_line) >= 12 else 0
            if status == 201:
                latencies.append(elapsed)
            else:
                errors[status] += 1
                sample.setdefault("body", payload[:300].decode(errors="replace"))
    finally:
        writer.close()


async def _drive_http(
    port: int, token: str, bodies: list[bytes], clients: int, max_seconds: float, idem_prefix: str | None
) -> RunResult:
    head = (
        f"POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    it = iter(enumerate(bodies))
    latencies, errors, sample = [], Counter(), {}
    start = time.perf_counter()
    await asyncio.gather(
        *(
            _http_client(port, head, it, latencies, errors, start + max_seconds, sample, idem_prefix)
            for _ in range(clients)
        )
    )
    return RunResult(len(latencies), time.perf_counter() - start, latencies, errors, sample.get("body", ""))


def run_http(
    world: World,
    server: Server,
    variant: str,
    n: int,
    clients: int,
    max_seconds: float,
    tag: str,
    idempotency: bool,
    profile: Path | None = None,
) -> RunResult:
    import uvloop

    tag = f"{tag}-{variant}"
    rng = random.Random(zlib.crc32(tag.encode()))
    warm = [json.dumps(order_body(variant, rng, f"{tag}-w{i}")).encode() for i in range(WARMUP)]
    bodies = [json.dumps(order_body(variant, rng, f"{tag}-{i}")).encode() for i in range(n)]
    idem = tag if idempotency else None
    uvloop.run(_drive_http(server.port, world.token, warm, clients, max_seconds, idem and idem + "w"))
    _OURS.update(server.pids())
    ru0, srv0, busy0 = resource.getrusage(resource.RUSAGE_SELF), server.cpu_seconds(), machine_busy()
    spy = None
    if profile:
        out = profile.with_suffix(".collapsed")
        out.parent.mkdir(parents=True, exist_ok=True)
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(server.pids()[-1]),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.0)
    result = uvloop.run(_drive_http(server.port, world.token, bodies, clients, max_seconds, idem))
    if spy:
        spy.send_signal(2)
        spy.wait(30)
    ru1, srv1, busy1 = resource.getrusage(resource.RUSAGE_SELF), server.cpu_seconds(), machine_busy()
    result.client_cpu = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) / result.seconds
    result.server_cpu = (srv1 - srv0) / result.seconds
    result.machine_busy, result.other_cpu = cpu_between(busy0, busy1, result.seconds)
    result.orders_per_transaction = orders_per_transaction(world, tag)
    return result


def orders_per_transaction(world: World, tag: str) -> float:
    """How many of the run's orders each write transaction carried (the API places orders that
    waited for a thread together, decisions 41). PostgreSQL stamps every row with the transaction
    that inserted it (`xmin`); SQLite keeps no such thing (0: not measured)."""
    if world.container.db.dialect != "postgresql":
        return 0.0
    with world.container.reader() as uow:
        orders, transactions = uow.session.execute(text(
            "SELECT count(*), count(DISTINCT xmin::text) FROM orders WHERE external_id ~ :measured"),
            {"measured": f"^{re.escape(tag)}-[0-9]+$"}).one()
    return orders / transactions if transactions else 0.0


# --------------------------------------------------------------------------- raw SQL baseline


def _raw_plan(world: World, variant: str, rng: random.Random, external_id: str) -> dict:
    """The rows one order writes (same tables and shapes as placement.py), minus the stock pick."""
    now = datetime.now(UTC)
    order_id = ids.new_id("order")
    lines = [
        {"id": ids.new_id("line"), "code": code, "sku_id": world.skus[code], "qty": q}
        for code, q in order_lines(variant, rng)
    ]
    subtotal = sum(li["qty"] * 1000 for li in lines)
    return {"id": order_id, "external_id": external_id, "now": now, "lines": lines, "subtotal": subtotal}


PG_SNAPSHOT = (
    "SELECT l.sku_id, l.location_id, loc.priority, l.on_hand - l.allocated - l.reserved - l.safety_stock"
    " FROM stock_levels l JOIN locations loc ON loc.id = l.location_id"
    " WHERE loc.active AND l.sku_id = ANY(%s)"
)
ADDRESS = {
    "name": "Ada",
    "line1": "1 Main St",
    "city": "New York",
    "region": "NY",
    "postal_code": "10001",
    "country": "US",
}


def _pick(rows, lines) -> dict[str, str]:
    """Highest-priority location with enough stock for each line (what `priority` routing does here)."""
    best: dict[str, tuple[int, str]] = {}
    need = {li["sku_id"]: li["qty"] for li in lines}
    for sku_id, location_id, priority, atp in rows:
        if atp >= need[sku_id] and (sku_id not in best or priority < best[sku_id][0]):
            best[sku_id] = (priority, location_id)
    return {s: loc for s, (_, loc) in best.items()}


def _rows(world: World, o: dict, where: dict[str, str]):
    now, oid = o["now"], o["id"]
    order = (
        oid,
        world.channel_id,
        o["external_id"],
        "allocated",
        None,
        None,
        "USD",
        "Ada Lovelace",
        "ada@example.com",
        "",
        None,
        json.dumps(ADDRESS),
        o["subtotal"],
        0,
        0,
        0,
        o["subtotal"],
        "",
        "[]",
        now,
        now,
    )
    lines = [
        (
            li["id"],
            oid,
            n,
            li["sku_id"],
            li["code"],
            li["code"],
            li["qty"],
            1000,
            0,
            0,
            li["qty"] * 1000,
            li["qty"],
            0,
            0,
            0,
            0,
            0,
        )
        for n, li in enumerate(o["lines"], 1)
    ]
    allocs = [
        (ids.new_id("allocation"), oid, li["id"], li["sku_id"], where[li["sku_id"]], 1, li["qty"], 0, now)
        for li in o["lines"]
    ]
    ledger = [
        (
            ids.new_id("ledger"),
            li["sku_id"],
            where[li["sku_id"]],
            "allocation",
            0,
            li["qty"],
            0,
            0,
            "order",
            oid,
            "",
            "bench-raw",
            now,
        )
        for li in sorted(o["lines"], key=lambda li: li["sku_id"])
    ]
    # Fulfilment orders as placement opens them (docs/decisions.md 25); one per line keeps the
    # statement's shape fixed (the engine opens one per location: same statements, fewer rows).
    fos = [
        (fo_id, oid, where[li["sku_id"]], "pending", "", "", "", False, "", now, now)
        for fo_id, li in zip(ids.new_ids("fulfilment_order", len(o["lines"])), o["lines"], strict=True)
    ]
    fo_lines = [
        (ids.new_id("fulfilment_line"), fo[0], li["id"], li["sku_id"], li["code"], 1, li["qty"], 0, 0)
        for fo, li in zip(fos, o["lines"], strict=True)
    ]
    event_row = (
        ids.new_id("event"),
        oid,
        "order.placed",
        "bench-raw",
        json.dumps({"status": "allocated", "routing": {"strategy": "priority", "raw": True}}),
        now,
        ids.new_id("event"),
        oid,
        "fulfilment.created",
        "bench-raw",
        json.dumps({"fulfilment_orders": [fo[0] for fo in fos]}),
        now,
    )
    outbox = [
        (
            ids.new_id("outbox"),
            "order.created",
            oid,
            json.dumps({"order_id": oid, "status": "allocated", "total_minor": o["subtotal"]}),
            "pending",
            0,
            "",
            now,
            now,
        ),
        (
            ids.new_id("outbox"),
            "stock.changed",
            oid,
            json.dumps({"reason": "allocation", "order_id": oid, "items": sorted(where)}),
            "pending",
            0,
            "",
            now,
            now,
        ),
    ]
    return order, lines, allocs, ledger, event_row, outbox, fos, fo_lines


def _ph(n: int, width: int, mark: str = "%s", casts: dict[int, str] | None = None) -> str:
    one = "(" + ", ".join(mark + (casts or {}).get(i, "") for i in range(width)) + ")"
    return ", ".join([one] * n)


def _inserts(mark: str, jcast: str) -> dict[str, str]:
    return {
        "order": "INSERT INTO orders (id, channel_id, external_id, status, held_from, hold_reason, currency,"
        " customer_name, customer_email, customer_phone, billing_address, shipping_address, subtotal_minor,"
        " discount_minor, tax_minor, shipping_minor, total_minor, notes, tags, created_at, updated_at)"
        f" VALUES {_ph(1, 21, mark, {11: jcast, 18: jcast})}"
        " ON CONFLICT (channel_id, external_id) DO NOTHING",
        "lines": "INSERT INTO order_lines (id, order_id, line_no, sku_id, sku_code, name, quantity, unit_price_minor,"
        " discount_minor, tax_minor, total_minor, allocated, backordered, shipped, delivered, cancelled,"
        f" returned) VALUES {_ph(3, 17, mark)}",
        "allocs": "INSERT INTO allocations (id, order_id, line_id, sku_id, location_id, per_unit, quantity, shipped,"
        f" created_at) VALUES {_ph(3, 9, mark)}",
        "ledger": "INSERT INTO stock_ledger (id, sku_id, location_id, reason, d_on_hand, d_allocated, d_reserved,"
        " d_incoming, reference_type, reference_id, note, actor, created_at)"
        f" VALUES {_ph(3, 13, mark)}",
        "event": f"INSERT INTO order_events (id, order_id, type, actor, data, created_at) VALUES"
        f" {_ph(2, 6, mark, {4: jcast})}",
        "fos": "INSERT INTO fulfilment_orders (id, order_id, location_id, status, carrier, service, tracking_number,"
        f" late, exception_reason, created_at, updated_at) VALUES {_ph(3, 11, mark)}",
        "fo_lines": "INSERT INTO fulfilment_order_lines (id, fulfilment_order_id, order_line_id, sku_id, sku_code,"
        f" per_unit, quantity, picked, packed) VALUES {_ph(3, 9, mark)}",
        "outbox": "INSERT INTO outbox (id, topic, key, payload, status, attempts, last_error, created_at,"
        f" available_at) VALUES {_ph(2, 9, mark, {3: jcast})}",
    }


PG_INSERTS = _inserts("%s", "::jsonb")
PG_ALLOCATE = (
    "WITH w(sku_id, location_id, qty) AS (VALUES {values}),"
    " locked AS (SELECT s.id FROM stock_levels s JOIN w ON s.sku_id = w.sku_id AND s.location_id = w.location_id"
    " ORDER BY s.id FOR UPDATE OF s)"
    " UPDATE stock_levels s SET allocated = s.allocated + w.qty, updated_at = %s FROM w"
    " WHERE s.sku_id = w.sku_id AND s.location_id = w.location_id AND s.id IN (SELECT id FROM locked)"
    " AND s.on_hand - s.allocated - s.reserved - s.safety_stock >= w.qty RETURNING s.sku_id"
)
PG_ALLOCATE_3 = PG_ALLOCATE.format(values=", ".join(["(%s, %s, %s::int)"] * 3))


def _flat(rows) -> list:
    return [v for row in rows for v in row]


async def _raw_pg_order(conn, world: World, o: dict, late_lock: bool = False) -> bool:
    async with conn.transaction():
        cur = await conn.execute(PG_SNAPSHOT, ([li["sku_id"] for li in o["lines"]],))
        where = _pick(await cur.fetchall(), o["lines"])
        order, lines, allocs, ledger, event_row, outbox, fos, fo_lines = _rows(world, o, where)
        if (await conn.execute(PG_INSERTS["order"], order)).rowcount != 1:
            raise RuntimeError("duplicate external id")
        params = _flat((li["sku_id"], where[li["sku_id"]], li["qty"]) for li in o["lines"]) + [o["now"]]
        if not late_lock:
            await _pg_allocate(conn, params)
        await conn.execute(PG_INSERTS["lines"], _flat(lines))
        await conn.execute(PG_INSERTS["allocs"], _flat(allocs))
        await conn.execute(PG_INSERTS["ledger"], _flat(ledger))
        await conn.execute(PG_INSERTS["event"], event_row)
        await conn.execute(PG_INSERTS["outbox"], _flat(outbox))
        await conn.execute(PG_INSERTS["fos"], _flat(fos))
        await conn.execute(PG_INSERTS["fo_lines"], _flat(fo_lines))
        if late_lock:  # the stock rows stay locked only for this UPDATE and the COMMIT
            await _pg_allocate(conn, params)
    return True


async def _pg_allocate(conn, params) -> None:
    cur = await conn.execute(PG_ALLOCATE_3, params)
    if len(await cur.fetchall()) != 3:
        raise RuntimeError("short")


async def _raw_pg(
    world: World, orders: list[dict], clients: int, max_seconds: float, late_lock: bool = False
) -> RunResult:
    import psycopg

    it = iter(orders)
    latencies, errors, sample = [], Counter(), {}
    start = time.perf_counter()

    async def client():
        async with await psycopg.AsyncConnection.connect(f"{PG_SERVER}/{PG_DB}") as conn:
            for o in it:
                if time.perf_counter() > start + max_seconds:
                    break
                t0 = time.perf_counter()
                try:
                    await _raw_pg_order(conn, world, o, late_lock)
                    latencies.append(time.perf_counter() - t0)
                except Exception as exc:  # noqa: BLE001
                    errors[type(exc).__name__] += 1
                    sample.setdefault("e", repr(exc)[:300])

    await asyncio.gather(*(client() for _ in range(clients)))
    return RunResult(len(latencies), time.perf_counter() - start, latencies, errors, sample.get("e", ""))


def _sqlite_ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


SQ_INSERTS = _inserts("?", "")
SQ_ALLOCATE = (
    "UPDATE stock_levels AS s SET allocated = s.allocated + w.qty, updated_at = ? FROM ("
    + " UNION ALL ".join(["SELECT ? AS sku_id, ? AS location_id, CAST(? AS INTEGER) AS qty"] * 3)
    + ") AS w WHERE s.sku_id = w.sku_id AND s.location_id = w.location_id"
    " AND s.on_hand - s.allocated - s.reserved - s.safety_stock >= w.qty RETURNING sku_id"
)
SQ_SNAPSHOT = (
    "SELECT l.sku_id, l.location_id, loc.priority, l.on_hand - l.allocated - l.reserved - l.safety_stock"
    " FROM stock_levels l JOIN locations loc ON loc.id = l.location_id"
    " WHERE loc.active = 1 AND l.sku_id IN (?, ?, ?)"
)


def _raw_sqlite(world: World, orders: list[dict], clients: int, max_seconds: float) -> RunResult:
    import sqlite3

    path = world.url.split("sqlite:///", 1)[1]
    it, lock = iter(orders), threading.Lock()
    latencies, errors, sample = [], Counter(), {}
    start = time.perf_counter()

    def one(conn, o):
        conn.execute("BEGIN IMMEDIATE")
        try:
            where = _pick(
                conn.execute(SQ_SNAPSHOT, [li["sku_id"] for li in o["lines"]]).fetchall(), o["lines"]
            )
            order, lines, allocs, ledger, event_row, outbox, fos, fo_lines = _rows(world, o, where)
            ts = _sqlite_ts(o["now"])
            fix = lambda row: [ts if isinstance(v, datetime) else v for v in row]  # noqa: E731
            if conn.execute(SQ_INSERTS["order"], fix(order)).rowcount != 1:
                raise RuntimeError("duplicate external id")
            params = [ts] + _flat((li["sku_id"], where[li["sku_id"]], li["qty"]) for li in o["lines"])
            if len(conn.execute(SQ_ALLOCATE, params).fetchall()) != 3:
                raise RuntimeError("short")
            conn.execute(SQ_INSERTS["lines"], _flat(lines))
            conn.execute(SQ_INSERTS["allocs"], fix(_flat(allocs)))
            conn.execute(SQ_INSERTS["ledger"], fix(_flat(ledger)))
            conn.execute(SQ_INSERTS["event"], fix(event_row))
            conn.execute(SQ_INSERTS["outbox"], fix(_flat(outbox)))
            conn.execute(SQ_INSERTS["fos"], fix(_flat(fos)))
            conn.execute(SQ_INSERTS["fo_lines"], _flat(fo_lines))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def client():
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")
        while True:
            with lock:
                o = next(it, None)
            if o is None or time.perf_counter() > start + max_seconds:
                break
            t0 = time.perf_counter()
            try:
                one(conn, o)
                latencies.append(time.perf_counter() - t0)
            except Exception as exc:  # noqa: BLE001
                errors[type(exc).__name__] += 1
                sample.setdefault("e", repr(exc)[:300])
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return RunResult(len(latencies), time.perf_counter() - start, latencies, errors, sample.get("e", ""))


def run_raw(
    world: World, variant: str, n: int, clients: int, max_seconds: float, tag: str, late_lock: bool = False
) -> RunResult:
    tag = f"{tag}-{variant}"
    rng = random.Random(zlib.crc32(tag.encode()))
    warm = [_raw_plan(world, variant, rng, f"{tag}-rw{i}") for i in range(WARMUP)]
    orders = [_raw_plan(world, variant, rng, f"{tag}-r{i}") for i in range(n)]
    busy0, ru0 = machine_busy(), resource.getrusage(resource.RUSAGE_SELF)
    if world.container.db.dialect == "postgresql":
        import uvloop

        uvloop.run(_raw_pg(world, warm, clients, max_seconds, late_lock))
        busy0, ru0 = machine_busy(), resource.getrusage(resource.RUSAGE_SELF)
        result = uvloop.run(_raw_pg(world, orders, clients, max_seconds, late_lock))
    else:
        _raw_sqlite(world, warm, clients, max_seconds)
        busy0, ru0 = machine_busy(), resource.getrusage(resource.RUSAGE_SELF)
        result = _raw_sqlite(world, orders, clients, max_seconds)
    busy1, ru1 = machine_busy(), resource.getrusage(resource.RUSAGE_SELF)
    result.client_cpu = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) / result.seconds
    result.machine_busy, result.other_cpu = cpu_between(busy0, busy1, result.seconds)
    return result


# --------------------------------------------------------------------------- report


def fmt_errors(r: RunResult) -> str:
    if not r.errors:
        return ""
    return f"  errors {dict(r.errors)} e.g. {r.sample_error!r}"


def bench_database(kind: str, args, tmp: Path) -> list[str]:
    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    say(f"== {kind}: preparing database")
    url = prepare_database(kind, tmp)
    world = seed(url)
    say(
        f"seeded 1 channel, {N_LOCATIONS} locations, {N_SKUS} SKUs x {STOCK} units per location; hot set {HOT}"
    )
    statements = count_statements(world)
    for label, (excl, incl, server) in statements.items():
        say(
            f"SQL statements per placed order ({label}): {excl:.1f} cursor executions excl. BEGIN/COMMIT,"
            f" {incl:.1f} incl.; {server:.1f} statements executed by the server (executemany rows counted)"
        )
    say(f"  {check_stock(world)}")
    pgb = {}
    if "pgbench" in args.parts and kind == "postgres":
        import pgbench_placement

        dsn = f"{PG_SERVER}/{PG_DB}"
        pgbench_placement.prepare(dsn, world.skus, [loc for loc, _ in world.locations])
        for variant in [v for v in args.variants if v in ("uniform", "hot")]:  # 3-line orders only
            r = pgbench_placement.run(dsn, variant, args.clients, args.pgbench_seconds, N_SKUS, len(HOT),
                                      N_LOCATIONS, world.channel_id)
            pgb[variant] = r
            say(f"pgbench {variant}: {r.tps:.0f} tps p50 {r.p50_ms:.1f} ms p99 {r.p99_ms:.1f} ms"
                f" ({r.transactions} transactions, {r.failed} failed)")
        say(f"  {check_stock(world)}")
    raw = {}
    for variant in [v for v in args.variants if v in ("uniform", "hot")] if "raw" in args.parts else []:
        raw[variant] = run_raw(world, variant, args.orders, args.clients, args.max_seconds, f"{kind}-raw")
        r = raw[variant]
        say(
            f"raw SQL {variant}: {r.rate:.0f} orders/s p50 {r.pct(50):.1f} ms p99 {r.pct(99):.1f} ms"
            f" ({r.ok} orders in {r.seconds:.1f} s; CPU: client {r.client_cpu:.2f}, machine {r.machine_busy:.2f}/"
            f"{os.cpu_count()} cores, of which other processes {r.other_cpu:.2f}){fmt_errors(r)}"
        )
        say(f"  {check_stock(world)}")
    if "raw" in args.parts and "hot" in args.variants and kind == "postgres":
        r = run_raw(
            world, "hot", args.orders, args.clients, args.max_seconds, f"{kind}-rawlate", late_lock=True
        )
        say(
            f"raw SQL hot, allocation UPDATE moved last (locks held only for UPDATE + COMMIT): {r.rate:.0f}"
            f" orders/s p50 {r.pct(50):.1f} ms p99 {r.pct(99):.1f} ms ({r.ok} orders){fmt_errors(r)}"
        )
        say(f"  {check_stock(world)}")
    if args.hot_buckets:
        from conveyor.inventory.handlers import set_hot_mode

        for code in HOT:
            for n in range(1, N_LOCATIONS + 1):
                set_hot_mode(world.container, code, f"WH{n}", args.hot_buckets, "bench")
        say(f"hot-SKU mode: {', '.join(HOT)} split over {args.hot_buckets} buckets at every location")
    rows = []
    for strategy, workers in [(s, w) for s in args.strategies for w in args.workers] if "api" in args.parts else []:
        use_strategy(world, strategy)
        server = Server(url, workers, tmp / f"server-{kind}-{workers}-{strategy}.log", args.server)
        served = 0
        try:
            for variant in args.variants:
                r = run_http(
                    world,
                    server,
                    variant,
                    args.orders,
                    args.clients,
                    args.max_seconds,
                    f"{kind}-w{workers}-{strategy}",
                    args.idempotency,
                    args.profile / f"{kind}-w{workers}-{variant}" if args.profile else None,
                )
                check = check_stock(world)
                say(
                    f"API {strategy} workers={workers} {variant}: {r.rate:.0f} orders/s p50 {r.pct(50):.1f} ms p99"
                    f" {r.pct(99):.1f} ms ({r.ok} orders in {r.seconds:.1f} s; CPU: server {r.server_cpu:.2f},"
                    f" client {r.client_cpu:.2f}, machine {r.machine_busy:.2f}/{os.cpu_count()} cores, of which other"
                    f" processes {r.other_cpu:.2f})"
                    f"{f'; {r.orders_per_transaction:.1f} orders per transaction' if r.orders_per_transaction else ''}"
                    f"{fmt_errors(r)}"
                )
                say(f"  {check}")
                rows.append((strategy, workers, variant, r, check))
                served += r.ok + WARMUP
            rss = ", ".join(f"{mb:.0f}" for mb in server.worker_rss_mb())
            say(f"  worker RSS after {served} orders on this server: {rss} MB")
        finally:
            server.stop()
    stmt = statements["no Idempotency-Key"]
    stmt_k = statements["with Idempotency-Key"]
    say("")
    say(
        f"{kind}: {args.clients} clients, {args.orders} orders per run, 3-line orders"
        f"{', every request with an Idempotency-Key' if args.idempotency else ', no Idempotency-Key'}"
    )
    say(
        "| routing | workers | variant | orders/s | p50 ms | p99 ms | server CPU ms/order |"
        " SQL stmts/order: no key / key (incl. BEGIN+COMMIT / server-side) | raw SQL orders/s |"
        " raw p50 / p99 ms | API/raw | pgbench tps | API/pgbench | stock & audit |"
    )
    say("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for strategy, workers, variant, r, check in rows:
        rr = raw.get(variant) or RunResult(0, 0.0, [], Counter())
        ok = "clean" if "never negative" in check and "audit clean" in check else "FAILED"
        pg = pgb.get(variant)
        cpu_ms = r.server_cpu * r.seconds / r.ok * 1000 if r.ok else 0.0
        say(
            f"| {strategy} | {workers} | {variant} | {r.rate:.0f} | {r.pct(50):.1f} | {r.pct(99):.1f} | {cpu_ms:.1f} |"
            f" {stmt[0]:.0f} ({stmt[1]:.0f} / {stmt[2]:.0f}) / {stmt_k[0]:.0f} ({stmt_k[1]:.0f} / {stmt_k[2]:.0f}) |"
            f" {rr.rate:.0f} | {rr.pct(50):.1f} / {rr.pct(99):.1f} | {r.rate / rr.rate if rr.rate else 0:.2f} |"
            f" {pg.tps if pg else 0:.0f} | {r.rate / pg.tps if pg else 0:.2f} | {ok} |"
        )
    say("")
    world.container.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--orders", type=int, default=3000, help=f"measured orders per run (after {WARMUP} warm-up)"
    )
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--workers", default="1,2", help="uvicorn worker counts to try, e.g. 1,2")
    p.add_argument("--variants", default="uniform,hot", help="uniform, hot (one of 2 hot SKUs + 2 others), one-sku")
    p.add_argument("--max-seconds", type=float, default=60.0, help="time bound per run")
    p.add_argument("--parts", default="pgbench,raw,api",
                   help="pgbench (the transaction in C, PostgreSQL only), raw (Python SQL baseline), api (HTTP server)")
    p.add_argument("--pgbench-seconds", type=int, default=15, help="duration of each pgbench run")
    p.add_argument(
        "--profile", type=Path, help="directory: py-spy (collapsed stacks) a server worker per run"
    )
    p.add_argument("--idempotency", action="store_true", help="send an Idempotency-Key with every order")
    p.add_argument("--hot-buckets", type=int, default=0,
                   help="put the hot SKUs in hot-SKU mode with this many buckets before the API runs")
    p.add_argument("--server", choices=["conveyor", "uvicorn"], default="conveyor",
                   help="conveyor serve (a socket per worker) or plain uvicorn (one shared socket)")
    p.add_argument("--strategies", default="lowest_cost", help="routing strategies to run the API with, e.g. "
                   "priority,lowest_cost (lowest_cost is the shipped default)")
    args = p.parse_args()
    args.workers = [int(w) for w in args.workers.split(",")]
    args.variants = args.variants.split(",")
    args.strategies = args.strategies.split(",")
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    print(f"machine: {os.cpu_count()} CPUs, {mem} MiB RAM, Python {sys.version.split()[0]}", flush=True)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="conveyor-bench-") as tmp:
        for kind in kinds:
            bench_database(kind, args, Path(tmp))


if __name__ == "__main__":
    main()
