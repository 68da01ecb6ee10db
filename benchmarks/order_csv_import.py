"""Order CSV import benchmark: a 100,000-row order file (≈30,000 orders) into SQLite and PostgreSQL.

    .venv/bin/python benchmarks/order_csv_import.py [--rows 100000] [--postgres URL] [--workers 1,2] [--holders 1,3]

PostgreSQL runs when --postgres or CONVEYOR_TEST_POSTGRES_URL is given (a private database is
created next to it and dropped afterwards). Each run: a fresh migrated database, 200 SKUs with
ample stock in 3 warehouses, one CSV channel; the timed part is `import_orders` (parse, map,
route, allocate, write) with a rich progress bar, as `conveyor import orders` runs it.
Target: ≥ 2,000 orders/s. Results go to docs/benchmarks.md, section "Order CSV import".
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conveyor.audit import run_audit  # noqa: E402
from conveyor.bootstrap import build  # noqa: E402
from conveyor.catalog.handlers import create_product  # noqa: E402
from conveyor.catalog.service import SkuData  # noqa: E402
from conveyor.channels.handlers import create_channel  # noqa: E402
from conveyor.channels.imports import import_orders  # noqa: E402
from conveyor.config import Settings  # noqa: E402
from conveyor.inventory.handlers import create_location, receive  # noqa: E402
from conveyor.inventory.locations import LocationData  # noqa: E402
from conveyor.shared.db import normalise_url  # noqa: E402
from conveyor.shared.migrate import upgrade  # noqa: E402

SKUS = 200
HEADER = ("order_id,sku,quantity,unit_price,currency,customer_name,customer_email,ship_city,ship_postal_code,"
          "ship_country")


def make_file(rows: int, seed: int = 7) -> tuple[str, int]:
    rng = random.Random(seed)
    out, order, written = [HEADER], 0, 0
    while written < rows:
        order += 1
        for _ in range(min(rng.choice((2, 3, 3, 4, 5)), rows - written)):
            out.append(f"MP-{order},SKU-{rng.randrange(SKUS):04d},{rng.randint(1, 3)},"
                       f"{rng.randint(100, 9999) / 100:.2f},USD,Customer {order},c{order}@example.com,Springfield,"
                       f"1{order % 10000:04d},US")
            written += 1
    return "\n".join(out) + "\n", order


def seed(c, holders: int = 1) -> None:
    """200 SKUs, each stocked in `holders` of the 3 warehouses (1: a catalogue where each SKU lives
    in one place, which makes cost routing's choice forced; 2 or 3: a real choice per line)."""
    for n in range(1, 4):
        create_location(c, LocationData(code=f"WH{n}", name=f"Warehouse {n}", priority=n * 10))
    create_channel(c, code="market", name="Marketplace file", type="csv")
    create_product(c, "Bench", [SkuData(code=f"SKU-{i:04d}", name=f"SKU {i}", price_minor=1000)
                                for i in range(SKUS)])
    for i in range(SKUS):
        for h in range(holders):
            receive(c, f"SKU-{i:04d}", f"WH{(i + h) % 3 + 1}", 1_000_000, actor="bench")


def run(label: str, url: str, csv_text: str, orders: int, holders: int, workers: int) -> dict:
    upgrade(url)
    c = build(Settings(database_url=url))
    seed(c, holders)
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as progress:
        task = progress.add_task(f"{label}: importing", total=orders)
        started = time.perf_counter()
        report = import_orders(c, "market", io.StringIO(csv_text, newline=""), csv_text.encode(),
                               progress=lambda n: progress.advance(task, n), workers=workers)
        elapsed = time.perf_counter() - started
    with c.reader() as uow:
        clean = not run_audit(uow)
    c.close()
    return {"db": label, "holders": holders, "workers": workers, "orders": report.created, "seconds": elapsed,
            "rate": report.created / elapsed, "held": report.held,
            "rejected": len(report.rejected_rows) + len(report.refused_orders), "audit": clean}


def postgres_db(base: str) -> tuple[str, callable]:
    name = f"bench_csv_{os.getpid()}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("CONVEYOR_TEST_POSTGRES_URL"))
    parser.add_argument("--holders", default="1", help="warehouses holding each SKU, e.g. 1,3 (one run each)")
    parser.add_argument("--workers", default="1,2", help="import processes, e.g. 1,2 (one run each)")
    args = parser.parse_args()
    csv_text, orders = make_file(args.rows)
    print(f"file: {args.rows} rows, {orders} orders, {len(csv_text) / 1e6:.1f} MB")
    results = []
    for holders, workers in itertools.product(_numbers(args.holders), _numbers(args.workers)):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run("SQLite", f"sqlite:///{tmp}/bench.db", csv_text, orders, holders, workers))
        if args.postgres:
            url, drop = postgres_db(args.postgres)
            try:
                results.append(run("PostgreSQL", url, csv_text, orders, holders, workers))
            finally:
                drop()
    print("| database | SKU holders | workers | orders | seconds | orders/s | held | rejected | audit clean |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['db']} | {r['holders']} | {r['workers']} | {r['orders']} | {r['seconds']:.1f} | {r['rate']:,.0f} |"
              f" {r['held']} | {r['rejected']} | {'yes' if r['audit'] else 'NO'} |")


def _numbers(text: str) -> list[int]:
    return [int(n) for n in text.split(",")]


if __name__ == "__main__":
    main()
