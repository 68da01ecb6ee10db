"""The database's own limit for placing an order: the placement transaction's statements against
Conveyor's schema, driven by `pgbench` (a C client that costs next to nothing), so the API's rate
can be read as a fraction of what PostgreSQL itself can do on this machine.

One transaction, the same statements the API's hot path sends for a 3-line order:
  the stock snapshot read; INSERT order ON CONFLICT (channel, external id) DO NOTHING RETURNING;
  one multi-row INSERT each for lines, allocations, ledger entries, the timeline events
  (order.placed + fulfilment.created), the outbox (order.created + stock.changed), the fulfilment
  orders and their lines; the guarded multi-row allocation UPDATE (rows locked in
  id order, last); COMMIT.
Routing is not in it (that is the API's own CPU): each line takes its stock from a random one of
the locations, which spreads a hot SKU over its rows the way distance-based routing does.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

ADDRESS = json.dumps({"name": "Ada", "line1": "1 Main St", "city": "New York", "region": "NY",
                      "postal_code": "10001", "country": "US"})


@dataclass(frozen=True)
class PgbenchResult:
    tps: float
    p50_ms: float
    p99_ms: float
    transactions: int
    failed: int


def prepare(dsn: str, sku_ids_by_code: dict[str, str], location_ids: list[str]) -> None:
    """Lookup tables so the script can pick SKUs and locations by number (`\\gset` reads them)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_skus; DROP TABLE IF EXISTS bench_locations")
        conn.execute("CREATE TABLE bench_skus (n int PRIMARY KEY, sku_id text NOT NULL)")
        conn.execute("CREATE TABLE bench_locations (n int PRIMARY KEY, location_id text NOT NULL)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_skus VALUES (%s, %s)",
                            list(enumerate(sku_ids_by_code[code] for code in sorted(sku_ids_by_code))))
            cur.executemany("INSERT INTO bench_locations VALUES (%s, %s)", list(enumerate(location_ids)))


