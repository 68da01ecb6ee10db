"""Sourcing strategies. Each takes a request and candidates and returns a Plan.

`priority` is the baseline: the highest-priority location that can ship the whole order, else
split line by line in priority order, else leave the rest short (backorder or reject is the
caller's policy)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from conveyor.routing.model import Assignment, Candidate, CandidateNote, Plan, RoutingRequest

Strategy = Callable[[RoutingRequest, Sequence[Candidate]], Plan]


def eligible(candidates: Sequence[Candidate], plan: Plan) -> list[Candidate]:
    """Drop locations that cannot ship at all, noting why."""
    kept = []
    for c in candidates:
        if not c.active:
            plan.notes.append(CandidateNote(c.location_id, c.code, False, "inactive"))
        elif not c.can_ship:
            plan.notes.append(CandidateNote(c.location_id, c.code, False, "does not ship"))
        elif c.capacity_left is not None and c.capacity_left <= 0:
            plan.notes.append(CandidateNote(c.location_id, c.code, False, "no capacity left today"))
        else:
            kept.append(c)
    return kept


def covers_whole_order(candidate: Candidate, request: RoutingRequest) -> bool:
    return all(candidate.line_units_available(line) >= line.quantity for line in request.lines)


def greedy_split(request: RoutingRequest, ordered: Sequence[Candidate], plan: Plan) -> None:
    """Fill each line from the candidates in the given order, tracking what each has left."""
    remaining = {c.location_id: dict(c.available) for c in ordered}
    for line in request.lines:
        need = line.quantity
        for c in ordered:
            if need == 0:
                break
            stock = remaining[c.location_id]
            can = min(stock.get(p.sku_id, 0) // p.per_unit for p in line.components)
            take = min(can, need)
            if take <= 0:
                continue
            for p in line.components:
                stock[p.sku_id] = stock.get(p.sku_id, 0) - take * p.per_unit
            plan.assignments.append(Assignment(line.line_id, c.location_id, take))
            need -= take
        if need:
            plan.short[line.line_id] = need
            plan.short_reasons[line.line_id] = "no eligible location has enough stock"


def priority(request: RoutingRequest, candidates: Sequence[Candidate]) -> Plan:
    plan = Plan(strategy="priority")
    ordered = sorted(eligible(candidates, plan), key=lambda c: (c.priority, c.code))
    for c in ordered:
        if covers_whole_order(c, request):
            plan.assignments = [Assignment(line.line_id, c.location_id, line.quantity) for line in request.lines]
            plan.notes.append(CandidateNote(c.location_id, c.code, True, "highest priority that ships it all",
                                            float(c.priority)))
            for other in ordered:
                if other is not c:
                    plan.notes.append(CandidateNote(other.location_id, other.code, False,
                                                    "another location ships the whole order first",
                                                    float(other.priority)))
            plan.summary = f"whole order from {c.code}"
            return plan
    greedy_split(request, ordered, plan)
    used = set(plan.locations)
    for c in ordered:
        reason = "ships part of the order (priority order)" if c.location_id in used else "no needed stock left"
        plan.notes.append(CandidateNote(c.location_id, c.code, c.location_id in used, reason, float(c.priority)))
    plan.summary = f"split over {len(used)} location(s) in priority order" + (
        f"; {sum(plan.short.values())} unit(s) short" if plan.short else "")
    return plan


STRATEGIES: dict[str, Strategy] = {"priority": priority}


def route(request: RoutingRequest, candidates: Sequence[Candidate], strategy: str = "priority") -> Plan:
    """The one entry point placement calls. Unknown strategy names fall back to `priority`."""
    return STRATEGIES.get(strategy, priority)(request, candidates)
