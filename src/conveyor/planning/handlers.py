"""Planning use cases: the forecast job. Demand history is read through the orders area
(`orders.supply.daily_demand`), forecast outside any transaction (it is CPU work), and the results
are stored in one write transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from conveyor.bootstrap import Container
from conveyor.orders.supply import daily_demand, first_demand_day
from conveyor.planning import service
from conveyor.planning.demand import daily_series, history_start
from conveyor.planning.selection import forecast_demand
from conveyor.shared.clock import utcnow
from conveyor.shared.handlers import run


@dataclass(frozen=True, slots=True)
class ForecastRun:
    series: int
    starts_on: date
    methods: dict[str, int]  # how many series each method won


def run_forecasts(c: Container, today: date | None = None, horizon: int = 28) -> ForecastRun:
    """Forecast every SKU×location that has sold, from its first sale (at most two years back) to
    yesterday, and store each forecast with its backtest accuracy."""
    today = today or utcnow().date()
    last_day = today - timedelta(days=1)
    with c.reader() as uow:
        first = first_demand_day(uow)
        rows = daily_demand(uow, history_start(first, last_day), last_day) if first and first <= last_day else []
    by_pair: dict[tuple[str, str], dict[date, float]] = defaultdict(dict)
    for sku_id, location_id, day, units in rows:
        by_pair[(sku_id, location_id)][day] = float(units)
    pairs = sorted(by_pair)
    histories = [daily_series(by_pair[p], history_start(min(by_pair[p]), last_day), last_day) for p in pairs]
    forecasts = forecast_demand(histories, horizon) if histories else []
    results = [(s, loc, len(h), f) for (s, loc), h, f in zip(pairs, histories, forecasts, strict=True)]
    run(c.uow, lambda uow: service.store_forecasts(uow, today, results))
    methods: dict[str, int] = defaultdict(int)
    for *_, f in results:
        methods[str(f.method)] += 1
    return ForecastRun(len(results), today, dict(methods))
