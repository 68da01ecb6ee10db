"""Reports and KPIs: the read side. Like `conveyor.audit`, this module reads across areas' tables
on purpose (orders, lines, allocations, shipments, channels) in aggregate queries; nothing here
writes. Queries group by UTC day and currency in the database; `planning.kpis` rolls the days up
into weeks or months in the base currency.

What counts (docs/planning.md "Reports"):
- a sale is an order that is not cancelled, on the UTC day it was placed; its revenue is the
  order total (goods, tax and shipping, after discounts) in the order's currency;
- by SKU: units ordered less units cancelled; revenue = the line total pro rata for those units
  (order-level shipping is not a SKU's); by location: units allocated or shipped from there (kits
  in whole kit units), the line total pro rata.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import TextClause, bindparam, text

from conveyor.planning.kpis import DayRow, SalesPoint, ecb_convert, percentile, ratio, roll_up
from conveyor.shared.db import UtcDateTime
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.uow import UnitOfWork

DIMENSIONS = ("total", "channel", "sku", "location")
MAX_DAYS = 3 * 366


def day_sql(dialect: str, column: str) -> str:
    """The UTC calendar day of a timestamp column (a date on PostgreSQL — small and quick to group
    by —, 'YYYY-MM-DD' text on SQLite, which keeps UTC wall-clock text); read it with `as_day`."""
    if dialect == "postgresql":
        return f"CAST(({column} AT TIME ZONE 'UTC') AS date)"
    return f"substr({column}, 1, 10)"


def as_day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def query(sql: str) -> TextClause:
    """A report query whose :start and :end are bound as stored timestamps (same text on SQLite)."""
    return text(sql).bindparams(bindparam("start", type_=UtcDateTime), bindparam("end", type_=UtcDateTime))


def bounds(start: date, end: date) -> dict[str, datetime]:
    if end <= start or (end - start).days > MAX_DAYS:
        raise ValidationFailed(f"the period must be 1 to {MAX_DAYS} days (end after start)")
    return {"start": datetime.combine(start, time(), tzinfo=UTC), "end": datetime.combine(end, time(), tzinfo=UTC)}


_SALES = {
    "total": """SELECT {day} d, '' k, o.currency, COUNT(*), 0, SUM(o.total_minor) FROM orders o
                WHERE o.created_at >= :start AND o.created_at < :end AND o.status <> 'cancelled'
                GROUP BY {day}, o.currency""",
    # Grouped by channel id first, named after: the join then touches a few hundred rows, not every order.
    "channel": """SELECT g.d, c.code k, g.currency, g.n, 0, g.revenue FROM (
                      SELECT {day} d, o.channel_id, o.currency, COUNT(*) n, SUM(o.total_minor) revenue FROM orders o
                      WHERE o.created_at >= :start AND o.created_at < :end AND o.status <> 'cancelled'
                      GROUP BY {day}, o.channel_id, o.currency) g
                  JOIN channels c ON c.id = g.channel_id""",
    "sku": """SELECT {day} d, ol.sku_code k, o.currency, COUNT(DISTINCT o.id), SUM(ol.quantity - ol.cancelled),
                     SUM(ol.total_minor * (ol.quantity - ol.cancelled) / ol.quantity)
              FROM orders o JOIN order_lines ol ON ol.order_id = o.id
              WHERE o.created_at >= :start AND o.created_at < :end AND o.status <> 'cancelled'
                AND ol.quantity > ol.cancelled
              GROUP BY {day}, ol.sku_code, o.currency""",
    "location": """SELECT {day} d, loc.code k, o.currency, COUNT(DISTINCT o.id), SUM(x.units),
                          SUM(ol.total_minor * x.units / ol.quantity)
                   FROM (SELECT a.line_id, a.location_id, MAX((a.quantity + a.shipped) / a.per_unit) units
                         FROM allocations a JOIN orders oa ON oa.id = a.order_id
                         WHERE oa.created_at >= :start AND oa.created_at < :end
                         GROUP BY a.line_id, a.location_id) x
                   JOIN order_lines ol ON ol.id = x.line_id JOIN orders o ON o.id = ol.order_id
                   JOIN locations loc ON loc.id = x.location_id
                   WHERE o.status <> 'cancelled' AND x.units > 0
                   GROUP BY {day}, loc.code, o.currency""",
}


def sales_days(uow: UnitOfWork, start: date, end: date, by: str) -> list[DayRow]:
    """Sales grouped by UTC day, `by` (total, channel, SKU code, location code) and currency."""
    if by not in DIMENSIONS:
        raise ValidationFailed(f"by must be one of {', '.join(DIMENSIONS)}", by=by)
    sql = _SALES[by].format(day=day_sql(uow.dialect, "o.created_at"))
    rows = uow.session.execute(query(sql), bounds(start, end))
    return [DayRow(as_day(d), k, cur, int(n), int(u or 0), int(r or 0)) for d, k, cur, n, u, r in rows]


def sales(uow: UnitOfWork, start: date, end: date, by: str = "total", grain: str = "day", base: str = "USD",
          convert: Any = ecb_convert) -> list[SalesPoint]:
    """Orders, units and revenue per period (and channel / SKU / location), in `base` currency;
    each point's `average_order_minor` is the average order value."""
    return roll_up(sales_days(uow, start, end, by), grain, base, convert)


