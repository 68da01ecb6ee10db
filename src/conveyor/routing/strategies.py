"""Sourcing strategies. Each takes a request and candidates and returns a Plan.

`priority` is the baseline: the highest-priority location that can ship the whole order, else
split line by line in priority order, else leave the rest short (backorder or reject is the
caller's policy). It ignores `allow_split` on kits (kits always ship whole), as it always did.

The others build a routing Problem (routing.problem) and differ only in how they price sites and
pick the set of sites to ship from:
  nearest        nearest single site that ships it all, else fill nearest-first
  fewest_splits  fewest sites, then shortest total distance (heuristic set search)
  lowest_cost    lowest estimated shipping cost (routing.cost) by a fast set search
  optimal        the same cost, solved exactly by HiGHS, never worse than lowest_cost's plan (which
                 seeds it); says so when the solver stops at its time limit
All of them ship as many line units as the candidates allow (a kit unit is one unit of its line),
keep `available`, skip inactive / non-shipping / full-capacity sites, honour
`allow_split` kits and explain every candidate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import mul

from conveyor.routing import heuristic, optimiser
from conveyor.routing.cost import DEFAULT_COSTS, CostModel, cost_problem
from conveyor.routing.explain import build_plan, summarise
from conveyor.routing.fill import allocate
from conveyor.routing.geo import distance, locate
from conveyor.routing.model import Assignment, Candidate, CandidateNote, Plan, RoutingRequest
from conveyor.routing.problem import Allocation, Problem, Site, better, build_items

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
    # Demand is summed per SKU: two lines (or kits) may draw on the same stock, and checking them
    # one by one would promise the same units twice.
    need: dict[str, int] = {}
    for line in request.lines:
        for part in line.components:
            need[part.sku_id] = need.get(part.sku_id, 0) + part.per_unit * max(line.quantity, 0)
    return all(candidate.available.get(sku, 0) >= qty for sku, qty in need.items())


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
            plan.assignments = [
                Assignment(line.line_id, c.location_id, line.quantity) for line in request.lines
            ]
            plan.notes.append(
                CandidateNote(
                    c.location_id, c.code, True, "highest priority that ships it all", float(c.priority)
                )
            )
            for other in ordered:
                if other is not c:
                    plan.notes.append(
                        CandidateNote(
                            other.location_id,
                            other.code,
                            False,
                            "another location ships the whole order first",
                            float(other.priority),
                        )
                    )
            plan.summary = f"whole order from {c.code}"
            return plan
    greedy_split(request, ordered, plan)
    used = set(plan.locations)
    for c in ordered:
        reason = (
            "ships part of the order (priority order)" if c.location_id in used else "no needed stock left"
        )
        plan.notes.append(
            CandidateNote(c.location_id, c.code, c.location_id in used, reason, float(c.priority))
        )
    plan.summary = f"split over {len(used)} location(s) in priority order" + (
        f"; {sum(plan.short.values())} unit(s) short" if plan.short else ""
    )
    return plan


def _distance_sites(request: RoutingRequest, kept: Sequence[Candidate]) -> list[Site]:
    """Sites sorted nearest first (unknown distance last, then by priority)."""
    point = locate(request.destination)
    sites = [Site(c, distance(point, c)) for c in kept]
    sites.sort(
        key=lambda s: (s.distance.km is None, s.distance.km or 0.0, s.candidate.priority, s.candidate.code)
    )
    return sites


def _km(site: Site) -> float | None:
    return None if site.distance.km is None else round(site.distance.km, 1)


def nearest(
    request: RoutingRequest, candidates: Sequence[Candidate], costs: CostModel = DEFAULT_COSTS
) -> Plan:
    plan = Plan(strategy="nearest")
    items = build_items(request)
    sites = _distance_sites(request, eligible(candidates, plan))
    for rank, site in enumerate(sites):  # the fill order is the distance order
        site.rate = float(rank)
    problem = Problem(items, sites, factors=[1.0] * len(items))
    alloc = None
    for j in range(len(sites)):
        if sum(problem.cover_rows[j]) == sum(it.quantity for it in items):
            trial = allocate(problem, [j])
            if not trial.missing:  # re-checked: lines may share a SKU
                alloc = trial
                break
    extra = "nearest location that ships it all"
    if alloc is None:
        alloc, extra = allocate(problem, list(range(len(sites)))), "filled nearest first"
    build_plan(plan, problem, alloc, lambda j: _km(sites[j]), "a nearer location covers it")
    plan.summary = summarise(plan, extra)
    return plan


# Fewest splits as a cost: one site costs more than any distance, so count wins, then km.
_SITE = 1_000_000.0
_UNKNOWN_KM = 20_000.0


def fewest_splits(
    request: RoutingRequest, candidates: Sequence[Candidate], costs: CostModel = DEFAULT_COSTS
) -> Plan:
    plan = Plan(strategy="fewest_splits")
    items = build_items(request)
    sites = _distance_sites(request, eligible(candidates, plan))
    for site in sites:
        km = _UNKNOWN_KM if site.distance.km is None else site.distance.km
        site.fixed = _SITE + km
    problem = Problem(items, sites, factors=[0.0] * len(items))
    alloc = heuristic.search(problem)
    build_plan(plan, problem, alloc, lambda j: _km(sites[j]), "not needed: fewer or nearer locations suffice")
    plan.summary = summarise(plan, f"{len(alloc.sites_used)} shipment(s)")
    return plan


def lowest_cost(
    request: RoutingRequest, candidates: Sequence[Candidate], costs: CostModel = DEFAULT_COSTS
) -> Plan:
    plan = Plan(strategy="lowest_cost")
    problem = cost_problem(request, eligible(candidates, plan), costs)
    return _cost_plan(plan, problem, heuristic.search(problem), "")


def optimal(
    request: RoutingRequest,
    candidates: Sequence[Candidate],
    costs: CostModel = DEFAULT_COSTS,
    time_limit: float = optimiser.TIME_LIMIT_S,
) -> Plan:
    plan = Plan(strategy="optimal")
    problem = cost_problem(request, eligible(candidates, plan), costs)
    # The heuristic's plan bounds the solver's search (see optimiser.solve) and is the answer
    # when the solver proves nothing in time.
    quick = heuristic.search(problem)
    out = optimiser.run(problem, time_limit, upper=quick.cost, missing=quick.missing)
    alloc = quick if out.alloc is None or better(quick, out.alloc) else out.alloc
    if out.proven:
        extra = "proven optimal"
    elif out.timed_out:
        extra = f"time limit ({time_limit:g} s) reached before an optimum was proven; best plan found"
        extra += "; used lowest_cost" if alloc is quick else ""
    else:
        extra = "solver gave no proven optimum; used lowest_cost"
    return _cost_plan(plan, problem, alloc, extra)


def _cost_plan(plan: Plan, problem: Problem, alloc: Allocation, extra: str) -> Plan:
    per_site: dict[int, list[tuple[int, int]]] = {}
    for (i, j), q in alloc.units.items():
        per_site.setdefault(j, []).append((i, q))

    rows = problem.cover_rows

    def score(j: int) -> float:
        site = problem.sites[j]
        unit = site.unit
        shipped = per_site.get(j)  # else what it could ship on its own
        variable = sum(unit[i] * q for i, q in shipped) if shipped else sum(map(mul, unit, rows[j]))
        return round(site.fixed + variable, 1)

    build_plan(plan, problem, alloc, score, "not used: a cheaper plan was found")
    plan.cost_minor = round(alloc.cost - problem.short_penalty * alloc.missing)
    text = f"est. shipping cost {plan.cost_minor} (minor units)"
    plan.summary = summarise(plan, f"{text}; {extra}" if extra else text)
    return plan


STRATEGIES: dict[str, Strategy] = {
    "priority": priority,
    "nearest": nearest,
    "fewest_splits": fewest_splits,
    "lowest_cost": lowest_cost,
    "optimal": optimal,
}


def route(request: RoutingRequest, candidates: Sequence[Candidate], strategy: str = "priority") -> Plan:
    """The one entry point placement calls. Unknown strategy names fall back to `priority`."""
    return STRATEGIES.get(strategy, priority)(request, candidates)
