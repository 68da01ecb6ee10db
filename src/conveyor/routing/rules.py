"""Brokering rules on top of the strategies, in the manner of HotWax's order routing.

Each channel has an ordered list of rule sets. A rule set narrows the candidates (allowed
locations or groups, required capabilities, excluded location types), holds back a safety stock,
may forbid splits or small split shipments, and names a strategy. The first rule set whose plan
ships the whole order wins. If none does, the channel's fallback decides:
  "backorder"  ship what the best rule set could (most units), the rest waits for stock;
  "unfillable" ship nothing now and park the order for a person.

The config is plain JSON (stored per channel by the API side): see RoutingConfig.from_dict and
docs/routing.md for the format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from conveyor.routing.cost import DEFAULT_COSTS, CostModel
from conveyor.routing.model import Candidate, CandidateNote, Plan, RoutingRequest
from conveyor.routing.strategies import STRATEGIES, covers_whole_order
from conveyor.shared.errors import ValidationFailed

FALLBACKS = ("backorder", "unfillable")


@dataclass(frozen=True, slots=True)
class RuleSet:
    name: str = "default"
    strategy: str | None = None  # None: the channel's strategy
    location_ids: tuple[str, ...] = ()  # empty: any location
    location_groups: tuple[str, ...] = ()  # empty: any; else the location must be in one of them
    required_capabilities: tuple[str, ...] = ()  # the location must have all of them
    exclude_location_types: tuple[str, ...] = ()  # e.g. ("store",)
    safety_stock: int = 0  # units of each SKU held back at every location (brokering buffer)
    allow_split: bool = True  # False: one location must ship the whole order
    min_split_shipment_minor: int = 0  # in a split, every shipment must be worth at least this

    def admits(self, c: Candidate) -> str | None:
        """None if the candidate passes the filters, else why not."""
        if self.location_ids and c.location_id not in self.location_ids:
            return "not in the rule set's locations"
        if self.location_groups and not set(self.location_groups) & set(c.groups):
            return f"not in groups {', '.join(self.location_groups)}"
        missing = [cap for cap in self.required_capabilities if cap not in c.capabilities]
        if missing:
            return f"lacks capability {', '.join(missing)}"
        if c.type in self.exclude_location_types:
            return f"location type {c.type!r} excluded"
        return None


@dataclass(frozen=True, slots=True)
class ChannelRouting:
    strategy: str = "priority"
    rule_sets: tuple[RuleSet, ...] = ()  # empty: one rule set with no filters
    fallback: str = "backorder"


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    default: ChannelRouting = ChannelRouting()
    channels: dict[str, ChannelRouting] = field(default_factory=dict)
    costs: CostModel = DEFAULT_COSTS

    def for_channel(self, channel: str) -> ChannelRouting:
        return self.channels.get(channel, self.default)

    @classmethod
    def from_dict(cls, data: dict) -> RoutingConfig:
        """Build and validate; raises ValidationFailed (the API answers 422) on bad input."""
        _only(data, {"default", "channels", "costs"}, "routing config")
        channels = {str(k): _channel(v, f"channels.{k}") for k, v in (data.get("channels") or {}).items()}
        default = _channel(data["default"], "default") if "default" in data else ChannelRouting()
        costs = data.get("costs") or {}
        _only(costs, {f.name for f in fields(CostModel)}, "costs")
        return cls(default, channels, CostModel.from_dict(costs))

    def to_dict(self) -> dict:
        return {
            "default": _channel_dict(self.default),
            "channels": {k: _channel_dict(v) for k, v in self.channels.items()},
            "costs": self.costs.to_dict(),
        }


def _only(data: object, allowed: set[str], where: str) -> None:
    if not isinstance(data, dict):
        raise ValidationFailed(f"{where} must be an object")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed(f"{where}: unknown key(s) {', '.join(unknown)}")


def _channel(data: dict, where: str) -> ChannelRouting:
    _only(data, {"strategy", "rule_sets", "fallback"}, where)
    strategy = _strategy(data.get("strategy", "priority"), where)
    fallback = data.get("fallback", "backorder")
    if fallback not in FALLBACKS:
        raise ValidationFailed(f"{where}.fallback must be one of {', '.join(FALLBACKS)}")
    rule_sets = tuple(
        _rule_set(r, f"{where}.rule_sets[{n}]") for n, r in enumerate(data.get("rule_sets") or [])
    )
    return ChannelRouting(strategy, rule_sets, fallback)


def _strategy(name: object, where: str) -> str:
    if name not in STRATEGIES:
        raise ValidationFailed(f"{where}: unknown strategy {name!r} (known: {', '.join(STRATEGIES)})")
    return str(name)


def _rule_set(data: dict, where: str) -> RuleSet:
    names = {f.name for f in fields(RuleSet)}
    _only(data, names, where)
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items()}
    if values.get("strategy") is not None:
        _strategy(values["strategy"], where)
    for key in ("safety_stock", "min_split_shipment_minor"):
        if not isinstance(values.get(key, 0), int) or values.get(key, 0) < 0:
            raise ValidationFailed(f"{where}.{key} must be a whole number >= 0")
    return RuleSet(**values)


def _channel_dict(ch: ChannelRouting) -> dict:
    rule_sets = [
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(r).items()} for r in ch.rule_sets
    ]
    return {"strategy": ch.strategy, "rule_sets": rule_sets, "fallback": ch.fallback}


def plan_order(request: RoutingRequest, candidates: Sequence[Candidate], config: RoutingConfig) -> Plan:
    """The entry point for placement: rules, then strategy, then fallback."""
    channel = config.for_channel(request.channel)
    best: Plan | None = None
    first: Plan | Callable[[], Plan] | None = None
    trace: list[str] = []
    for rule_set in channel.rule_sets or (RuleSet(),):
        plan, problem = _attempt(rule_set, channel, request, candidates, config.costs)
        trace.append(f"{rule_set.name}: {problem or 'fills the order'}")
        if problem is None:
            assert isinstance(plan, Plan)
            plan.trace = trace
            return plan
        first = first or plan
        # Only a plan that broke no rule may be shipped as a backorder.
        if isinstance(plan, Plan) and plan.short and plan.assignments and (
            best is None or _units(plan, request) > _units(best, request)
        ):
            best = plan
    if callable(first):  # its explanation is shown only when no rule set shipped anything
        first = first() if best is None else None
    return _fallback(channel.fallback, request, best, first, trace)


def _attempt(
    rule_set: RuleSet,
    channel: ChannelRouting,
    request: RoutingRequest,
    candidates: Sequence[Candidate],
    costs: CostModel,
) -> tuple[Plan | Callable[[], Plan], str | None]:
    """Plan under one rule set; the problem is None when it ships everything within the rules.
    When no location can ship the whole order alone and splits are off, the plan is only
    needed for its explanation if every rule set fails: it comes back as a function that
    routes it then (placement then routes once per order, not once per rule set)."""
    dropped, kept = [], []
    for c in candidates:
        why = rule_set.admits(c)
        if why:
            dropped.append(_note(c, rule_set, why))
        else:
            kept.append(_hold_back(c, rule_set.safety_stock))
    name = rule_set.strategy or channel.strategy
    if not rule_set.allow_split:
        whole = [c for c in kept if covers_whole_order(c, request)]
        if not whole:

            def explained() -> Plan:
                plan = _tag(_run(name, request, kept, costs), rule_set, dropped)
                plan.assignments = []  # its split plan breaks the rule: keep only the explanation
                return plan

            return explained, "no single location can ship the whole order"
        dropped += [
            _note(c, rule_set, "cannot ship the whole order alone and splits are off")
            for c in kept
            if c not in whole
        ]
        kept = whole
    plan = _tag(_run(name, request, kept, costs), rule_set, dropped)
    if plan.short:
        return plan, f"{sum(plan.short.values())} unit(s) short"
    return plan, _small_split_shipment(plan, request, rule_set)


def _note(c: Candidate, rule_set: RuleSet, why: str) -> CandidateNote:
    return CandidateNote(c.location_id, c.code, False, f"rule set {rule_set.name!r}: {why}")


def _hold_back(c: Candidate, safety_stock: int) -> Candidate:
    if safety_stock <= 0:
        return c
    return replace(c, available={sku: max(0, q - safety_stock) for sku, q in c.available.items()})


def _run(name: str, request: RoutingRequest, candidates: list[Candidate], costs: CostModel) -> Plan:
    if name == "priority":  # the baseline keeps its two-argument signature
        return STRATEGIES[name](request, candidates)
    strategy: Callable[..., Plan] = STRATEGIES[name]
    return strategy(request, candidates, costs=costs)


def _tag(plan: Plan, rule_set: RuleSet, dropped: list[CandidateNote]) -> Plan:
    plan.rule_set = rule_set.name
    plan.notes = dropped + plan.notes
    if rule_set.safety_stock:
        plan.summary += f"; {rule_set.safety_stock} unit(s) per SKU held back as safety stock"
    return plan


def _small_split_shipment(plan: Plan, request: RoutingRequest, rule_set: RuleSet) -> str | None:
    if len(plan.locations) < 2 or rule_set.min_split_shipment_minor <= 0:
        return None
    lines = {line.line_id: line for line in request.lines}
    value: dict[str, float] = {}
    for a in plan.assignments:
        line = lines[a.line_id]
        per = float(line.unit_price_minor)
        if a.sku_id is not None:
            per = line.unit_price_minor / sum(c.per_unit for c in line.components)
        value[a.location_id] = value.get(a.location_id, 0.0) + per * a.quantity
    low = [loc for loc, v in value.items() if v < rule_set.min_split_shipment_minor]
    if low:
        return (
            f"split shipment from {', '.join(low)} is worth less than the minimum "
            f"{rule_set.min_split_shipment_minor} for a split"
        )
    return None


def _units(plan: Plan, request: RoutingRequest) -> int:
    """Line units the plan ships (a kit unit is one unit of its line, split or not)."""
    return sum(max(line.quantity, 0) for line in request.lines) - sum(plan.short.values())


def _fallback(
    fallback: str, request: RoutingRequest, best: Plan | None, first: Plan | None, trace: list[str]
) -> Plan:
    why = "no rule set could fill the order"
    if fallback == "backorder" and best is not None:
        plan = best
        for line_id in plan.short:
            plan.short_reasons[line_id] += "; backordered"
        plan.summary = f"backorder: {plan.summary}"
    else:
        # Unfillable (or nothing could ship at all): no assignments, every line waits.
        # The notes still explain every candidate, from the best (or first) rule set tried.
        shown = best or first
        plan = Plan(strategy=shown.strategy if shown else "rules", notes=list(shown.notes) if shown else [])
        for line in request.lines:
            if line.quantity > 0:
                plan.short[line.line_id] = line.quantity
                plan.short_reasons[line.line_id] = f"{why}; {fallback}"
        plan.summary = f"{fallback}: {why}"
    plan.fallback, plan.trace = fallback, trace
    return plan
