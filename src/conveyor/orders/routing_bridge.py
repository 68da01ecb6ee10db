"""Between orders and the pure routing engine: build the request and candidates from the
database snapshot, run the strategy, and turn the plan into component allocations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import text

from conveyor.inventory.allocation import read_snapshot
from conveyor.routing.model import Candidate, Component, Destination, Plan, RequestLine, RoutingRequest
from conveyor.routing.strategies import route
from conveyor.shared.db import UnitOfWork
from conveyor.shared.errors import ErrorCode, ValidationFailed


@dataclass(frozen=True, slots=True)
class SkuInfo:
    id: str
    code: str
    name: str
    active: bool
    weight_grams: int
    components: tuple[Component, ...]


def load_skus(uow: UnitOfWork, codes: list[str]) -> dict[str, SkuInfo]:
    """SKUs by code with their kit components: one query, a second only if a kit is present."""
    unique = sorted(set(codes))
    params = {f"c{i}": c for i, c in enumerate(unique)}
    rows = uow.session.execute(text(
        "SELECT id, code, name, active, is_kit, weight_grams FROM skus"
        f" WHERE code IN ({', '.join(':' + k for k in params)})"), params).all()
    kits = [r.id for r in rows if r.is_kit]
    parts: dict[str, list[Component]] = defaultdict(list)
    if kits:
        kparams = {f"k{i}": k for i, k in enumerate(kits)}
        for p in uow.session.execute(text(
                "SELECT kit_sku_id, component_sku_id, quantity FROM kit_components"
                f" WHERE kit_sku_id IN ({', '.join(':' + k for k in kparams)})"), kparams):
            parts[p.kit_sku_id].append(Component(p.component_sku_id, p.quantity))
    return {r.code: SkuInfo(r.id, r.code, r.name, bool(r.active), r.weight_grams,
                            tuple(parts[r.id]) if r.is_kit else (Component(r.id, 1),))
            for r in rows}


def check_skus(codes: list[str], skus: dict[str, SkuInfo]) -> None:
    missing = sorted({c for c in codes if c not in skus})
    if missing:
        raise ValidationFailed(f"unknown SKU(s): {', '.join(missing)}", ErrorCode.UNKNOWN_SKU, skus=missing)
    inactive = sorted({c for c in codes if not skus[c].active})
    if inactive:
        raise ValidationFailed(f"inactive SKU(s): {', '.join(inactive)}", ErrorCode.INACTIVE_SKU, skus=inactive)
    broken = sorted(c for c in set(codes) if not skus[c].components)
    if broken:
        raise ValidationFailed(f"kit(s) without components: {', '.join(broken)}", ErrorCode.UNKNOWN_SKU,
                               skus=broken)


def snapshot_candidates(uow: UnitOfWork, lines: tuple[RequestLine, ...],
                        only_location: str | None = None) -> list[Candidate]:
    """Candidates from the stock snapshot; `only_location` (a code) restricts them to one."""
    sku_ids = {c.sku_id for line in lines for c in line.components}
    locations, atp = read_snapshot(uow, sku_ids)
    if only_location is not None:
        locations = {k: v for k, v in locations.items() if only_location in (v.code, v.location_id)}
    return [Candidate(location_id=loc.location_id, code=loc.code, priority=loc.priority,
                      available=atp.get(loc.location_id, {}), latitude=loc.latitude,
                      longitude=loc.longitude, type=loc.type, can_ship=loc.can_ship)
            for loc in locations.values()]


def plan_lines(uow: UnitOfWork, lines: tuple[RequestLine, ...], destination: Destination, channel: str,
               strategy: str, only_location: str | None = None) -> Plan:
    request = RoutingRequest(lines=lines, destination=destination, channel=channel)
    return route(request, snapshot_candidates(uow, lines, only_location), strategy)


def component_totals(plan: Plan, lines: tuple[RequestLine, ...]) -> dict[tuple[str, str], int]:
    """(component sku, location) → units the plan takes."""
    by_id = {line.line_id: line for line in lines}
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for a in plan.assignments:
        for c in by_id[a.line_id].components:
            totals[(c.sku_id, a.location_id)] += a.quantity * c.per_unit
    return dict(totals)


def shortages(plan: Plan, lines: tuple[RequestLine, ...], codes: dict[str, str]) -> list[dict]:
    by_id = {line.line_id: line for line in lines}
    return [{"line_id": line_id, "sku": codes[by_id[line_id].sku_id], "requested": by_id[line_id].quantity,
             "short": qty, "reason": plan.short_reasons.get(line_id, "")}
            for line_id, qty in plan.short.items()]
