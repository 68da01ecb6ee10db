"""Dry-run simulator (pure): replay orders through a strategy against a starting stock and
measure what a merchant cares about — distance, shipments per order, split rate, estimated
shipping cost, unfillable share, decision time. Nothing is written anywhere."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from statistics import median

from conveyor.routing.cost import DEFAULT_COSTS, CostModel, plan_cost
from conveyor.routing.geo import distance
from conveyor.routing.model import Candidate, Plan, RoutingRequest
from conveyor.routing.rules import ChannelRouting, RoutingConfig, plan_order


@dataclass(frozen=True, slots=True)
class Kpis:
    strategy: str
    orders: int
    mean_km: float
    shipments_per_order: float
    split_rate: float
    mean_cost_minor: float
    unfillable_rate: float
    decision_p50_ms: float

    def row(self) -> list[str]:
        return [self.strategy, str(self.orders), f"{self.mean_km:.0f}", f"{self.shipments_per_order:.2f}",
                f"{100 * self.split_rate:.1f}%", f"{self.mean_cost_minor / 100:.2f}",
                f"{100 * self.unfillable_rate:.1f}%", f"{self.decision_p50_ms:.2f}"]


HEADERS = ["strategy", "orders", "mean km/shipment", "shipments/order", "split rate", "est. cost/order",
           "unfillable", "decision p50 ms"]


def _take(plan: Plan, request: RoutingRequest, stock: dict[str, dict[str, int]]) -> None:
    lines = {line.line_id: line for line in request.lines}
    for a in plan.assignments:
        for c in lines[a.line_id].components:
            if a.sku_id is None:
                stock[a.location_id][c.sku_id] -= a.quantity * c.per_unit
            elif a.sku_id == c.sku_id:
                stock[a.location_id][c.sku_id] -= a.quantity


def replay(requests: list[RoutingRequest], candidates: list[Candidate], strategy: str,
           costs: CostModel = DEFAULT_COSTS) -> Kpis:
    """Route `requests` in order, each against the stock the earlier ones left behind."""
    config = RoutingConfig(default=ChannelRouting(strategy=strategy, fallback="backorder"), costs=costs)
    stock = {c.location_id: dict(c.available) for c in candidates}
    kms, shipments, splits, cost, short, times = [], 0, 0, 0.0, 0, []
    for request in requests:
        now = [replace(c, available=stock[c.location_id]) for c in candidates]
        started = time.perf_counter()
        plan = plan_order(replace(request, channel=""), now, config)
        times.append((time.perf_counter() - started) * 1000)
        _take(plan, request, stock)
        used = [c for c in now if c.location_id in set(plan.locations)]
        shipments += len(used)
        splits += len(used) > 1
        short += bool(plan.short)
        kms += [d.km for d in (distance(request.destination, c) for c in used) if d.km is not None]
        cost += plan_cost(plan, request, now, costs)
    n = max(len(requests), 1)
    return Kpis(strategy, len(requests), sum(kms) / max(len(kms), 1), shipments / n, splits / n, cost / n,
                short / n, median(times) if times else 0.0)
