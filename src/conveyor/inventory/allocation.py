"""The hot path of stock: read a routing snapshot in one query, and commit a whole plan's
allocations in one guarded multi-row UPDATE that returns the rows it changed.

A row that is not returned did not have the stock any more (someone got there first); the caller
decides whether to re-route or give up. On PostgreSQL the rows are locked in primary-key order
first (a CTE with FOR UPDATE), so concurrent placements never deadlock; on SQLite writers are
serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import text

from conveyor.inventory.hot import hot_pairs, spread, take
from conveyor.inventory.ledger import StockChange
from conveyor.inventory.model import LedgerReason, StockLevel
from conveyor.shared.clock import utcnow
from conveyor.shared.sql import driver_execute, driver_sql, stored_as
from conveyor.shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class LocationStock:
    location_id: str
    code: str
    priority: int
    latitude: float | None
    longitude: float | None
    type: str
    can_ship: bool
    daily_capacity: int | None


_SNAPSHOT = (
    "SELECT l.location_id, l.sku_id, l.on_hand - l.allocated - l.reserved - l.safety_stock AS atp,"
    " loc.code, loc.priority, loc.latitude, loc.longitude, loc.type, loc.can_ship, loc.daily_capacity,"
    " {in_buckets} AS in_buckets"
    " FROM stock_levels l JOIN locations loc ON loc.id = l.location_id{buckets}"
    " WHERE loc.active = {mark} AND l.sku_id IN ({marks})")
# With hot SKUs among the order's (inventory/hot.py): the free units of their buckets, in the same statement.
_BUCKETS = (" LEFT JOIN (SELECT sku_id, location_id, SUM(on_hand - allocated) AS free FROM stock_level_buckets"
            " GROUP BY sku_id, location_id) b ON b.sku_id = l.sku_id AND b.location_id = l.location_id")


def read_snapshot(uow: UnitOfWork, sku_ids: set[str]) -> tuple[dict[str, LocationStock], dict[str, dict[str, int]]]:
    """Locations that hold any of `sku_ids` (active ones only) and available-to-promise there.

    Returns (locations by id, {location_id: {sku_id: atp}})."""
    if not sku_ids:
        return {}, {}
    # Buckets of a hot SKU (inventory/hot.py): their free stock counts too - for the pairs this
    # process knows are hot (a pair it doesn't know yet is allocated from its level row alone).
    hot = {pair for pair in hot_pairs(uow) if pair[0] in sku_ids}
    sql = driver_sql(uow.dialect, f"snapshot{'-hot' if hot else ''}-{len(sku_ids)}", lambda mark: _SNAPSHOT.format(
        mark=mark, marks=", ".join([mark] * len(sku_ids)), in_buckets="COALESCE(b.free, 0)" if hot else "0",
        buckets=_BUCKETS if hot else ""))
    rows = driver_execute(uow.session.connection(), sql, (True, *sorted(sku_ids)))
    locations: dict[str, LocationStock] = {}
    atp: dict[str, dict[str, int]] = defaultdict(dict)
    for location_id, sku_id, available, code, priority, lat, lon, kind, can_ship, capacity, in_buckets in rows:
        if location_id not in locations:
            locations[location_id] = LocationStock(location_id, code, priority, lat, lon, kind, bool(can_ship),
                                                   capacity)
        atp[location_id][sku_id] = max(0, available) + (int(in_buckets) if (sku_id, location_id) in hot else 0)
    return locations, dict(atp)


def aggregate(items: list[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """Sum quantities per (sku, location): one UPDATE row per pair."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for sku_id, location_id, qty in items:
        totals[(sku_id, location_id)] += qty
    return dict(totals)


_GUARD = "s.on_hand - s.allocated - s.reserved - s.safety_stock >= w.qty"


