#!/usr/bin/env python
# ruff: noqa: E501  (SQL text reads better unwrapped)
"""Order list and search at size: 100,000 and 1,000,000 orders in PostgreSQL (issue 13).

1. a dedicated database next to CONVEYOR_TEST_POSTGRES_URL (`<name>_lists_bench`), migrated, with 6
   channels, 200 SKUs and N orders of 1–3 lines generated in the database (INSERT … SELECT FROM
   generate_series, not through the API): a year of orders, ids in time order like real ones,
   statuses, customers, e-mail addresses, channel order numbers, external ids; then ANALYZE;
2. every filter the order list offers (the same service call GET /api/v1/orders makes), each with
   --samples different values, warm: the first page (50), a status, a channel, a SKU, a day, an
   e-mail, the free-text search by external id, by platform order number (#…), by a name and by a
   piece of an e-mail, and a page deep into the list by cursor;
3. p50 / p95 per filter and overall, in milliseconds of server time (query + building the page).

    CONVEYOR_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/order_lists.py --orders 100000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bench_db import fresh_postgres  # noqa: E402
from sqlalchemy import text  # noqa: E402

from conveyor.bootstrap import build  # noqa: E402
from conveyor.catalog.handlers import create_product  # noqa: E402
from conveyor.catalog.service import SkuData  # noqa: E402
from conveyor.channels.handlers import create_channel  # noqa: E402
from conveyor.config import Settings  # noqa: E402
from conveyor.orders.service import list_orders  # noqa: E402
from conveyor.shared.migrate import upgrade  # noqa: E402

CHANNELS = ["web", "amazon", "ebay", "shopify", "pos", "phone"]
SKUS = 200
START = datetime(2025, 12, 1, tzinfo=UTC)
STATUSES = "ARRAY['allocated','backordered','partially_fulfilled','fulfilled','delivered','completed','cancelled','on_hold']"

ORDERS = """
INSERT INTO orders (id, channel_id, external_id, order_number, status, held_from, hold_reason, currency, customer_name,
                    customer_email, customer_phone, billing_address, shipping_address, subtotal_minor,
                    discount_minor, tax_minor, shipping_minor, total_minor, notes, tags, created_at, updated_at)
SELECT 'ord_' || lpad(g::text, 12, '0'),
       (ARRAY[{channels}])[1 + (g * 7919) % 6],
       'EXT-' || g, '#' || (100000 + g),
       ({statuses})[1 + (g * 31) % 8], NULL, NULL, 'USD',
       'Customer ' || ((g * 104729) % ({orders} / 3 + 1)), 'c' || ((g * 104729) % ({orders} / 3 + 1)) || '@example.com', '',
       NULL, NULL, 1000 + (g * 37) % 20000, 0, 0, 500, 1500 + (g * 37) % 20000, '', '[]'::jsonb,
       timestamptz '{start}' + (g * 31536000.0 / {orders}) * interval '1 second',
       timestamptz '{start}' + (g * 31536000.0 / {orders}) * interval '1 second'
FROM generate_series(1::bigint, {orders}) g
"""
LINES = """
INSERT INTO order_lines (id, order_id, line_no, sku_id, sku_code, name, quantity, unit_price_minor, discount_minor,
                         tax_minor, total_minor, allocated, backordered, shipped, delivered, cancelled, returned)
SELECT 'oln_' || lpad(g::text, 12, '0') || '_' || n, 'ord_' || lpad(g::text, 12, '0'), n,
       s.id, s.code, s.code, 1, 1000, 0, 0, 1000, 1, 0, 0, 0, 0, 0
FROM generate_series(1::bigint, {orders}) g
CROSS JOIN LATERAL generate_series(1, 1 + (g % 3)::int) n
JOIN (SELECT id, code, row_number() OVER (ORDER BY code) - 1 AS k FROM skus) s ON s.k = (g * 13 + n * 71) % {skus}
"""


def generate(c, orders: int) -> tuple[dict[str, str], float]:
    channels = {code: create_channel(c, code=code, name=code).id for code in CHANNELS}
    for start in range(0, SKUS, 50):
        create_product(c, f"P{start}", [SkuData(code=f"SKU-{i:04d}", name=f"SKU {i}") for i in range(start, start + 50)])
    started = time.perf_counter()
    with c.db.engine.begin() as conn:
        conn.execute(text(ORDERS.format(channels=", ".join(f"'{i}'" for i in channels.values()), orders=orders,
                                        statuses=STATUSES, start=START.isoformat())))
        conn.execute(text(LINES.format(orders=orders, skus=SKUS)))
    with c.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return channels, time.perf_counter() - started


def cases(rng: random.Random, orders: int, channels: dict[str, str]) -> dict[str, list[dict]]:
    def g() -> int:
        return rng.randint(1, orders)

    def day() -> dict:
        start = START + timedelta(days=rng.randint(0, 360))
        return {"created_from": start, "created_to": start + timedelta(days=1)}

    customers = orders // 3 + 1
    return {
        "first page": [{}],
        "status": [{"status": s} for s in ("allocated", "backordered", "cancelled", "on_hold", "delivered")],
        "channel": [{"channel_id": channels[code]} for code in CHANNELS],
        "sku": [{"sku": f"SKU-{rng.randrange(SKUS):04d}"} for _ in range(5)],
        "one day": [day() for _ in range(5)],
        "e-mail": [{"email": f"c{rng.randrange(customers)}@example.com"} for _ in range(5)],
        "q external id": [{"q": f"EXT-{g()}"} for _ in range(5)],
        "q #number": [{"q": f"#{100000 + g()}"} for _ in range(5)],
        "q name": [{"q": f"Customer {rng.randrange(customers)}"} for _ in range(5)],
        "q e-mail part": [{"q": f"c{rng.randrange(customers)}@exa"} for _ in range(5)],
    }


def time_case(c, params: dict, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        with c.reader() as uow:
            page = list_orders(uow, limit=50, **params)
            assert len(page.items) <= 50
        out.append((time.perf_counter() - started) * 1000)
    return out


def deep_page(c, pages: int) -> float:
    """Follow the cursor `pages` pages down; the time of the last page."""
    cursor, last = None, 0.0
    for _ in range(pages):
        started = time.perf_counter()
        with c.reader() as uow:
            page = list_orders(uow, limit=50, cursor=cursor)
        last, cursor = (time.perf_counter() - started) * 1000, page.next_cursor
    return last


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per value (after one warm-up)")
    args = parser.parse_args()
    url = fresh_postgres("lists_bench")
    upgrade(url)
    c = build(Settings(database_url=url, db_statement_timeout_ms=3_600_000))  # generating takes minutes
    channels, seconds = generate(c, args.orders)
    print(f"generated {args.orders:,} orders with their lines in {seconds:.0f} s")
    everything: list[float] = []
    print("| filter | p50 ms | p95 ms | max ms |\n|---|---|---|---|")
    for name, values in cases(random.Random(7), args.orders, channels).items():
        timings = []
        for params in values:
            time_case(c, params, 1)  # warm
            timings += time_case(c, params, args.runs)
        everything += timings
        print(f"| {name} | {statistics.median(timings):.1f} | {pct(timings, 95):.1f} | {max(timings):.1f} |")
    deep = deep_page(c, 40)
    print(f"| page 40 by cursor | {deep:.1f} | | |")
    print(f"| **all filters** | {statistics.median(everything):.1f} | {pct(everything, 95):.1f} | {max(everything):.1f} |")
    c.close()


if __name__ == "__main__":
    main()
