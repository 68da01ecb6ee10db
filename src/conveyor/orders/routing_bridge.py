"""Between orders and the pure routing engine: build requests and candidates from the catalog's SKU
facts and inventory's stock snapshot, pick the channel's routing configuration, and turn a plan
into component allocations and line quantities."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from conveyor.catalog.service import SkuFacts
from conveyor.inventory.allocation import read_snapshot
from conveyor.inventory.locations import routing_profiles
from conveyor.orders import routing_store
from conveyor.orders.model import Allocation
from conveyor.routing.model import Candidate, Component, Plan, RequestLine
from conveyor.routing.rules import ChannelRouting, RoutingConfig
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.uow import UnitOfWork

PROFILE_FIELDS = ("package_base_minor", "rate_per_kg_minor", "handling_minor", "handling_days", "groups",
                  "capabilities")
LOAD_CACHE = "location_load"


def check_skus(codes: list[str], skus: Mapping[str, SkuFacts]) -> None:
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


def request_line(line_id: str, sku: SkuFacts, quantity: int, unit_price_minor: int) -> RequestLine:
    return RequestLine(line_id, sku.id, quantity, tuple(Component(s, q) for s, q in sku.components),
                       sku.weight_grams, unit_price_minor, allow_split=sku.allow_split)


# --- candidates -----------------------------------------------------------------------------------

def orders_today(uow: UnitOfWork) -> Mapping[str, int]:
    """Orders allocated at each location since midnight UTC, for daily capacity. Cached (see
    shared/cache.py), so capacity is a soft limit that may overshoot by what arrives meanwhile."""
    def load() -> dict[str, int]:
        midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        rows = uow.session.execute(
            select(Allocation.location_id, func.count(func.distinct(Allocation.order_id)))
            .where(Allocation.created_at >= midnight).group_by(Allocation.location_id))
        return {location_id: count for location_id, count in rows.all()}

    found: Mapping[str, int] | None = uow.caches.named(LOAD_CACHE).get("today", load)
    return found or {}


def snapshot_candidates(uow: UnitOfWork, sku_ids: set[str], only_location: str | None = None,
                        exclude: frozenset[str] = frozenset()) -> list[Candidate]:
    """Candidates from the stock snapshot, each with its own copy of what is available (a batch
    takes from it as it books orders). `only_location` (id or code) keeps one location; `exclude`
    (ids) drops locations (a re-route away from a location that refused)."""
    locations, atp = read_snapshot(uow, sku_ids)
    profiles = routing_profiles(uow)
    load = orders_today(uow) if any(loc.daily_capacity for loc in locations.values()) else {}
    candidates = []
    for loc in sorted(locations.values(), key=lambda loc: loc.location_id):  # same input, same decision
        if loc.location_id in exclude or (only_location and only_location not in (loc.code, loc.location_id)):
            continue
        capacity = None if loc.daily_capacity is None else loc.daily_capacity - load.get(loc.location_id, 0)
        candidates.append(make_candidate(loc.location_id, loc.code, loc.priority, loc.latitude, loc.longitude,
                                         loc.type, loc.can_ship, dict(atp.get(loc.location_id, {})),
                                         profiles.get(loc.location_id, {}), capacity))
    return candidates


@dataclass(slots=True)
class StockView:
    """One stock snapshot shared by orders decided one after another (`handlers.place_together`):
    each order routes against copies of the locations that hold its SKUs, as if it had read the
    snapshot alone, and what it takes is booked here (`take`) so the next order sees it."""
    candidates: list[Candidate]
    sku_ids: frozenset[str]

    @classmethod
    def read(cls, uow: UnitOfWork, sku_ids: set[str]) -> StockView:
        return cls(snapshot_candidates(uow, sku_ids), frozenset(sku_ids))

    def covers(self, sku_ids: set[str]) -> bool:
        return sku_ids <= self.sku_ids

    def candidates_for(self, sku_ids: set[str]) -> list[Candidate]:
        """What `snapshot_candidates(uow, sku_ids)` would return, read from this view: the locations
        with a stock row of any of `sku_ids`, each with its own copy of their availability."""
        return [replace(c, available={s: c.available[s] for s in sku_ids if s in c.available})
                for c in self.candidates if not c.available.keys().isdisjoint(sku_ids)]

    def take(self, totals: Mapping[tuple[str, str], int]) -> None:
        # An order the view did not cover was routed on a read of its own: its locations may not be here.
        known = {c.location_id for c in self.candidates}
        take_from(self.candidates, {key: units for key, units in totals.items() if key[1] in known})


def make_candidate(location_id: str, code: str, priority: int, latitude: float | None, longitude: float | None,
                   type: str, can_ship: bool, available: dict[str, int], profile: Mapping[str, Any],
                   capacity_left: int | None = None) -> Candidate:
    """A routing candidate: the location, its stock, and its routing settings (costs, groups)."""
    extra: dict[str, Any] = {k: profile[k] for k in PROFILE_FIELDS if k in profile}
    return Candidate(location_id=location_id, code=code, priority=priority, available=available,
                     latitude=latitude, longitude=longitude, type=type, can_ship=can_ship,
                     capacity_left=capacity_left, **extra)


def channel_config(uow: UnitOfWork, channel: str, strategy_override: str | None) -> RoutingConfig:
    """The stored routing configuration as it applies to `channel`. A channel's own strategy
    (its `routing_strategy` setting) applies when the document has no entry for that channel;
    an entry in the document (with its rules) always wins."""
    config = routing_store.load(uow)
    if not strategy_override or channel in config.channels:
        return config
    base: ChannelRouting = config.default
    return replace(config, channels={**config.channels, channel: replace(base, strategy=strategy_override)})


def take_from(candidates: list[Candidate], totals: Mapping[tuple[str, str], int]) -> None:
    """Book `totals` against the candidates' running availability (later orders of a batch see it)."""
    by_location = {c.location_id: c for c in candidates}
    for (sku_id, location_id), units in totals.items():
        available = by_location[location_id].available
        available[sku_id] = available.get(sku_id, 0) - units


