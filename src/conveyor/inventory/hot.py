"""Hot-SKU mode: a SKU's stock at a location split over several bucket rows, so that a flash sale's
orders stop queueing on one row lock (model: `StockLevelBucket`).

- `enable(uow, sku, location, buckets)` creates the buckets and `refill` moves the free stock of the
  level row (above its reserved and safety stock) into them, evenly. `disable` folds them back.
- Placement `claim`s each hot pair's units from one bucket that nobody else holds
  (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer anyway): a claim never waits.
  When every bucket that could serve is held (more orders at once than buckets), the order waits
  for one of them picked at random; only when no single bucket has enough does it take across the
  level row and all the buckets.
- A change that takes units away (a release, a shipment, a count) goes to the level row first;
  if the level row alone can't take it, `spread` takes it across the level row and the buckets,
  all locked in id order (level first).

What a pair holds is always its level row plus its buckets; reads, counts and the audit add them
up. Moving stock between a level and its buckets changes no total, so it writes no ledger entry.
Which pairs are hot is cached per process (see shared/cache.py): a process that doesn't know yet
just allocates from the level row, which is correct, only slower.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select, update

from conveyor.inventory.model import StockLevel, StockLevelBucket
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.sql import driver_execute, driver_sql, stored_as
from conveyor.shared.uow import UnitOfWork

Pair = tuple[str, str]
HOT_CACHE = "hot_pairs"
MAX_BUCKETS = 64
# Buckets an order waits for, one after another, before it takes across all of a pair's rows.
WAITING_TRIES = 2


def hot_pairs(uow: UnitOfWork) -> frozenset[Pair]:
    """Every (sku, location) in hot mode (cached)."""
    def load() -> frozenset[Pair]:
        rows = uow.session.execute(select(StockLevelBucket.sku_id, StockLevelBucket.location_id).distinct())
        return frozenset((sku, loc) for sku, loc in rows)

    found: frozenset[Pair] | None = uow.caches.named(HOT_CACHE).get("all", load)
    return found or frozenset()


def _forget(uow: UnitOfWork) -> None:
    uow.after_commit(uow.caches.named(HOT_CACHE).invalidate)


def bucket_totals(uow: UnitOfWork, pairs: Iterable[Pair] | None = None) -> dict[Pair, tuple[int, int]]:
    """(on hand, allocated) held in buckets, per pair (only pairs that have buckets)."""
    query = select(StockLevelBucket.sku_id, StockLevelBucket.location_id, func.sum(StockLevelBucket.on_hand),
                   func.sum(StockLevelBucket.allocated)).group_by(StockLevelBucket.sku_id,
                                                                  StockLevelBucket.location_id)
    if pairs is not None:
        wanted = set(pairs)
        if not wanted:
            return {}
        query = query.where(StockLevelBucket.sku_id.in_({s for s, _ in wanted}))
        return {(s, loc): (int(oh), int(al)) for s, loc, oh, al in uow.session.execute(query) if (s, loc) in wanted}
    return {(s, loc): (int(oh), int(al)) for s, loc, oh, al in uow.session.execute(query)}


def _level(uow: UnitOfWork, sku_id: str, location_id: str) -> StockLevel:
    query = select(StockLevel).where(StockLevel.sku_id == sku_id, StockLevel.location_id == location_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    level = uow.session.scalar(query.execution_options(populate_existing=True))
    if level is None:
        raise ValidationFailed("this SKU has no stock level at that location", ErrorCode.UNKNOWN_SKU)
    return level


def _buckets(uow: UnitOfWork, sku_id: str, location_id: str) -> list[StockLevelBucket]:
    query = (select(StockLevelBucket).where(StockLevelBucket.sku_id == sku_id,
                                            StockLevelBucket.location_id == location_id)
             .order_by(StockLevelBucket.id).execution_options(populate_existing=True))
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    return list(uow.session.scalars(query))


def enable(uow: UnitOfWork, sku_id: str, location_id: str, buckets: int) -> int:
    """Put a pair in hot mode with `buckets` buckets (more are added, none removed); returns the
    units now in buckets."""
    if not 2 <= buckets <= MAX_BUCKETS:
        raise ValidationFailed(f"buckets must be between 2 and {MAX_BUCKETS}", ErrorCode.INVALID_QUANTITY)
    _level(uow, sku_id, location_id)  # the level row's lock comes first, as in every change here
    have = {b.bucket for b in _buckets(uow, sku_id, location_id)}
    uow.session.add_all(StockLevelBucket(id=ids.new_id("bucket"), sku_id=sku_id, location_id=location_id, bucket=n,
                                         on_hand=0, allocated=0, updated_at=utcnow())
                        for n in range(buckets) if n not in have)
    uow.session.flush()
    _forget(uow)
    return refill(uow, sku_id, location_id)


def refill(uow: UnitOfWork, sku_id: str, location_id: str) -> int:
    """Even out free stock between the level row (keeping its reserved and safety stock) and the
    buckets; returns the units in buckets afterwards."""
    level, buckets = _level(uow, sku_id, location_id), _buckets(uow, sku_id, location_id)
    if not buckets:
        return 0
    free = [b.on_hand - b.allocated for b in buckets]
    level_free = max(0, level.on_hand - level.allocated - level.reserved - level.safety_stock)
    pool = level_free + sum(free)
    share, extra = divmod(pool, len(buckets))
    for n, b in enumerate(buckets):
        target = share + (1 if n < extra else 0)
        b.on_hand += target - free[n]
        b.updated_at = utcnow()
    level.on_hand -= level_free  # all of the level row's free stock is now in the buckets
    level.updated_at = utcnow()
    uow.session.flush()
    return sum(b.on_hand for b in buckets)


def disable(uow: UnitOfWork, sku_id: str, location_id: str) -> None:
    """Fold the buckets back into the level row."""
    level, buckets = _level(uow, sku_id, location_id), _buckets(uow, sku_id, location_id)
    level.on_hand += sum(b.on_hand for b in buckets)
    level.allocated += sum(b.allocated for b in buckets)
    level.updated_at = utcnow()
    uow.session.flush()
    uow.session.execute(delete(StockLevelBucket).where(StockLevelBucket.id.in_([b.id for b in buckets])))
    _forget(uow)


def take(uow: UnitOfWork, sku_id: str, location_id: str, quantity: int) -> bool:
    """Allocate `quantity` of a hot pair: from one free bucket if one can (never waiting); else, when
    every bucket that could was held by another order, from one of those, waiting for it; else across
    the level row and the buckets, waiting for their locks; False when the pair as a whole hasn't that
    much free stock."""
    return (claim(uow, sku_id, location_id, quantity) or _claim_waiting(uow, sku_id, location_id, quantity)
            or _take_across(uow, sku_id, location_id, quantity))


def _take_across(uow: UnitOfWork, sku_id: str, location_id: str, quantity: int) -> bool:
    level, buckets = _level(uow, sku_id, location_id), _buckets(uow, sku_id, location_id)
    level_free = max(0, level.on_hand - level.allocated - level.reserved - level.safety_stock)
    frees = [level_free, *(b.on_hand - b.allocated for b in buckets)]
    if sum(frees) < quantity:
        return False
    need = quantity
    rows: list[Any] = [level, *buckets]
    for row, free in zip(rows, frees, strict=True):
        part = min(need, free)
        row.allocated += part
        need -= part
    uow.session.flush()
    return True


def claim(uow: UnitOfWork, sku_id: str, location_id: str, quantity: int) -> bool:
    """Allocate `quantity` from one bucket nobody else holds; False when none can. (Driver SQL: a
    batch of orders claims once per hot pair, on the hot path.)"""
    skip_locked = " FOR UPDATE SKIP LOCKED" if uow.dialect == "postgresql" else ""
    sql = driver_sql(uow.dialect, "claim", lambda mark: _CLAIM.format(mark=mark, skip_locked=skip_locked))
    stamp = stored_as(_BUCKET_UPDATED_AT, uow.session.get_bind().dialect)(utcnow())
    return bool(driver_execute(uow.session.connection(), sql, (quantity, stamp, sku_id, location_id, quantity)))


_CLAIM = ("UPDATE stock_level_buckets SET allocated = allocated + {mark}, updated_at = {mark}"
          " WHERE id = (SELECT id FROM stock_level_buckets WHERE sku_id = {mark} AND location_id = {mark}"
          " AND on_hand - allocated >= {mark} ORDER BY bucket LIMIT 1{skip_locked}) RETURNING id")
_BUCKET_UPDATED_AT = table_of(StockLevelBucket).c.updated_at


def _claim_waiting(uow: UnitOfWork, sku_id: str, location_id: str, quantity: int) -> bool:
    """More orders at once than buckets: wait for one bucket that holds enough, picked at random so
    the waiting orders spread over the buckets — not for the level row and every bucket, which would
    queue them all behind one another again (a flash sale on 8 buckets with 64 clients fell to half
    the rate of no buckets at all). The UPDATE re-checks the free stock once it has the lock, so a
    bucket drained meanwhile is simply not taken. PostgreSQL only: SQLite has one writer, so a claim
    never finds its bucket held.

    Only while every bucket could serve the order: as the stock runs out, the orders in flight hold
    claims that a fresh read can't see yet, and waiting for a random bucket would let the losers
    retry on such reads again and again (some ran out of attempts: `busy`). Taking across waits for
    everyone in flight instead, and then sees the truth."""
    if uow.dialect != "postgresql":
        return False
    table = table_of(StockLevelBucket)
    free = uow.session.execute(select(table.c.id, table.c.on_hand - table.c.allocated).where(
        table.c.sku_id == sku_id, table.c.location_id == location_id)).all()
    if not free or any(units < quantity for _, units in free):
        return False
    enough = table.c.on_hand - table.c.allocated >= quantity
    candidates = [bucket_id for bucket_id, _ in free]
    random.shuffle(candidates)
    for bucket_id in candidates[:WAITING_TRIES]:
        done = uow.session.execute(update(table).where(table.c.id == bucket_id, enough)
                                   .values(allocated=table.c.allocated + quantity, updated_at=utcnow())
                                   .returning(table.c.id)).first()
        if done is not None:
            return True
    return False


def spread(uow: UnitOfWork, sku_id: str, location_id: str, d_on_hand: int, d_allocated: int) -> bool:
    """Take units away across the level row and the buckets (releases: allocated only; shipments:
    on hand and allocated together; counts and adjustments: free on hand only). False if they can't."""
    release = d_on_hand == 0 and d_allocated < 0
    shipment = d_on_hand == d_allocated < 0
    free_stock = d_on_hand < 0 and d_allocated == 0
    if not (release or shipment or free_stock):
        return False
    level, buckets = _level(uow, sku_id, location_id), _buckets(uow, sku_id, location_id)
    rows: list[Any] = [level, *buckets]
    need = -(d_allocated or d_on_hand)
    for row in rows:
        if need <= 0:
            break
        room = _room(row, row is level, d_on_hand, d_allocated)
        take = min(need, room)
        if take > 0:
            row.allocated -= take if d_allocated else 0
            row.on_hand -= take if d_on_hand else 0
            need -= take
    if need > 0:
        uow.session.expire_all()  # nothing half-applied stays in the session
        return False
    uow.session.flush()
    return True


def _room(row: Any, is_level: bool, d_on_hand: int, d_allocated: int) -> int:
    """How many units this row can give for a change of this shape."""
    if d_allocated and not d_on_hand:
        return int(row.allocated)  # a release
    if d_allocated:
        return min(int(row.allocated), int(row.on_hand))  # a shipment: allocated units leave
    committed = row.allocated + (row.reserved if is_level else 0)
    return max(0, int(row.on_hand - committed))  # free stock only