_SHIPPING = """
    SELECT o.id, o.created_at, MIN(s.created_at), COUNT(s.id), o.shipping_minor, o.currency
    FROM orders o JOIN shipments s ON s.order_id = o.id
    WHERE o.created_at >= :start AND o.created_at < :end AND o.status <> 'cancelled'
    GROUP BY o.id, o.created_at, o.shipping_minor, o.currency"""
_PLACED = """SELECT COUNT(*) FROM orders o
             WHERE o.created_at >= :start AND o.created_at < :end AND o.status <> 'cancelled'"""
_REROUTES = """
    SELECT e.order_id, e.data FROM order_events e JOIN orders o ON o.id = e.order_id
    WHERE e.type = 'order.rerouted' AND o.created_at >= :start AND o.created_at < :end"""


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite through a text() query: the stored UTC text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def fulfilment(uow: UnitOfWork, start: date, end: date, promise_hours: float = 48.0) -> dict[str, Any]:
    """Fulfilment KPIs of the orders placed in the period (see docs/planning.md "Reports")."""
    params = bounds(start, end)
    shipped = uow.session.execute(query(_SHIPPING), params).all()
    placed = int(uow.session.execute(query(_PLACED), params).scalar() or 0)
    hours = [(_aware(first) - _aware(created)).total_seconds() / 3600 for _, created, first, *_ in shipped]
    on_time = sum(1 for h in hours if h <= promise_hours)
    split = sum(1 for row in shipped if row[3] > 1)
    rerouted, short = set(), set()
    for order_id, data in uow.session.execute(query(_REROUTES), params):
        rerouted.add(order_id)
        reason = (data if isinstance(data, dict) else _json(data)).get("reason", "")
        if "short" in str(reason).lower():
            short.add(order_id)
    charged = [(row[4], row[5]) for row in shipped]
    currencies = {c for _, c in charged}
    return {
        "orders_placed": placed, "orders_shipped": len(shipped),
        "order_to_ship_hours_p50": percentile(hours, 50), "order_to_ship_hours_p90": percentile(hours, 90),
        "promise_hours": promise_hours, "on_time_ship_rate": ratio(on_time, len(shipped)),
        "split_rate": ratio(split, len(shipped)),
        "reroute_rate": ratio(len(rerouted), placed), "short_pick_rate": ratio(len(short), placed),
        # What customers paid for shipping, per shipped order (one currency only; else unknown).
        "shipping_charged_per_order_minor": (sum(m for m, _ in charged) // len(charged)
                                             if charged and len(currencies) == 1 else None),
        "shipping_charged_currency": currencies.pop() if len(currencies) == 1 else None,
        # Carrier cost is not recorded on shipments yet (a seam for the shipping area).
        "shipping_cost_per_order_minor": None,
    }


def ship_hours_by_day(uow: UnitOfWork, start: date, end: date) -> list[dict[str, Any]]:
    """Order-to-first-shipment time of the orders placed each UTC day (p50 and p90 hours, and how
    many shipped), for the dashboard's chart."""
    by_day: dict[date, list[float]] = {}
    for _, created, first, *_ in uow.session.execute(query(_SHIPPING), bounds(start, end)):
        created_at = _aware(created)
        by_day.setdefault(created_at.date(), []).append((_aware(first) - created_at).total_seconds() / 3600)
    return [{"day": day.isoformat(), "p50": percentile(hours, 50), "p90": percentile(hours, 90), "shipped": len(hours)}
            for day, hours in sorted(by_day.items())]


def _json(value: Any) -> dict[str, Any]:
    import json

    try:
        found = json.loads(value) if isinstance(value, str) else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


_RETURNS = """
    SELECT COALESCE(SUM(ol.shipped), 0), COALESCE(SUM(ol.returned), 0) FROM order_lines ol
    JOIN orders o ON o.id = ol.order_id WHERE o.created_at >= :start AND o.created_at < :end"""


# Why customers send things back: units asked for per reason on the RMAs of orders placed in the
# period (a rejected or cancelled RMA is no return), most units first.
_RETURN_REASONS = """
    SELECT rl.reason, SUM(rl.requested) AS units, COUNT(DISTINCT r.id) AS rmas FROM return_lines rl
    JOIN returns r ON r.id = rl.return_id JOIN orders o ON o.id = r.order_id
    WHERE o.created_at >= :start AND o.created_at < :end AND r.status NOT IN ('rejected', 'cancelled')
    GROUP BY rl.reason ORDER BY units DESC, rl.reason"""


def returns(uow: UnitOfWork, start: date, end: date) -> dict[str, Any]:
    """Units returned (received back) of units shipped, for orders placed in the period, and the
    reasons customers gave on their RMAs."""
    period = bounds(start, end)
    shipped, returned = uow.session.execute(query(_RETURNS), period).one()
    reasons = [{"reason": reason, "units": int(units), "returns": int(rmas)}
               for reason, units, rmas in uow.session.execute(query(_RETURN_REASONS), period)]
    return {"units_shipped": int(shipped), "units_returned": int(returned),
            "return_rate": ratio(int(returned), int(shipped)), "reasons": reasons}


