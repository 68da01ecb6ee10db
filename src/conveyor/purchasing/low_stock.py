"""Low-stock alerts as stock moves: one `stock.low` per crossing below a threshold, per SKU at
a location, whoever moved the stock (a unit-of-work reaction to `inventory.levels`, registered in
conveyor/wiring.py; docs/decisions.md 27 and 33).

Available-to-sell (ATS) = on hand − allocated − reserved − safety stock, at one location. The
threshold of a pair (`threshold_of`, pure):
- a replenishment setting's trigger: `min_max` → low below the minimum; `reorder_point` and
  `forecast` → low at or below the (hand-set) reorder point, as the review reads them;
- otherwise a safety stock above zero → low when nothing is left to sell above it (ATS ≤ 0);
- otherwise none: a pair nobody gave a level is not watched.

Exactly once per crossing: the pair's `low_stock_marks` row is inserted (ON CONFLICT DO NOTHING)
by the transaction that finds it low, and only the one that inserted it announces; it is deleted
when the pair is back above, which re-arms the alert. The level rows a transaction moved stay
locked until it commits, so the level it reads here is the one it leaves behind. (A hot-SKU pair
takes its units from buckets without locking the level row: two orders at once may both read the
level before either commits, and the crossing is then announced by the next movement that sees it.)

Thresholds are read through a cache (`THRESHOLDS_CACHE`, invalidated when a setting or a safety
stock changes here, within its time-to-live elsewhere): a movement of a pair without a threshold
— the common case on the placement hot path — costs no statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import and_, delete, or_, select

from conveyor.catalog.service import sku_codes
from conveyor.inventory.locations import get_location
from conveyor.inventory.service import THRESHOLDS_CACHE, LevelView, levels_of, safety_stocks
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.purchasing.model import LowStockMark, ReplenishmentSetting
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.sql import insert_ignoring_conflicts
from conveyor.shared.uow import UnitOfWork

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Threshold:
    level: int
    inclusive: bool  # low at the level itself (reorder point, safety stock) or only below (minimum)
    rule: str  # what people read: "at or below the reorder point of 5"

    def is_low(self, available: int) -> bool:
        return available <= self.level if self.inclusive else available < self.level


def threshold_of(method: str | None, minimum: int, reorder_point: int, safety_stock: int) -> Threshold | None:
    """A pair's threshold from its replenishment setting (None: no setting) and safety stock."""
    if method == "min_max":
        return Threshold(minimum, False, f"below the minimum of {minimum}")
    if method in ("reorder_point", "forecast"):
        return Threshold(reorder_point, True, f"at or below the reorder point of {reorder_point}")
    if safety_stock > 0:
        return Threshold(0, True, f"nothing left to sell above the safety stock of {safety_stock}")
    return None


def thresholds(uow: UnitOfWork) -> Mapping[Pair, Threshold]:
    """Every watched pair's threshold (cached)."""
    def load() -> Mapping[Pair, Threshold]:
        settings = {(r.sku_id, r.location_id): r for r in uow.session.execute(select(
            ReplenishmentSetting.sku_id, ReplenishmentSetting.location_id, ReplenishmentSetting.method,
            ReplenishmentSetting.minimum, ReplenishmentSetting.reorder_point))}
        safety = safety_stocks(uow)
        found = {}
        for pair in settings.keys() | safety.keys():
            row = settings.get(pair)
            threshold = threshold_of(row.method if row else None, row.minimum if row else 0,
                                     row.reorder_point if row else 0, safety.get(pair, 0))
            if threshold is not None:
                found[pair] = threshold
        return MappingProxyType(found)

    cached: Mapping[Pair, Threshold] | None = uow.caches.named(THRESHOLDS_CACHE).get("all", load)
    return cached if cached is not None else MappingProxyType({})


def available_to_sell(level: LevelView) -> int:
    return level.on_hand - level.allocated - level.reserved - level.safety_stock


def watch(uow: UnitOfWork, changed: dict[str, dict[str, Any]]) -> None:
    """The reaction: announce the pairs this transaction took below their threshold, re-arm the
    ones it brought back above."""
    known = thresholds(uow)
    pairs = sorted(pair for pair in (_pair(key) for key in changed) if pair in known)
    if not pairs:
        return
    levels = levels_of(uow, pairs)
    marked = _marked(uow, pairs)
    for pair in pairs:
        level = levels.get(pair)
        if level is None:
            continue
        available, threshold = available_to_sell(level), known[pair]
        if threshold.is_low(available) and pair not in marked:
            _announce(uow, level, available, threshold)
        elif not threshold.is_low(available) and pair in marked:
            _rearm(uow, pair)


def _pair(key: str) -> Pair:
    sku_id, _, location_id = key.partition("|")
    return sku_id, location_id


def _marked(uow: UnitOfWork, pairs: list[Pair]) -> set[Pair]:
    t = table_of(LowStockMark)
    wanted = or_(*(and_(t.c.sku_id == sku_id, t.c.location_id == location_id) for sku_id, location_id in pairs))
    return {(sku_id, location_id) for sku_id, location_id in uow.session.execute(
        select(t.c.sku_id, t.c.location_id).where(wanted))}


def _announce(uow: UnitOfWork, level: LevelView, available: int, threshold: Threshold) -> None:
    row = {"sku_id": level.sku_id, "location_id": level.location_id, "available": available,
           "threshold": threshold.level, "since": utcnow()}
    if not insert_ignoring_conflicts(uow.session, table_of(LowStockMark), [row], ["sku_id", "location_id"]):
        return  # another transaction announced this crossing
    location = get_location(uow, level.location_id)
    outbox.enqueue(uow, Topic.STOCK_LOW, level.sku_id, {
        "sku_id": level.sku_id, "sku": sku_codes(uow, [level.sku_id])[level.sku_id],
        "location_id": level.location_id, "location": location.code, "available": available,
        "threshold": threshold.level, "rule": threshold.rule, "on_hand": level.on_hand,
        "safety_stock": level.safety_stock})


def _rearm(uow: UnitOfWork, pair: Pair) -> None:
    t = table_of(LowStockMark)
    uow.session.execute(delete(t).where(t.c.sku_id == pair[0], t.c.location_id == pair[1]))
