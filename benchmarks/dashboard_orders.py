#!/usr/bin/env python
"""The dashboard's order list page at 100,000 orders (issue 15, must-show 4): PostgreSQL.

1. a dedicated database next to CONVEYOR_TEST_POSTGRES_URL (`<name>_dashboard_bench`), migrated,
   with the orders of benchmarks/order_lists.py (generated in the database with generate_series:
   a year, 6 channels, 8 statuses, 1-3 lines each, customers, numbers) plus tags on every 50th
   order; ANALYZE;
2. the real app (`uvicorn conveyor.api.main:app`) in its own process on a loopback port, a dashboard
   user logged in (session cookie);
3. GET /orders with every filter the page offers (the first page, status, channel, a day, SKU,
   e-mail, tag, the search box by external id / #number / name, all filters at once, and a page
   deep into the list by cursor), each with several values, warm. Server time is the page's own
   `Server-Timing: app;dur=…` header (session lookup, query, rendering the page of 50 orders);
   the HTTP round trip on loopback is shown next to it;
4. p50 / p95 per filter and overall, in milliseconds. Target: p95 <= 150 ms server time.

    CONVEYOR_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \
        .venv/bin/python benchmarks/dashboard_orders.py --orders 100000
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from bench_db import fresh_postgres  # noqa: E402
from order_lists import CHANNELS, SKUS, START, generate, pct  # noqa: E402
from sqlalchemy import text  # noqa: E402

from conveyor.auth.handlers import create_user  # noqa: E402
from conveyor.bootstrap import build  # noqa: E402
from conveyor.config import Settings  # noqa: E402
from conveyor.shared.migrate import upgrade  # noqa: E402

PASSWORD = "benchmark password"
TAGS = ["vip", "gift", "fraud-check", "wholesale"]


def tag_some(c) -> None:  # noqa: ANN001
    """Every 50th order gets one of TAGS (the generator leaves tags empty)."""
    with c.db.engine.begin() as conn:
        for n, tag in enumerate(TAGS):
            conn.execute(text("UPDATE orders SET tags = jsonb_build_array(CAST(:tag AS text)) "
                              "WHERE CAST(substr(id, 5) AS bigint) % 200 = :n * 50"), {"tag": tag, "n": n})
    with c.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE orders"))


def serve(url: str) -> tuple[subprocess.Popen, str]:
    """The app in its own process (so the client's work is not timed with it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "CONVEYOR_DATABASE_URL": url, "CONVEYOR_LOG_LEVEL": "warning"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "conveyor.api.main:app", "--port", str(port),
                               "--log-level", "warning", "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def log_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    done = client.post("/login", data={"csrf_token": token, "username": "bench", "password": PASSWORD, "next": "/"})
    assert done.status_code == 303, done.text
    return client


def cases(rng: random.Random, orders: int) -> dict[str, list[dict[str, str]]]:
    def g() -> int:
        return rng.randint(1, orders)

    def day() -> str:
        return (START + timedelta(days=rng.randint(0, 360))).date().isoformat()

    customers = orders // 3 + 1
    return {
        "first page": [{}],
        "status": [{"status": s} for s in ("allocated", "backordered", "cancelled", "on_hold", "delivered")],
        "channel": [{"channel": code} for code in CHANNELS],
        "one day": [{"from": d, "to": d} for d in (day() for _ in range(5))],
        "SKU": [{"sku": f"SKU-{rng.randrange(SKUS):04d}"} for _ in range(5)],
        "customer e-mail": [{"email": f"c{rng.randrange(customers)}@example.com"} for _ in range(5)],
        "tag": [{"tag": t} for t in [*TAGS, "no-such-tag"]],
        "search: external id": [{"q": f"EXT-{g()}"} for _ in range(5)],
        "search: #number": [{"q": f"#{100000 + g()}"} for _ in range(5)],
        "search: name": [{"q": f"Customer {rng.randrange(customers)}"} for _ in range(5)],
        "status + channel + day": [{"status": "allocated", "channel": rng.choice(CHANNELS), "from": d, "to": d}
                                   for d in (day() for _ in range(5))],
    }


def get(client: httpx.Client, path: str, params: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(server ms from Server-Timing, round-trip ms, the page)."""
    started = time.perf_counter()
    response = client.get(path, params=params)
    round_trip = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and 'id="order-table"' in response.text, response.text[:500]
    server = float(response.headers["server-timing"].split("dur=")[1])
    return server, round_trip, response.text


def timed(client: httpx.Client, params: dict[str, str], runs: int) -> list[tuple[float, float]]:
    return [get(client, "/orders", params)[:2] for _ in range(runs)]


def deep_page(client: httpx.Client, pages: int) -> list[tuple[float, float]]:
    """Follow "Older »" `pages` pages down; the times of the last five pages."""
    path, times = "/orders", []
    for _ in range(pages):
        server, round_trip, html = get(client, path)
        times.append((server, round_trip))
        path = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    return times[-5:]


def row(name: str, timings: list[tuple[float, float]]) -> str:
    server = [s for s, _ in timings]
    trip = [t for _, t in timings]
    return (f"| {name} | {len(timings)} | {statistics.median(server):.1f} | {pct(server, 95):.1f} | {max(server):.1f} "
            f"| {statistics.median(trip):.1f} / {pct(trip, 95):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="timed requests per value (after one warm-up)")
    args = parser.parse_args()
    url = fresh_postgres("dashboard_bench")
    upgrade(url)
    c = build(Settings(database_url=url, db_statement_timeout_ms=3_600_000, log_level="warning"))
    _, seconds = generate(c, args.orders)
    tag_some(c)
    print(f"generated {args.orders:,} orders with their lines in {seconds:.0f} s")
    create_user(c, "bench", PASSWORD, "support", "Benchmark")
    c.close()
    server, base = serve(url)
    try:
        client = log_in(base)
        everything: list[tuple[float, float]] = []
        print("| filter | requests | server p50 ms | server p95 ms | server max ms | round trip p50 / p95 ms |")
        print("|---|---|---|---|---|---|")
        for name, values in cases(random.Random(7), args.orders).items():
            timings: list[tuple[float, float]] = []
            for params in values:
                timed(client, params, 1)  # warm
                timings += timed(client, params, args.runs)
            everything += timings
            print(row(name, timings))
        deep = deep_page(client, 40)
        everything += deep
        print(row("pages 36-40 by cursor", deep))
        print(row("**every request**", everything))
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} (2 cores)")
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