def _allocate_sql(dialect: str, mark: str, count: int) -> str:
    if dialect == "postgresql":
        values = ", ".join([f"({mark}::text, {mark}::text, {mark}::int)"] * count)
        return (
            f"WITH w(sku_id, location_id, qty) AS (VALUES {values}),"
            " locked AS (SELECT s.id FROM stock_levels s JOIN w ON s.sku_id = w.sku_id"
            " AND s.location_id = w.location_id ORDER BY s.id FOR UPDATE OF s)"
            f" UPDATE stock_levels s SET allocated = s.allocated + w.qty, updated_at = {mark} FROM w"
            " WHERE s.sku_id = w.sku_id AND s.location_id = w.location_id"
            f" AND s.id IN (SELECT id FROM locked) AND {_GUARD}"
            " RETURNING s.sku_id, s.location_id"
        )
    wanted = " UNION ALL ".join([f"SELECT {mark} AS sku_id, {mark} AS location_id, CAST({mark} AS INTEGER) AS qty"]
                                * count)
    return (
        f"UPDATE stock_levels AS s SET allocated = s.allocated + w.qty, updated_at = {mark}"
        f" FROM ({wanted}) AS w WHERE s.sku_id = w.sku_id AND s.location_id = w.location_id AND {_GUARD}"
        " RETURNING sku_id, location_id"  # SQLite: RETURNING may not use the table alias
    )


def allocate_many(uow: UnitOfWork, totals: dict[tuple[str, str], int]) -> set[tuple[str, str]]:
    """Add `totals` to allocated where available-to-promise allows; return the pairs that fit.
    Rows are taken in (sku, location) order; on PostgreSQL they are locked in id order first.
    Pairs in hot-SKU mode take their units from a free bucket first, never waiting (inventory/hot.py)."""
    if not totals:
        return set()
    hot = hot_pairs(uow)
    levels = {pair: qty for pair, qty in totals.items() if pair not in hot}
    # Level rows first (locked in id order), then hot pairs: a free bucket never waits; taking across
    # a hot pair's rows waits last, after everything else this transaction locks.
    taken = _allocate_levels(uow, levels) if levels else set()
    return taken | {pair for pair, qty in sorted(totals.items()) if pair in hot and take(uow, *pair, qty)}


def _allocate_levels(uow: UnitOfWork, totals: dict[tuple[str, str], int]) -> set[tuple[str, str]]:
    connection = uow.session.connection()
    sql = driver_sql(uow.dialect, f"allocate-{len(totals)}", lambda mark: _allocate_sql(uow.dialect, mark, len(totals)))
    rows = [v for (sku_id, location_id), qty in sorted(totals.items()) for v in (sku_id, location_id, qty)]
    now = stored_as(_UPDATED_AT, connection.dialect)(utcnow())
    params = (*rows, now) if uow.dialect == "postgresql" else (now, *rows)
    return {(sku_id, location_id) for sku_id, location_id in driver_execute(connection, sql, params)}


_UPDATED_AT = StockLevel.__table__.c.updated_at


def release_many(uow: UnitOfWork, totals: dict[tuple[str, str], int]) -> None:
    """Undo allocations taken earlier in this same transaction (no guard needed on a level row)."""
    hot = hot_pairs(uow)
    for (sku_id, location_id), qty in sorted(totals.items()):
        if (sku_id, location_id) in hot:
            spread(uow, sku_id, location_id, 0, -qty)
            continue
        uow.session.execute(
            text("UPDATE stock_levels SET allocated = allocated - :q WHERE sku_id = :s AND location_id = :l"),
            {"q": qty, "s": sku_id, "l": location_id})


def allocation_ledger(totals: dict[tuple[str, str], int], order_id: str, release: bool = False) -> list[StockChange]:
    sign = -1 if release else 1
    reason = LedgerReason.RELEASE if release else LedgerReason.ALLOCATION
    return [StockChange(sku_id=s, location_id=loc, reason=reason, d_allocated=sign * q,
                        reference_type="order", reference_id=order_id)
            for (s, loc), q in sorted(totals.items())]
