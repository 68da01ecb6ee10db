#!/usr/bin/env python
# ruff: noqa: E501  (SQL text reads better unwrapped)
"""Sales report speed: a month's sales by channel over 1,000,000 orders in PostgreSQL (issue 14).

1. drop and recreate a dedicated database next to CONVEYOR_TEST_POSTGRES_URL (`<name>_report_bench`),
   migrate it, create 6 channels through the handlers;
2. generate the orders in the database with one INSERT … SELECT FROM generate_series (not through
   the API): a year of orders (2025-12-01 … 2026-11-30 UTC, random times), 6 channels, 80 % USD /
   15 % EUR / 5 % GBP, 4 % cancelled; then ANALYZE;
3. time `planning.reports.sales(by="channel", grain="month")` for November 2026 — the query and the
   roll-up with the day-by-day ECB conversion to USD — warm, best and median of --runs, and the
   EXPLAIN (ANALYZE) of its query; also a whole year by month for scale.

    CONVEYOR_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/report_sales.py [--orders 1000000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bench_db import fresh_postgres  # noqa: E402
from sqlalchemy import text  # noqa: E402

from conveyor.bootstrap import build  # noqa: E402
from conveyor.channels.handlers import create_channel  # noqa: E402
from conveyor.config import Settings  # noqa: E402
from conveyor.planning import reports  # noqa: E402
from conveyor.planning.kpis import ecb_convert  # noqa: E402
from conveyor.shared.migrate import upgrade  # noqa: E402

CHANNELS = ["web", "amazon", "ebay", "shopify", "pos", "phone"]

GENERATE = """
INSERT INTO orders (id, channel_id, external_id, status, held_from, hold_reason, currency, customer_name,
                    customer_email, customer_phone, billing_address, shipping_address, subtotal_minor,
                    discount_minor, tax_minor, shipping_minor, total_minor, notes, tags, created_at, updated_at)
SELECT 'ord_bench' || lpad(g::text, 10, '0'),
       (ARRAY[{channels}])[1 + (g * 7919) % {n_channels}],
       NULL,
       CASE WHEN (g * 31) % 100 < 4 THEN 'cancelled' WHEN (g * 17) % 3 = 0 THEN 'fulfilled' ELSE 'allocated' END,
       NULL, NULL,
       CASE WHEN (g * 13) % 100 < 80 THEN 'USD' WHEN (g * 13) % 100 < 95 THEN 'EUR' ELSE 'GBP' END,
       'Customer ' || g, 'c' || g || '@example.com', '', NULL, NULL,
       1000 + (g * 37) % 20000, 0, 0, 500, 1500 + (g * 37) % 20000, '', '[]'::jsonb,
       ts, ts
FROM generate_series(1::bigint, {orders}) g,
     LATERAL (SELECT timestamptz '2025-12-01 00:00:00+00' + ((g * 104729::bigint) % 31536000) * interval '1 second' AS ts) t
"""


def database_url() -> str:
    base = os.environ.get("CONVEYOR_TEST_POSTGRES_URL")
    if not base:
        sys.exit("set CONVEYOR_TEST_POSTGRES_URL (a PostgreSQL server this benchmark may create a database on)")
    return fresh_postgres("report_bench", base)


def generate(c, orders: int) -> float:
    for code in CHANNELS:
        create_channel(c, code=code, name=code.title())
    with c.uow() as uow:
        ids = [r[0] for r in uow.session.execute(text("SELECT id FROM channels ORDER BY code"))]
    started = time.perf_counter()
    with c.db.writer.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(text(GENERATE.format(channels=", ".join(f"'{i}'" for i in ids), n_channels=len(ids),
                                          orders=orders)))
    with c.db.writer.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE orders"))
    return time.perf_counter() - started


def timed(c, start: date, end: date, grain: str, runs: int) -> tuple[list[float], list[float], list]:
    walls, cpus, points = [], [], []
    for _ in range(runs):
        w, p = time.perf_counter(), time.process_time()
        with c.reader() as uow:
            points = reports.sales(uow, start, end, by="channel", grain=grain, base="USD", convert=ecb_convert)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - p)
    return walls, cpus, points


def explain(c, start: date, end: date) -> list[str]:
    sql = reports._SALES["channel"].format(day=reports.day_sql("postgresql", "o.created_at"))
    with c.reader() as uow:
        rows = uow.session.execute(reports.query("EXPLAIN (ANALYZE, BUFFERS) " + sql), reports.bounds(start, end))
        return [r[0] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    url = database_url()
    upgrade(url)
    c = build(Settings(database_url=url, db_durable_commits=False, db_statement_timeout_ms=3_600_000))
    seconds = generate(c, args.orders)
    with c.reader() as uow:
        count = uow.session.execute(text("SELECT COUNT(*) FROM orders")).scalar()
    print(f"generated {count:,} orders in {seconds:.1f} s (INSERT … SELECT generate_series, then ANALYZE)")
    timed(c, date(2026, 11, 1), date(2026, 12, 1), "month", 1)  # warm: rates loaded, pages cached
    walls, cpus, points = timed(c, date(2026, 11, 1), date(2026, 12, 1), "month", args.runs)
    print(f"November 2026 by channel: {sum(p.orders for p in points):,} orders in {len(points)} rows; "
          f"wall best {min(walls) * 1000:.0f} ms, median {statistics.median(walls) * 1000:.0f} ms, "
          f"worst {max(walls) * 1000:.0f} ms; client CPU median {statistics.median(cpus) * 1000:.0f} ms")
    for p in points:
        print(f"  {p.period} {p.key:8} {p.orders:7,} orders  {p.revenue_minor / 100:14,.2f} USD  AOV {p.average_order_minor / 100:.2f}")
    walls_year, _, year = timed(c, date(2025, 12, 1), date(2026, 12, 1), "month", 3)
    print(f"whole year by channel and month ({sum(p.orders for p in year):,} orders, {len(year)} rows): "
          f"median {statistics.median(walls_year) * 1000:.0f} ms")
    print("EXPLAIN ANALYZE of the month query:")
    for line in explain(c, date(2026, 11, 1), date(2026, 12, 1)):
        print("  " + line)
    c.close()


if __name__ == "__main__":
    main()
