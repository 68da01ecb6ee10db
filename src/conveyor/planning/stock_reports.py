"""Inventory KPIs: the read side of stock (like `planning.reports`, it reads across areas' tables —
stock levels, the ledger, supplier costs, locations — in aggregate queries and writes nothing).

Past stock is rebuilt from the ledger, which is the truth: a level at the start of a day is today's
level minus every ledger change since then.

- inventory value: units on hand × unit cost (the preferred supplier's, else the lowest), in the base
  currency; units without any supplier cost are counted as `unvalued_units`;
- turnover: cost of the units shipped in the period ÷ the average of the inventory value at its
  start and end; days of supply: units on hand at the end ÷ units shipped per day in the period;
- stock-out days: per SKU×location at an active location, the days of the period that closed with
  nothing available to sell (on hand − allocated − reserved ≤ 0).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, text

from conveyor.planning.kpis import Convert, days, ecb_convert, to_base
from conveyor.planning.reports import as_day, bounds, day_sql
from conveyor.shared.db import UtcDateTime
from conveyor.shared.uow import UnitOfWork

_LEVELS = text("""SELECT l.sku_id, l.location_id, l.on_hand, l.allocated, l.reserved, loc.active, s.code, loc.code
                  FROM stock_levels l JOIN locations loc ON loc.id = l.location_id JOIN skus s ON s.id = l.sku_id""")
_COSTS = text("""SELECT i.sku_id, i.unit_cost_minor, sup.currency, i.preferred FROM supplier_items i
                 JOIN suppliers sup ON sup.id = i.supplier_id WHERE i.active = :yes AND sup.active = :yes""")
_CHANGES = """SELECT sku_id, location_id, {day} d, SUM(d_on_hand), SUM(d_allocated), SUM(d_reserved),
                     SUM(CASE WHEN reason = 'shipment' THEN -d_on_hand ELSE 0 END)
              FROM stock_ledger WHERE created_at >= :start
              GROUP BY sku_id, location_id, {day}"""


@dataclass(frozen=True, slots=True)
class Pair:
    sku: str
    location: str
    active: bool
    now: tuple[int, int, int]  # on hand, allocated, reserved


def _unit_costs(uow: UnitOfWork, base: str, day: date, convert: Convert) -> dict[str, int]:
    """Per SKU: the preferred supplier's unit cost, else the lowest, in base minor units."""
    best: dict[str, tuple[bool, int]] = {}
    for sku_id, minor, currency, preferred in uow.session.execute(_COSTS, {"yes": True}):
        cost = to_base(int(minor), currency, base, day, convert)
        key = (not preferred, cost)
        if sku_id not in best or key < best[sku_id]:
            best[sku_id] = key
    return {sku_id: cost for sku_id, (_, cost) in best.items()}


def _changes(uow: UnitOfWork, start: date, end: date) -> dict[tuple[str, str], dict[date, tuple[int, ...]]]:
    """Ledger changes per SKU×location and UTC day from `start` until now (on hand, allocated,
    reserved, shipped)."""
    sql = _CHANGES.format(day=day_sql(uow.dialect, "created_at"))
    found: dict[tuple[str, str], dict[date, tuple[int, ...]]] = defaultdict(dict)
    since = text(sql).bindparams(bindparam("start", type_=UtcDateTime))
    for sku_id, loc, d, oh, al, re, shipped in uow.session.execute(since, {"start": bounds(start, end)["start"]}):
        found[(sku_id, loc)][as_day(d)] = (int(oh), int(al), int(re), int(shipped))
    return found


def _closing(now: tuple[int, int, int], changes: dict[date, tuple[int, ...]], period: list[date]
             ) -> dict[date, tuple[int, int, int]]:
    """(on hand, allocated, reserved) at the end of each day of the period, walking back from now."""
    later = [d for d in changes if d > period[-1]]
    level = [now[i] - sum(changes[d][i] for d in later) for i in range(3)]
    closing = {}
    for day in reversed(period):
        closing[day] = (level[0], level[1], level[2])
        step = changes.get(day, (0, 0, 0, 0))
        level = [level[i] - step[i] for i in range(3)]
    return closing


def inventory(uow: UnitOfWork, start: date, end: date, base: str = "USD",
              convert: Convert = ecb_convert) -> dict[str, Any]:
    period = days(start, end)
    bounds(start, end)  # validates the period
    costs = _unit_costs(uow, base, end - timedelta(days=1), convert)
    changes = _changes(uow, start, end)
    pairs = {(r[0], r[1]): Pair(r[6], r[7], bool(r[5]), (int(r[2]), int(r[3]), int(r[4])))
             for r in uow.session.execute(_LEVELS)}
    totals = {"value_start": 0, "value_end": 0, "cogs": 0, "shipped": 0, "on_hand_end": 0, "unvalued_units": 0}
    stockouts: list[dict[str, Any]] = []
    opening_day = start - timedelta(days=1)
    for key, pair in sorted(pairs.items(), key=lambda kv: (kv[1].sku, kv[1].location)):
        closing = _closing(pair.now, changes.get(key, {}), [opening_day, *period])
        cost = costs.get(key[0])
        shipped = sum(v[3] for d, v in changes.get(key, {}).items() if start <= d < end)
        _add_value(totals, cost, closing[opening_day][0], closing[period[-1]][0], shipped)
        out = sum(1 for d in period if closing[d][0] - closing[d][1] - closing[d][2] <= 0)
        if pair.active and out:
            stockouts.append({"sku": pair.sku, "location": pair.location, "stock_out_days": out})
    average = (totals["value_start"] + totals["value_end"]) / 2
    per_day = totals["shipped"] / len(period)
    return {
        "currency": base, "days": len(period),
        "inventory_value_minor": totals["value_end"], "inventory_value_start_minor": totals["value_start"],
        "unvalued_units": totals["unvalued_units"], "units_shipped": totals["shipped"],
        "cost_of_goods_shipped_minor": totals["cogs"],
        "turnover": round(totals["cogs"] / average, 4) if average else None,
        "days_of_supply": round(totals["on_hand_end"] / per_day, 2) if per_day else None,
        "stock_out_days": sum(s["stock_out_days"] for s in stockouts), "stock_outs": stockouts,
    }


def _add_value(totals: dict[str, int], cost: int | None, opening: int, closing: int, shipped: int) -> None:
    totals["shipped"] += shipped
    totals["on_hand_end"] += closing
    if cost is None:
        totals["unvalued_units"] += closing
        return
    totals["value_start"] += opening * cost
    totals["value_end"] += closing * cost
    totals["cogs"] += shipped * cost
