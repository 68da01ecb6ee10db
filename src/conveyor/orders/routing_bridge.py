"""Between orders and the pure routing engine: build the request and candidates from the
database snapshot, run the channel's rules and strategy, and turn the plan into component
allocations and line quantities."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, func, select, text

from conveyor.inventory.allocation import read_snapshot
from conveyor.inventory.locations import routing_profiles
from conveyor.orders import routing_store
from conveyor.orders.model import Allocation
from conveyor.routing.model import Candidate, Component, Destination, Plan, RequestLine, RoutingRequest
from conveyor.routing.rules import ChannelRouting, RoutingConfig, plan_order
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import UnitOfWork
from conveyor.shared.errors import ErrorCode, ValidationFailed

PROFILE_FIELDS = ("package_base_minor", "rate_per_kg_minor", "handling_minor", "handling_days", "groups",
                  "capabilities")


@dataclass(frozen=True, slots=True)
class SkuInfo:
    id: str
    code: str
    name: str
    active: bool
    weight_grams: int
    components: tuple[Component, ...]
    allow_split: bool = False


_SKUS = text("SELECT id, code, name, active, is_kit, kit_allows_split, weight_grams FROM skus"
             " WHERE code IN :codes").bindparams(bindparam("codes", expanding=True))
_PARTS = text("SELECT kit_sku_id, component_sku_id, quantity FROM kit_components"
              " WHERE kit_sku_id IN :kits").bindparams(bindparam("kits", expanding=True))


def load_skus(uow: UnitOfWork, codes: list[str]) -> dict[str, SkuInfo]:
    """SKUs by code with their kit components: one query, a second only if a kit is present.
    (Fixed statements with expanding parameters, so SQLAlchemy compiles each only once.)"""
    rows = uow.session.execute(_SKUS, {"codes": sorted(set(codes))}).all()
    kits = [r.id for r in rows if r.is_kit]
    parts: dict[str, list[Component]] = defaultdict(list)
    if kits:
        for p in uow.session.execute(_PARTS, {"kits": kits}):
            parts[p.kit_sku_id].append(Component(p.component_sku_id, p.quantity))
    return {r.code: SkuInfo(r.id, r.code, r.name, bool(r.active), r.weight_grams,
                            tuple(parts[r.id]) if r.is_kit else (Component(r.id, 1),),
                            bool(r.is_kit and r.kit_allows_split))
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


def request_line(line_id: str, sku: SkuInfo, quantity: int, unit_price_minor: int) -> RequestLine:
    return RequestLine(line_id, sku.id, quantity, sku.components, sku.weight_grams, unit_price_minor,
                       allow_split=sku.allow_split)


# --- candidates -----------------------------------------------------------------------------------

_LOAD_SECONDS = 30.0
_load: tuple[float, dict[str, int]] | None = None


def orders_today(uow: UnitOfWork) -> dict[str, int]:
    """Orders allocated at each location since midnight UTC, for daily capacity. Cached for 30 s,
    so capacity is a soft limit that may overshoot by what arrives within that time."""
    global _load
    if _load and time.monotonic() - _load[0] < _LOAD_SECONDS:
        return _load[1]
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = uow.session.execute(
        select(Allocation.location_id, func.count(func.distinct(Allocation.order_id)))
        .where(Allocation.created_at >= midnight).group_by(Allocation.location_id))
    _load = (time.monotonic(), dict(rows.all()))
    return _load[1]


def snapshot_candidates(uow: UnitOfWork, lines: tuple[RequestLine, ...],
                        only_location: str | None = None, exclude: frozenset[str] = frozenset()) -> list[Candidate]:
    """Candidates from the stock snapshot. `only_location` (id or code) restricts them to one;
    `exclude` (ids) drops locations (a re-route away from a location that refused)."""
    sku_ids = {c.sku_id for line in lines for c in line.components}
    locations, atp = read_snapshot(uow, sku_ids)
    profiles = routing_profiles(uow)
    load = orders_today(uow) if any(loc.daily_capacity for loc in locations.values()) else {}
    candidates = []
    for loc in locations.values():
        if loc.location_id in exclude or (only_location and only_location not in (loc.code, loc.location_id)):
            continue
        capacity = None if loc.daily_capacity is None else loc.daily_capacity - load.get(loc.location_id, 0)
        candidates.append(make_candidate(loc.location_id, loc.code, loc.priority, loc.latitude, loc.longitude,
                                         loc.type, loc.can_ship, atp.get(loc.location_id, {}),
                                         profiles.get(loc.location_id, {}), capacity))
    return candidates


def make_candidate(location_id: str, code: str, priority: int, latitude: float | None, longitude: float | None,
                   type: str, can_ship: bool, available: dict[str, int], profile: dict,
                   capacity_left: int | None = None) -> Candidate:
    """A routing candidate: the location, its stock, and its routing settings (costs, groups)."""
    extra: dict[str, Any] = {k: profile[k] for k in PROFILE_FIELDS if k in profile}
    if "rate_per_kg_minor" in extra:
        extra["rate_per_kg_minor"] = tuple(extra["rate_per_kg_minor"])
    return Candidate(location_id=location_id, code=code, priority=priority, available=available,
                     latitude=latitude, longitude=longitude, type=type, can_ship=can_ship,
                     capacity_left=capacity_left, **extra)


# --- planning -------------------------------------------------------------------------------------

def channel_config(config: RoutingConfig, channel: str, strategy_override: str | None) -> RoutingConfig:
    """A channel's own strategy (Channel.routing_strategy) applies when the routing document has
    no entry for that channel; an entry in the document (with its rules) always wins."""
    if not strategy_override or channel in config.channels:
        return config
    base: ChannelRouting = config.default
    return replace(config, channels={**config.channels, channel: replace(base, strategy=strategy_override)})


def plan_lines(uow: UnitOfWork, lines: tuple[RequestLine, ...], destination: Destination, channel: str,
               strategy_override: str | None = None, only_location: str | None = None,
               exclude: frozenset[str] = frozenset()) -> Plan:
    request = RoutingRequest(lines=lines, destination=destination, channel=channel)
    config = channel_config(routing_store.load(uow), channel, strategy_override)
    return plan_order(request, snapshot_candidates(uow, lines, only_location, exclude), config)


# --- turning a plan into stock ----------------------------------------------------------------------

def component_totals(plan: Plan, lines: tuple[RequestLine, ...]) -> dict[tuple[str, str], int]:
    """(component sku, location) → units the plan takes."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for sku_id, location_id, units, _ in _component_units(plan, lines):
        totals[(sku_id, location_id)] += units
    return dict(totals)


