"""Plain data for routing: what is asked (a request), what is possible (candidates), and the
answer (a plan with an explanation). No database, no web: routing is pure logic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Component:
    """One stocked SKU a line consumes per unit (a plain SKU is its own single component)."""

    sku_id: str
    per_unit: int = 1


@dataclass(frozen=True, slots=True)
class RequestLine:
    line_id: str
    sku_id: str
    quantity: int
    components: tuple[Component, ...]
    weight_grams: int = 0
    unit_price_minor: int = 0
    # Kits only: when True the router may source the components of one kit unit from different
    # locations. The plan then carries component-level assignments (Assignment.sku_id set,
    # quantity in units of that SKU). When False every kit unit ships whole from one location.
    allow_split: bool = False


@dataclass(frozen=True, slots=True)
class Destination:
    country: str = "US"
    postal_code: str = ""
    region: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location that might ship, with its stock available-to-promise per component SKU."""

    location_id: str
    code: str
    priority: int
    available: dict[str, int]
    latitude: float | None = None
    longitude: float | None = None
    type: str = "warehouse"
    can_ship: bool = True
    active: bool = True
    capacity_left: int | None = None
    # Cost settings (minor units) used by `lowest_cost` / `optimal`; defaults are a typical US
    # ground parcel. `rate_per_kg_minor` has one rate per distance band (see routing.cost).
    package_base_minor: int = 600
    rate_per_kg_minor: tuple[int, ...] = (90, 140, 200, 270, 350)
    handling_minor: int = 150
    handling_days: int = 0
    # Used by rules (routing.rules): groups it belongs to and what it can do ("gift_wrap", ...).
    groups: frozenset[str] = frozenset()
    capabilities: frozenset[str] = frozenset()

    def line_units_available(self, line: RequestLine) -> int:
        """Whole units of `line` this location can cover (kits: limited by the scarcest part)."""
        return min(self.available.get(c.sku_id, 0) // c.per_unit for c in line.components)


@dataclass(frozen=True, slots=True)
class RoutingRequest:
    lines: tuple[RequestLine, ...]
    destination: Destination = Destination()
    channel: str = ""
    promised_by: date | None = None
    # The day the order is routed on (for the delivery promise); None means today (UTC).
    today: date | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """Ship `quantity` units of line `line_id` from `location_id`."""

    line_id: str
    location_id: str
    quantity: int
    # Set only for a split kit (RequestLine.allow_split): this assignment ships `quantity` units
    # of component SKU `sku_id`, not whole kit units.
    sku_id: str | None = None


@dataclass(slots=True)
class CandidateNote:
    location_id: str
    code: str
    kept: bool
    reason: str
    score: float | None = None


@dataclass(slots=True)
class Plan:
    strategy: str
    assignments: list[Assignment] = field(default_factory=list)
    # Units of each line no candidate could cover, and why.
    short: dict[str, int] = field(default_factory=dict)
    short_reasons: dict[str, str] = field(default_factory=dict)
    notes: list[CandidateNote] = field(default_factory=list)
    summary: str = ""
    # Set by rules.plan_order when no rule set could fill the order: "backorder" (ship what the
    # plan holds, the short lines wait for stock) or "unfillable" (ship nothing, park the order).
    fallback: str | None = None
    # The rule set whose plan was chosen, and one line per rule set tried (rules.plan_order).
    rule_set: str | None = None
    trace: list[str] = field(default_factory=list)
    # Estimated shipping cost of the plan in minor units, when the strategy computes one.
    cost_minor: int | None = None

    @property
    def locations(self) -> list[str]:
        seen: dict[str, None] = {}
        for a in self.assignments:
            seen.setdefault(a.location_id, None)
        return list(seen)

    def explanation(self) -> dict:
        return {
            "strategy": self.strategy,
            "summary": self.summary,
            "fallback": self.fallback,
            "rule_set": self.rule_set,
            "trace": list(self.trace),
            "cost_minor": self.cost_minor,
            "assignments": [
                {
                    "line_id": a.line_id,
                    "location_id": a.location_id,
                    "quantity": a.quantity,
                    "sku_id": a.sku_id,
                }
                for a in self.assignments
            ],
            "candidates": [
                {
                    "location_id": n.location_id,
                    "code": n.code,
                    "kept": n.kept,
                    "reason": n.reason,
                    "score": n.score,
                }
                for n in self.notes
            ],
            "short": [
                {"line_id": line_id, "quantity": qty, "reason": self.short_reasons.get(line_id, "")}
                for line_id, qty in self.short.items()
            ],
        }