def script(variant: str, n_skus: int, n_hot: int, n_locations: int, channel_id: str) -> str:
    """The pgbench script for one variant (`uniform`: any 3 SKUs; `hot`: one of the hot SKUs + 2 others)."""
    # Three distinct SKUs (an order's lines are distinct SKUs, as in the API runs): one from each third
    # of the range; `hot`: the first is one of the hot SKUs (numbered first), the others from the rest.
    first = (0, n_hot) if variant == "hot" else (0, n_skus // 3)
    rest = first[1]
    middle = rest + (n_skus - rest) // 2
    picks = [f"\\set a random({first[0]}, {first[1] - 1})", f"\\set b random({rest}, {middle - 1})",
             f"\\set c random({middle}, {n_skus - 1})"]
    order = "'ord_' || :client_id || '_' || :oid"
    lines = [
        *picks,
        "\\set oid random(1, 9000000000000000)",
        *(f"\\set q{i} random(1, 3)" for i in (1, 2, 3)),
        *(f"\\set l{i} random(0, {n_locations - 1})" for i in (1, 2, 3)),
        "BEGIN;",
        "SELECT (SELECT sku_id FROM bench_skus WHERE n = :a) AS s1, (SELECT sku_id FROM bench_skus WHERE n = :b)"
        " AS s2, (SELECT sku_id FROM bench_skus WHERE n = :c) AS s3, (SELECT location_id FROM bench_locations"
        " WHERE n = :l1) AS w1, (SELECT location_id FROM bench_locations WHERE n = :l2) AS w2,"
        " (SELECT location_id FROM bench_locations WHERE n = :l3) AS w3 \\gset",
        "SELECT l.location_id, l.sku_id, l.on_hand - l.allocated - l.reserved - l.safety_stock AS atp, loc.code,"
        " loc.priority, loc.latitude, loc.longitude, loc.type, loc.can_ship, loc.daily_capacity FROM stock_levels l"
        " JOIN locations loc ON loc.id = l.location_id WHERE loc.active AND l.sku_id IN (:s1, :s2, :s3);",
        "INSERT INTO orders (id, channel_id, external_id, status, currency, customer_name, customer_email,"
        " customer_phone, shipping_address, subtotal_minor, discount_minor, tax_minor, shipping_minor, total_minor,"
        " notes, tags, created_at, updated_at) VALUES"
        f" ({order}, '{channel_id}', 'pgb_' || :client_id || '_' || :oid, 'allocated', 'USD', 'Ada Lovelace',"
        f" 'ada@example.com', '', '{ADDRESS}'::jsonb, 3000, 0, 0, 0, 3000, '', '[]'::jsonb, now(), now())"
        " ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id;",
        "INSERT INTO order_lines (id, order_id, line_no, sku_id, sku_code, name, quantity, unit_price_minor,"
        " discount_minor, tax_minor, total_minor, allocated, backordered, shipped, delivered, cancelled, returned)"
        " VALUES " + ", ".join(f"({order} || '_{i}', {order}, {i}, :s{i}, 'BENCH', 'BENCH', :q{i}, 1000, 0, 0,"
                               f" 1000 * :q{i}, :q{i}, 0, 0, 0, 0, 0)" for i in (1, 2, 3)) + ";",
        "INSERT INTO allocations (id, order_id, line_id, sku_id, location_id, per_unit, quantity, shipped,"
        " created_at) VALUES " + ", ".join(f"({order} || '_a{i}', {order}, {order} || '_{i}', :s{i}, :w{i}, 1,"
                                           f" :q{i}, 0, now())" for i in (1, 2, 3)) + ";",
        "INSERT INTO stock_ledger (id, sku_id, location_id, reason, d_on_hand, d_allocated, d_reserved, d_incoming,"
        " reference_type, reference_id, note, actor, created_at) VALUES "
        + ", ".join(f"({order} || '_l{i}', :s{i}, :w{i}, 'allocation', 0, :q{i}, 0, 0, 'order', {order}, '',"
                    " 'pgbench', now())" for i in (1, 2, 3)) + ";",
        "INSERT INTO order_events (id, order_id, type, actor, data, created_at) VALUES"
        f" ({order} || '_e', {order}, 'order.placed', 'pgbench', '{{\"status\": \"allocated\"}}'::jsonb, now()),"
        f" ({order} || '_f', {order}, 'fulfilment.created', 'pgbench', '{{}}'::jsonb, now());",
        # Fulfilment orders as placement opens them (one per line here: same statements, fixed shape).
        "INSERT INTO fulfilment_orders (id, order_id, location_id, status, carrier, service, tracking_number, late,"
        " exception_reason, created_at, updated_at) VALUES "
        + ", ".join(f"({order} || '_fo{i}', {order}, :w{i}, 'pending', '', '', '', false, '', now(), now())"
                    for i in (1, 2, 3)) + ";",
        "INSERT INTO fulfilment_order_lines (id, fulfilment_order_id, order_line_id, sku_id, sku_code, per_unit,"
        " quantity, picked, packed) VALUES "
        + ", ".join(f"({order} || '_fl{i}', {order} || '_fo{i}', {order} || '_{i}', :s{i}, 'BENCH', 1, :q{i}, 0, 0)"
                    for i in (1, 2, 3)) + ";",
        "INSERT INTO outbox (id, topic, version, key, payload, status, attempts, last_error, created_at,"
        f" available_at) VALUES ({order} || '_m1', 'order.created', 1, {order}, '{{}}'::jsonb, 'pending', 0, '',"
        f" now(), now()), ({order} || '_m2', 'stock.changed', 1, {order}, '{{}}'::jsonb, 'pending', 0, '', now(),"
        " now());",
        "WITH w(sku_id, location_id, qty) AS (VALUES (:s1::text, :w1::text, :q1::int), (:s2, :w2, :q2::int),"
        " (:s3, :w3, :q3::int)), locked AS (SELECT s.id FROM stock_levels s JOIN w ON s.sku_id = w.sku_id"
        " AND s.location_id = w.location_id ORDER BY s.id FOR UPDATE OF s)"
        " UPDATE stock_levels s SET allocated = s.allocated + w.qty, updated_at = now()"
        " FROM w WHERE s.sku_id = w.sku_id AND s.location_id = w.location_id AND s.id IN (SELECT id FROM locked)"
        " AND s.on_hand - s.allocated - s.reserved - s.safety_stock >= w.qty RETURNING s.sku_id;",
        "END;",
    ]
    return "\n".join(lines) + "\n"


def run(dsn: str, variant: str, clients: int, seconds: int, n_skus: int, n_hot: int, n_locations: int,
        channel_id: str) -> PgbenchResult:
    with tempfile.TemporaryDirectory(prefix="pgbench-") as tmp:
        path = Path(tmp) / f"place-{variant}.sql"
        path.write_text(script(variant, n_skus, n_hot, n_locations, channel_id))
        args = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f",
                str(path), "--log", f"--log-prefix={tmp}/log", dsn]
        out = subprocess.run(args, capture_output=True, text=True, cwd=tmp, check=True).stdout
        latencies = sorted(int(line.split()[2]) / 1000 for log in Path(tmp).glob("log*")
                           for line in log.read_text().splitlines() if line.strip())
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    failed = int(m.group(1)) if (m := re.search(r"number of failed transactions: (\d+)", out)) else 0
    return PgbenchResult(tps, _pct(latencies, 50), _pct(latencies, 99), len(latencies), failed)


def _pct(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))] if sorted_values else 0.0
