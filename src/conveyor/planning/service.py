"""Stored forecasts: write the latest per SKU×location, read them back as `planning.forecast.Forecast`.

Never commits (`planning/handlers.py` does). The demand history itself comes from the orders area
(`orders.supply.daily_demand`) through the handler: planning reads no other area's tables here."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select

from conveyor.planning.forecast import Forecast, Method
from conveyor.planning.metrics import DemandClass
from conveyor.planning.model import DemandForecast
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class StoredForecast:
    sku_id: str
    location_id: str
    starts_on: date
    forecast: Forecast
    history_days: int
    created_at: datetime


def store_forecasts(uow: UnitOfWork, starts_on: date,
                    results: Iterable[tuple[str, str, int, Forecast]]) -> int:
    """Replace the stored forecast of each (sku id, location id, history days, forecast) given."""
    now = utcnow()
    rows = [{"id": ids.new_id("forecast"), "sku_id": sku_id, "location_id": location_id, "starts_on": starts_on,
             "method": str(f.method), "daily": [round(v, 4) for v in f.daily], "sigma": float(f.sigma),
             "wape": f.wape, "mase": f.mase, "demand_class": str(f.demand_class), "history_days": days,
             "backtest_days": f.backtest_days, "created_at": now}
            for sku_id, location_id, days, f in results]
    table = table_of(DemandForecast)
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        keys = {r["sku_id"] for r in chunk}
        pairs = {(r["sku_id"], r["location_id"]) for r in chunk}
        stale = [fid for fid, s, loc in uow.session.execute(
            select(table.c.id, table.c.sku_id, table.c.location_id).where(table.c.sku_id.in_(keys)))
            if (s, loc) in pairs]
        if stale:
            uow.session.execute(delete(table).where(table.c.id.in_(stale)))
        uow.session.execute(table.insert(), chunk)
    return len(rows)


def _stored(row: DemandForecast) -> StoredForecast:
    forecast = Forecast(method=Method(row.method), daily=tuple(row.daily), sigma=row.sigma,
                        fitted_days=row.history_days, wape=row.wape, mase=row.mase,
                        demand_class=DemandClass(row.demand_class), backtest_days=row.backtest_days)
    return StoredForecast(row.sku_id, row.location_id, row.starts_on, forecast, row.history_days, row.created_at)


def forecasts_for(uow: UnitOfWork, sku_ids: Collection[str] | None = None) -> dict[tuple[str, str], StoredForecast]:
    """{(sku id, location id): the stored forecast}."""
    query = select(DemandForecast)
    if sku_ids is not None:
        query = query.where(DemandForecast.sku_id.in_(list(sku_ids)))
    return {(r.sku_id, r.location_id): _stored(r) for r in uow.session.scalars(query)}


def list_forecasts(uow: UnitOfWork, limit: int, cursor: str | None, sku_id: str | None = None,
                   location_id: str | None = None) -> Page[StoredForecast]:
    query = select(DemandForecast)
    if sku_id:
        query = query.where(DemandForecast.sku_id == sku_id)
    if location_id:
        query = query.where(DemandForecast.location_id == location_id)
    page = paginate(uow.session, query, DemandForecast.id, limit, cursor, newest_first=False)
    return Page([_stored(r) for r in page.items], page.next_cursor)
