"""Overview: today's orders and revenue, orders waiting per state, late shipments, low stock,
exceptions and failing deliveries, and two charts (orders and revenue per day per channel;
order-to-ship time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from conveyor.bootstrap import Container
from conveyor.catalog.service import sku_codes
from conveyor.channels.service import list_channels, payload_health
from conveyor.fulfillment.service import list_fulfilment_orders
from conveyor.inventory.locations import list_locations
from conveyor.inventory.service import low_stock
from conveyor.messaging.subscriptions import list_subscriptions
from conveyor.orders.queries import count_by_status, late_orders
from conveyor.planning import reports
from conveyor.shared.clock import utcnow
from conveyor.shared.money import format_minor
from conveyor.shared.uow import UnitOfWork
from conveyor.web.session import Viewer, allowed, container_of
from conveyor.web.templating import page

router = APIRouter(include_in_schema=False)
CHART_DAYS = 14
LOW_STOCK_AT = 5
# The order of a life: what is waiting comes first.
WAITING = ("pending", "on_hold", "backordered", "allocated", "partially_fulfilled")


@dataclass
class Overview:
    today_orders: int
    today_revenue: list[str]
    statuses: dict[str, int]
    late_count: int
    late: list[Any]
    low: list[dict[str, Any]]
    exceptions: list[Any]
    failing_webhooks: list[Any]
    failing_channels: list[dict[str, Any]]
    chart: dict[str, Any]
    channel_codes: dict[str, str]


def gather(c: Container) -> Overview:
    now = utcnow()
    today = now.date()
    with c.reader() as uow:
        codes = {ch.id: ch.code for ch in list_channels(uow)}
        todays = reports.sales_days(uow, today, today + timedelta(days=1), "total")
        late_count, late = late_orders(uow, now - timedelta(hours=c.settings.sla_ship_hours or 48), 10)
        health = payload_health(uow, now - timedelta(days=1))
        return Overview(
            today_orders=sum(r.orders for r in todays),
            today_revenue=[f"{format_minor(r.revenue_minor, r.currency)} {r.currency}" for r in todays],
            statuses=count_by_status(uow), late_count=late_count, late=late, low=_low_stock(uow),
            exceptions=list_fulfilment_orders(uow, status="exception", limit=10).items,
            failing_webhooks=[s for s in list_subscriptions(uow) if s.consecutive_failures or not s.enabled],
            failing_channels=[{"code": codes.get(h.channel_id, h.channel_id), "failed": h.failed}
                              for h in health.values() if h.failed],
            chart=_chart(uow, c.settings.report_currency, today), channel_codes=codes)


def _low_stock(uow: UnitOfWork) -> list[dict[str, Any]]:
    levels = low_stock(uow, LOW_STOCK_AT, 10)
    skus = sku_codes(uow, [lv.sku_id for lv in levels])
    locations = {loc.id: loc.code for loc in list_locations(uow)}
    return [{"sku": skus.get(lv.sku_id, lv.sku_id), "location": locations.get(lv.location_id, lv.location_id),
             "on_hand": lv.on_hand, "available": lv.available} for lv in levels]


def _chart(uow: UnitOfWork, base: str, today: Any) -> dict[str, Any]:
    start, end = today - timedelta(days=CHART_DAYS - 1), today + timedelta(days=1)
    days = [(start + timedelta(days=n)).isoformat() for n in range(CHART_DAYS)]
    series: dict[str, dict[str, list[float]]] = {}
    for point in reports.sales(uow, start, end, by="channel", grain="day", base=base):
        per = series.setdefault(point.key, {"orders": [0] * CHART_DAYS, "revenue": [0.0] * CHART_DAYS})
        if point.period in days:
            at = days.index(point.period)
            per["orders"][at] = point.orders
            per["revenue"][at] = float(format_minor(point.revenue_minor, base))
    ship = {row["day"]: row for row in reports.ship_hours_by_day(uow, start, end)}
    return {"days": days, "currency": base, "channels": series,
            "ship_p50": [_hours(ship.get(d, {}).get("p50")) for d in days],
            "ship_p90": [_hours(ship.get(d, {}).get("p90")) for d in days]}


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request, who: Viewer = Depends(allowed("orders:read"))) -> HTMLResponse:
    data = await run_in_threadpool(gather, container_of(request))
    waiting = [(s, data.statuses.get(s, 0)) for s in WAITING]
    others = sorted((s, n) for s, n in data.statuses.items() if s not in WAITING)
    return page(request, who, "overview.html", data=data, waiting=waiting, others=others)
