"""The shipping cost model behind `lowest_cost` and `optimal`, and the delivery promise.

Cost of a plan (minor units) =
    for every location used:  package base + handling + per-kg rate(distance band) x kg shipped
  + split penalty x (locations used - 1)
  + late penalty for every location whose transit estimate misses `promised_by`.
Rates live on each Candidate (per-location contracts differ); bands, transit days and penalties
are one CostModel (per merchant, from the routing config). Deliberately simple: it ranks options
the way a carrier invoice would, without calling a carrier.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from functools import lru_cache
from typing import Any

from conveyor.routing.geo import GeoDistance, distance, locate
from conveyor.routing.model import Candidate, Plan, RoutingRequest
from conveyor.routing.problem import Item, Problem, Site, build_items
from conveyor.shared.clock import utcnow


@dataclass(frozen=True, slots=True)
class CostModel:
    band_limits_km: tuple[float, ...] = (300, 800, 1600, 3000)  # 5 bands: <300, <800, ... >=3000
    transit_days: tuple[int, ...] = (1, 2, 3, 4, 5)  # ground transit per band
    unknown_band: int = 2  # distance unknown: assume a middle band rather than best or worst
    split_penalty_minor: int = 300  # extra boxes, customer annoyance
    late_penalty_minor: int = 5000  # a missed promise costs more than any usual split

    @classmethod
    def from_dict(cls, data: dict | None) -> CostModel:
        names = {f.name for f in fields(cls)}
        clean: dict[str, Any] = {
            k: (tuple(v) if isinstance(v, list) else v) for k, v in (data or {}).items() if k in names
        }
        return cls(**clean)

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    def band(self, dist: GeoDistance) -> int:
        if dist.km is None:
            return self.unknown_band
        return bisect_right(self.band_limits_km, dist.km)


DEFAULT_COSTS = CostModel()


def rate_per_kg(candidate: Candidate, band: int) -> int:
    rates = candidate.rate_per_kg_minor
    return rates[min(band, len(rates) - 1)] if rates else 0


def today_of(request: RoutingRequest) -> date:
    return request.today or utcnow().date()


def is_late(request: RoutingRequest, candidate: Candidate, band: int, model: CostModel) -> tuple[bool, int]:
    """(misses the promise?, estimated days to deliver) for shipping from `candidate`."""
    days = model.transit_days[min(band, len(model.transit_days) - 1)] + candidate.handling_days
    if request.promised_by is None:
        return False, days
    return days > (request.promised_by - today_of(request)).days, days


def cost_site(
    request: RoutingRequest, items: Sequence[Item], cand: Candidate, dist: GeoDistance, model: CostModel
) -> Site:
    band = model.band(dist)
    late, days = is_late(request, cand, band, model)
    rate = rate_per_kg(cand, band)
    fixed = cand.package_base_minor + cand.handling_minor + (model.late_penalty_minor if late else 0)
    unit = [rate * it.weight_g / 1000.0 for it in items]
    return Site(cand, dist, float(fixed), unit, late, _detail(band, rate, days, late), float(rate))


@lru_cache(maxsize=4096)
def _detail(band: int, rate: int, days: int, late: bool) -> str:
    return f"band {band}, {rate}/kg, ~{days} day(s)" + (", misses promised date" if late else "")


def cost_problem(
    request: RoutingRequest, candidates: Sequence[Candidate], model: CostModel = DEFAULT_COSTS
) -> Problem:
    """The same as cost_site() for every candidate, with what is common to all of them worked
    out once: this runs for every order placed."""
    items = build_items(request)
    point = locate(request.destination)
    slack = None if request.promised_by is None else (request.promised_by - today_of(request)).days
    transit, last_transit = model.transit_days, len(model.transit_days) - 1
    limits, unknown = model.band_limits_km, model.unknown_band
    late_penalty = model.late_penalty_minor
    sites = []
    for c in candidates:
        dist = distance(point, c)
        band = unknown if dist.km is None else bisect_right(limits, dist.km)
        days = transit[band if band < last_transit else last_transit] + c.handling_days
        late = slack is not None and days > slack
        rates = c.rate_per_kg_minor
        rate = (rates[band] if band < len(rates) else rates[-1]) if rates else 0
        fixed = c.package_base_minor + c.handling_minor + (late_penalty if late else 0)
        # Unit costs are rate x kg of each item: Problem fills them in.
        sites.append(Site(c, dist, float(fixed), [], late, _detail(band, rate, days, late), float(rate)))
    return Problem(items, sites, float(model.split_penalty_minor))


def plan_cost(
    plan: Plan, request: RoutingRequest, candidates: Sequence[Candidate], model: CostModel = DEFAULT_COSTS
) -> float:
    """What any plan (from any strategy) costs under the model; unfilled units are not priced."""
    by_id = {c.location_id: c for c in candidates}
    lines = {line.line_id: line for line in request.lines}
    kg: dict[str, float] = {}
    for a in plan.assignments:
        line = lines[a.line_id]
        per_unit = float(line.weight_grams)
        if a.sku_id is not None:  # component units of a split kit: their share of the kit weight
            per_unit = line.weight_grams / sum(c.per_unit for c in line.components)
        kg[a.location_id] = kg.get(a.location_id, 0.0) + per_unit * a.quantity / 1000.0
    point, total = locate(request.destination), 0.0
    for loc, weight in kg.items():
        cand = by_id[loc]
        band = model.band(distance(point, cand))
        late, _ = is_late(request, cand, band, model)
        total += cand.package_base_minor + cand.handling_minor + rate_per_kg(cand, band) * weight
        total += model.late_penalty_minor if late else 0
    return total + model.split_penalty_minor * max(len(kg) - 1, 0)
