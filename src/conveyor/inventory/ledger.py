"""Writing stock changes: every change is a guarded relative UPDATE of the level plus a ledger
entry, in the caller's transaction. Never read-then-write.

The guard is one WHERE clause that holds for every kind of change: no bucket goes negative,
allocated + reserved never exceed on hand, and a change that commits more stock (allocation or
reservation) must leave the safety stock untouched. Rows are updated in (sku, location) order so
that two transactions on PostgreSQL always lock them in the same order and cannot deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, and_, literal, update

from conveyor.inventory import hot
from conveyor.inventory.model import StockLedgerEntry, StockLevel
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.sql import insert_ignoring_conflicts
from conveyor.shared.uow import UnitOfWork


@dataclass(slots=True)
class StockChange:
    sku_id: str
    location_id: str
    reason: str
    d_on_hand: int = 0
    d_allocated: int = 0
    d_reserved: int = 0
    d_incoming: int = 0
    d_quarantined: int = 0
    reference_type: str | None = None
    reference_id: str | None = None
    note: str = ""

    @property
    def commits_more(self) -> bool:
        return self.d_allocated > 0 or self.d_reserved > 0


# What a unit of work says after any stock movement, keyed "sku_id|location_id": reactions that
# watch available-to-sell (low-stock alerts, purchasing/low_stock.py) follow it (conveyor/wiring.py).
STOCK_LEVELS_CHANGED = "inventory.levels"


def pair_key(sku_id: str, location_id: str) -> str:
    return f"{sku_id}|{location_id}"


class InsufficientStock(DomainError):
    def __init__(self, detail: str, shortages: list[dict]) -> None:
        super().__init__(ErrorCode.INSUFFICIENT_STOCK, detail, shortages=shortages)


def ensure_levels(uow: UnitOfWork, pairs: set[tuple[str, str]]) -> None:
    """Create missing (sku, location) level rows at zero; existing rows are left alone."""
    rows = [{"id": ids.new_id("level"), "sku_id": s, "location_id": loc, "on_hand": 0, "allocated": 0,
             "reserved": 0, "incoming": 0, "safety_stock": 0, "quarantined": 0, "updated_at": utcnow()}
            for s, loc in sorted(pairs)]
    insert_ignoring_conflicts(uow.session, table_of(StockLevel), rows, ["sku_id", "location_id"])


def _guarded_update(change: StockChange):
    t = table_of(StockLevel).c
    on_hand = t.on_hand + change.d_on_hand
    allocated = t.allocated + change.d_allocated
    reserved = t.reserved + change.d_reserved
    incoming = t.incoming + change.d_incoming
    quarantined = t.quarantined + change.d_quarantined
    guard = and_(
        t.sku_id == change.sku_id, t.location_id == change.location_id,
        on_hand >= 0, allocated >= 0, reserved >= 0, incoming >= 0, quarantined >= 0,
        allocated + reserved <= on_hand,
    )
    if change.commits_more:
        guard = and_(guard, on_hand - allocated - reserved >= t.safety_stock)
    return (
        update(table_of(StockLevel)).where(guard)
        .values(on_hand=on_hand, allocated=allocated, reserved=reserved, incoming=incoming,
                quarantined=quarantined, updated_at=literal(utcnow()))
    )


def apply_changes(uow: UnitOfWork, changes: list[StockChange], actor: str = "system",
                  create_missing: bool = True) -> None:
    """Apply all changes or raise InsufficientStock naming every change that did not fit.

    The caller's transaction is left to roll back on error: nothing half-written survives."""
    if not changes:
        return
    if create_missing:
        ensure_levels(uow, {(c.sku_id, c.location_id) for c in changes})
    failed = []
    for change in sorted(changes, key=lambda c: (c.sku_id, c.location_id)):
        if cast(CursorResult, uow.session.execute(_guarded_update(change))).rowcount != 1 \
                and not _spread_over_buckets(uow, change):
            failed.append(change)
    if failed:
        raise InsufficientStock(
            "not enough stock for " + ", ".join(f"{c.sku_id} at {c.location_id}" for c in failed),
            [{"sku_id": c.sku_id, "location_id": c.location_id, "reason": c.reason,
              "d_on_hand": c.d_on_hand, "d_allocated": c.d_allocated, "d_reserved": c.d_reserved,
              "d_quarantined": c.d_quarantined}
             for c in failed],
        )
    write_ledger(uow, changes, actor)


def _spread_over_buckets(uow: UnitOfWork, change: StockChange) -> bool:
    """A pair in hot-SKU mode holds units in buckets too: a change the level row alone can't take
    is taken across the row and its buckets (inventory/hot.py)."""
    pair = (change.sku_id, change.location_id)
    if change.d_reserved or change.d_incoming or change.d_quarantined or pair not in hot.bucket_totals(uow, [pair]):
        return False
    return hot.spread(uow, change.sku_id, change.location_id, change.d_on_hand, change.d_allocated)


def write_ledger(uow: UnitOfWork, changes: list[StockChange], actor: str) -> None:
    """Queue the ledger entries of changes already applied to the levels, and one `stock.changed`
    message naming the SKUs and locations touched, so channel stock sync (and anyone else) hears
    of every change. Both are deferred inserts: they leave with the transaction's other rows."""
    if not changes:
        return
    now = utcnow()
    uow.defer_insert(table_of(StockLedgerEntry), [
        {"id": ids.new_id("ledger"), "sku_id": c.sku_id, "location_id": c.location_id, "reason": str(c.reason),
         "d_on_hand": c.d_on_hand, "d_allocated": c.d_allocated, "d_reserved": c.d_reserved,
         "d_incoming": c.d_incoming, "d_quarantined": c.d_quarantined,
         "reference_type": c.reference_type, "reference_id": c.reference_id,
         "note": c.note, "actor": actor, "created_at": now}
        for c in changes])
    for sku_id, location_id in sorted({(c.sku_id, c.location_id) for c in changes}):
        uow.changed(STOCK_LEVELS_CHANGED, pair_key(sku_id, location_id))
    outbox.enqueue(uow, Topic.STOCK_CHANGED, changes[0].reference_id or "", {
        "reasons": sorted({str(c.reason) for c in changes}),
        "sku_ids": sorted({c.sku_id for c in changes}),
        "location_ids": sorted({c.location_id for c in changes})})