# --- turning a plan into stock ----------------------------------------------------------------------

def component_totals(plan: Plan, lines: tuple[RequestLine, ...]) -> dict[tuple[str, str], int]:
    """(component sku, location) → units the plan takes."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for sku_id, location_id, units, _ in _component_units(plan, lines):
        totals[(sku_id, location_id)] += units
    return dict(totals)


def _component_units(plan: Plan, lines: tuple[RequestLine, ...]) -> Iterator[tuple[str, str, int, tuple[str, int]]]:
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


def allocation_rows(plan: Plan, lines: tuple[RequestLine, ...], order_id: str, now: datetime,
                    new_id: Any = ids.new_id, line_of: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One allocation row per (line, component, location). `line_of` maps request line ids to order
    line ids where they differ (a split kit re-requested part by part)."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for sku_id, location_id, units, (request_id, per_unit) in _component_units(plan, lines):
        line_id = (line_of or {}).get(request_id, request_id)
        row = merged.get((line_id, sku_id, location_id))
        if row is None:
            merged[(line_id, sku_id, location_id)] = {
                "id": new_id("allocation"), "order_id": order_id, "line_id": line_id, "sku_id": sku_id,
                "location_id": location_id, "per_unit": per_unit, "quantity": units, "shipped": 0,
                "created_at": now}
        else:
            row["quantity"] += units
    return list(merged.values())


def line_units(plan: Plan, lines: tuple[RequestLine, ...]) -> dict[str, int]:
    """Whole units of each line the plan covers (a split kit: what its scarcest part allows)."""
    got: dict[tuple[str, str], int] = defaultdict(int)
    for sku_id, _, units, (line_id, _) in _component_units(plan, lines):
        got[(line_id, sku_id)] += units
    return {line.line_id: min(got[(line.line_id, c.sku_id)] // c.per_unit for c in line.components)
            for line in lines}


def shortages(plan: Plan, lines: tuple[RequestLine, ...], codes: Mapping[str, str]) -> list[dict[str, Any]]:
    by_id = {line.line_id: line for line in lines}
    return [{"line_id": line_id, "sku": codes[by_id[line_id].sku_id], "requested": by_id[line_id].quantity,
             "short": qty, "reason": plan.short_reasons.get(line_id, "")}
            for line_id, qty in plan.short.items()]
