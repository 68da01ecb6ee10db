#!/usr/bin/env python
"""What the live low-stock watch (purchasing/low_stock.py) costs on the placement hot path: SQL
statements per placed order, measured in-process (like benchmarks/placement.py step 2), for a
SKU nobody gave a threshold (most orders), a SKU with a reorder point that stays above it, and
the one order that crosses it (which writes the mark and the `stock.low` event).

    .venv/bin/python benchmarks/low_stock_watch.py [--orders 200] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conveyor.bootstrap import build  # noqa: E402
from conveyor.catalog.handlers import create_product  # noqa: E402
from conveyor.catalog.service import SkuData  # noqa: E402
from conveyor.channels.handlers import create_channel  # noqa: E402
from conveyor.config import Settings  # noqa: E402
from conveyor.inventory.handlers import create_location, receive  # noqa: E402
from conveyor.inventory.locations import LocationData  # noqa: E402
from conveyor.orders.commands import LineInput, PlaceOrder  # noqa: E402
from conveyor.orders.handlers import place_order  # noqa: E402
from conveyor.purchasing.handlers import set_replenishment  # noqa: E402
from conveyor.purchasing.settings import SettingData  # noqa: E402
from conveyor.shared.db import normalise_url  # noqa: E402
from conveyor.shared.migrate import upgrade  # noqa: E402


def statements_per_order(c, sku: str, orders: int) -> float:
    counts: Counter[str] = Counter()
    listener = lambda *args: counts.update(["stmt"])  # noqa: E731
    event.listen(c.db.engine, "before_cursor_execute", listener)
    try:
        for _ in range(orders):
            place_order(c, PlaceOrder(channel="web", currency="USD", lines=[LineInput(sku, 1, 1000)]), actor="bench")
    finally:
        event.remove(c.db.engine, "before_cursor_execute", listener)
    return counts["stmt"] / orders


def run(label: str, url: str, orders: int) -> dict[str, float]:
    upgrade(url)
    c = build(Settings(database_url=url))
    create_location(c, LocationData(code="WH1", name="Warehouse", priority=1))
    create_channel(c, code="web", name="Web")
    create_product(c, "Bench", [SkuData(code=code, name=code, price_minor=1000) for code in ("PLAIN", "WATCHED")])
    receive(c, "PLAIN", "WH1", 1_000_000, actor="bench")
    receive(c, "WATCHED", "WH1", orders + 11, actor="bench")  # 11 left: one more crosses 10
    set_replenishment(c, "WATCHED", "WH1", SettingData(method="reorder_point", reorder_point=10, order_up_to=50))
    statements_per_order(c, "PLAIN", 5)  # warm the caches
    result = {"db": label, "no threshold": statements_per_order(c, "PLAIN", orders),
              "watched, above": statements_per_order(c, "WATCHED", orders),
              "watched, the crossing order": statements_per_order(c, "WATCHED", 1)}
    c.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("CONVEYOR_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(run("SQLite", f"sqlite:///{tmp}/bench.db", args.orders))
    if args.postgres:
        name = f"bench_low_stock_{os.getpid()}"
        admin = create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            results.append(run("PostgreSQL", args.postgres.rsplit("/", 1)[0] + "/" + name, args.orders))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    for r in results:
        print(f"{r['db']:<11} statements per placed order: no threshold {r['no threshold']:.2f}, "
              f"watched and above {r['watched, above']:.2f}, the crossing order {r['watched, the crossing order']:.0f}")


if __name__ == "__main__":
    main()
