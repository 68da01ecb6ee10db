"""Reports, KPIs and forecasts: JSON, or CSV with `format=csv` (the dashboard draws the JSON)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.catalog.service import sku_id_of
from conveyor.inventory.locations import resolve_location
from conveyor.planning import handlers, reports, service, stock_reports
from conveyor.planning.kpis import csv_rows, money_text

router = APIRouter(tags=["reports"])

Format = Literal["json", "csv"]
Start = Annotated[date, Query(description="first day (UTC), inclusive")]
End = Annotated[date, Query(description="last day (UTC), exclusive")]
CurrencyQ = Annotated[str | None, Query(pattern=r"^[A-Z]{3}$", description="default: the report_currency setting")]


def csv_response(rows: Sequence[Sequence[Any]], filename: str) -> Response:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(["" if v is None else v for v in row] for row in rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _single(data: dict[str, Any], fmt: Format, filename: str) -> Response:
    if fmt == "csv":
        flat = {k: v for k, v in data.items() if not isinstance(v, list | dict)}
        return csv_response([list(flat), list(flat.values())], filename)
    return JSONResponse(data)


@router.get("/reports/sales", responses={200: {"content": {"text/csv": {}}}})
def sales(start: Start, end: End, _: Principal = Depends(require("reports:read")), c: Container = Depends(container),
          by: Literal["total", "channel", "sku", "location"] = "total",
          grain: Literal["day", "week", "month"] = "day", currency: CurrencyQ = None,
          format: Format = "json") -> Response:
    """Orders, units and revenue (and the average order value) per period and channel / SKU /
    location, converted to one currency at each day's ECB reference rate."""
    base = currency or c.settings.report_currency
    with c.reader() as uow:
        points = reports.sales(uow, start, end, by, grain, base)
    rows = [{"period": p.period, by: p.key, "orders": p.orders, "units": p.units,
             "revenue": money_text(p.revenue_minor, base),
             "average_order_value": money_text(p.average_order_minor, base), "currency": base} for p in points]
    if by == "total":
        for row in rows:
            row.pop("total")
    if format == "csv":
        fields = list(rows[0]) if rows else ["period", "orders", "units", "revenue", "average_order_value", "currency"]
        return csv_response(csv_rows(rows, fields), f"sales-{by}-{grain}-{start}-{end}.csv")
    return JSONResponse({"currency": base, "by": by, "grain": grain, "start": str(start), "end": str(end),
                         "items": rows})


@router.get("/reports/fulfilment", responses={200: {"content": {"text/csv": {}}}})
def fulfilment(start: Start, end: End, _: Principal = Depends(require("reports:read")),
               c: Container = Depends(container),
               promise_hours: Annotated[float, Query(gt=0, le=24 * 60)] = 48, format: Format = "json") -> Response:
    """Order-to-ship p50/p90 (hours), on-time ship rate, split rate, reroute and short-pick rates."""
    with c.reader() as uow:
        data = reports.fulfilment(uow, start, end, promise_hours)
    return _single(data, format, f"fulfilment-{start}-{end}.csv")


@router.get("/reports/inventory", responses={200: {"content": {"text/csv": {}}}})
def inventory(start: Start, end: End, _: Principal = Depends(require("reports:read")),
              c: Container = Depends(container), currency: CurrencyQ = None, format: Format = "json") -> Response:
    """Inventory value, turnover, days of supply and stock-out days (per SKU×location in CSV)."""
    base = currency or c.settings.report_currency
    with c.reader() as uow:
        data = stock_reports.inventory(uow, start, end, base)
    if format == "csv":
        return csv_response(csv_rows(data["stock_outs"], ["sku", "location", "stock_out_days"]),
                            f"stock-outs-{start}-{end}.csv")
    return JSONResponse(data)


@router.get("/reports/returns", responses={200: {"content": {"text/csv": {}}}})
def returns(start: Start, end: End, _: Principal = Depends(require("reports:read")),
            c: Container = Depends(container), format: Format = "json") -> Response:
    with c.reader() as uow:
        data = reports.returns(uow, start, end)
    return _single(data, format, f"returns-{start}-{end}.csv")


class ForecastOut(BaseModel):
    sku_id: str
    location_id: str
    starts_on: date
    method: str
    mean_daily: float
    daily: list[float]
    sigma: float
    wape: float | None
    mase: float | None
    demand_class: str
    history_days: int


@router.get("/forecasts")
def list_forecasts(_: Principal = Depends(require("reports:read")), c: Container = Depends(container),
                   sku: str | None = None, location: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> dict:
    """The stored forecast of each SKU×location, with its accuracy in the backtest (WAPE, MASE)."""
    with c.reader() as uow:
        sku_id = (sku_id_of(uow, sku) or "-") if sku else None
        location_id = resolve_location(uow, location).id if location else None
        page = service.list_forecasts(uow, limit, cursor, sku_id, location_id)
    items = [ForecastOut(sku_id=f.sku_id, location_id=f.location_id, starts_on=f.starts_on,
                         method=str(f.forecast.method), mean_daily=round(f.forecast.mean_daily, 4),
                         daily=list(f.forecast.daily), sigma=f.forecast.sigma, wape=f.forecast.wape,
                         mase=f.forecast.mase, demand_class=str(f.forecast.demand_class),
                         history_days=f.history_days).model_dump(mode="json") for f in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.post("/forecasts/run")
async def run_forecasts(_: Principal = Depends(require("planning:write")), c: Container = Depends(container)) -> dict:
    """Forecast every SKU×location from its order history now (the worker can do it on a schedule)."""
    done = await run_in_threadpool(handlers.run_forecasts, c)
    return {"series": done.series, "starts_on": str(done.starts_on), "methods": done.methods}
