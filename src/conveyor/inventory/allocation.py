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

from sqlalchemy import bindparam, text

from conveyor.inventory.ledger import StockChange
from conveyor.inventory.model import LedgerReason
from conveyor.shared.clock import utcnow
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


_SNAPSHOT = text(
    "SELECT l.location_id, l.sku_id, l.on_hand - l.allocated - l.reserved - l.safety_stock AS atp,"
    " loc.code, loc.priority, loc.latitude, loc.longitude, loc.type, loc.can_ship, loc.daily_capacity"
    " FROM stock_levels l JOIN locations loc ON loc.id = l.location_id"
    " WHERE loc.active = :active AND l.sku_id IN :skus").bindparams(bindparam("skus", expanding=True))


def read_snapshot(uow: UnitOfWork, sku_ids: set[str]) -> tuple[dict[str, LocationStock], dict[str, dict[str, int]]]:
    """Locations that hold any of `sku_ids` (active ones only) and available-to-promise there.

    Returns (locations by id, {location_id: {sku_id: atp}})."""
    if not sku_ids:
        return {}, {}
    rows = uow.session.execute(_SNAPSHOT, {"skus": sorted(sku_ids), "active": True})
    locations: dict[str, LocationStock] = {}
    atp: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        if row.location_id not in locations:
            locations[row.location_id] = LocationStock(
                row.location_id, row.code, row.priority, row.latitude, row.longitude, row.type,
                bool(row.can_ship), row.daily_capacity)
        atp[row.location_id][row.sku_id] = max(0, row.atp)
    return locations, dict(atp)


def aggregate(items: list[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """Sum quantities per (sku, location): one UPDATE row per pair."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for sku_id, location_id, qty in items:
        totals[(sku_id, location_id)] += qty
    return dict(totals)


def _values(totals: dict[tuple[str, str], int]) -> tuple[list[str], dict]:
    rows, params = [], {}
    for i, ((sku_id, location_id), qty) in enumerate(sorted(totals.items())):
        params.update({f"s{i}": sku_id, f"l{i}": location_id, f"q{i}": qty})
        rows.append(f"SELECT :s{i} AS sku_id, :l{i} AS location_id, CAST(:q{i} AS INTEGER) AS qty")
    return rows, params


def _allocate_sql(dialect: str, rows: list[str]) -> str:
    wanted = " UNION ALL ".join(rows)
    guard = "s.on_hand - s.allocated - s.reserved - s.safety_stock >= w.qty"
    if dialect == "postgresql":
        return (
            f"WITH w AS ({wanted}),"
            " locked AS (SELECT s.id FROM stock_levels s JOIN w ON s.sku_id = w.sku_id"
            " AND s.location_id = w.location_id ORDER BY s.id FOR UPDATE OF s)"
            " UPDATE stock_levels s SET allocated = s.allocated + w.qty, updated_at = :now FROM w"
            " WHERE s.sku_id = w.sku_id AND s.location_id = w.location_id"
            f" AND s.id IN (SELECT id FROM locked) AND {guard}"
            " RETURNING s.sku_id, s.location_id"
        )
    return (
        "UPDATE stock_levels AS s SET allocated = s.allocated + w.qty, updated_at = :now"
        f" FROM ({wanted}) AS w WHERE s.sku_id = w.sku_id AND s.location_id = w.location_id AND {guard}"
        " RETURNING sku_id, location_id"  # SQLite: RETURNING may not use the table alias
    )


def allocate_many(uow: UnitOfWork, totals: dict[tuple[str, str], int]) -> set[tuple[str, str]]:
    """Add `totals` to allocated where available-to-promise allows; return the pairs that fit."""
    if not totals:
        return set()
    rows, params = _values(totals)
    result = uow.session.execute(text(_allocate_sql(uow.dialect, rows)), {**params, "now": utcnow()})
    return {(r.sku_id, r.location_id) for r in result}


def release_many(uow: UnitOfWork, totals: dict[tuple[str, str], int]) -> None:
    """Undo allocations taken earlier in this same transaction (no guard needed)."""
    for (sku_id, location_id), qty in sorted(totals.items()):
        uow.session.execute(
            text("UPDATE stock_levels SET allocated = allocated - :q WHERE sku_id = :s AND location_id = :l"),
            {"q": qty, "s": sku_id, "l": location_id})


def allocation_ledger(totals: dict[tuple[str, str], int], order_id: str, release: bool = False) -> list[StockChange]:
    sign = -1 if release else 1
    reason = LedgerReason.RELEASE if release else LedgerReason.ALLOCATION
    return [StockChange(sku_id=s, location_id=loc, reason=reason, d_allocated=sign * q,
                        reference_type="order", reference_id=order_id)
            for (s, loc), q in sorted(totals.items())]