def _component_units(plan: Plan, lines: tuple[RequestLine, ...]):
    """(component sku, location, component units, (line id, per unit)) for every assignment.
    A split kit's assignments already name the component (Assignment.sku_id)."""
    by_id = {line.line_id: line for line in lines}
    for a in plan.assignments:
        line = by_id[a.line_id]
        for c in line.components:
            if a.sku_id is None:
                yield c.sku_id, a.location_id, a.quantity * c.per_unit, (a.line_id, c.per_unit)
            elif a.sku_id == c.sku_id:
                yield c.sku_id, a.location_id, a.quantity, (a.line_id, c.per_unit)


def allocation_rows(plan: Plan, lines: tuple[RequestLine, ...], order_id: str, now: Any) -> list[dict]:
    return [{"id": ids.new_id("allocation"), "order_id": order_id, "line_id": line_id, "sku_id": sku_id,
             "location_id": location_id, "per_unit": per_unit, "quantity": units, "shipped": 0,
             "created_at": now}
            for sku_id, location_id, units, (line_id, per_unit) in _component_units(plan, lines)]


def line_units(plan: Plan, lines: tuple[RequestLine, ...]) -> dict[str, int]:
    """Whole units of each line the plan covers (a split kit: what its scarcest part allows)."""
    got: dict[tuple[str, str], int] = defaultdict(int)
    for sku_id, _, units, (line_id, _) in _component_units(plan, lines):
        got[(line_id, sku_id)] += units
    return {line.line_id: min(got[(line.line_id, c.sku_id)] // c.per_unit for c in line.components)
            for line in lines}


def shortages(plan: Plan, lines: tuple[RequestLine, ...], codes: dict[str, str]) -> list[dict]:
    by_id = {line.line_id: line for line in lines}
    return [{"line_id": line_id, "sku": codes[by_id[line_id].sku_id], "requested": by_id[line_id].quantity,
             "short": qty, "reason": plan.short_reasons.get(line_id, "")}
            for line_id, qty in plan.short.items()]
