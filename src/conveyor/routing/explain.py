"""Turn a solver allocation into a Plan a person can read: assignments, short lines with a reason
each, one note per candidate (kept or dropped, why, score) and a one-line summary.

Allocations already ship whole kits only (fill.allocate, optimiser), so what is shown is what was
priced: nothing is trimmed here."""

from __future__ import annotations

from collections.abc import Callable

from conveyor.routing.model import Assignment, CandidateNote, Plan
from conveyor.routing.problem import Allocation, Item, Problem

Score = Callable[[int], float | None]


def build_plan(plan: Plan, problem: Problem, alloc: Allocation, score: Score, unused_reason: str) -> Plan:
    """Fill `plan` (which already holds the notes of candidates dropped as ineligible)."""
    rank = {j: n for n, j in enumerate(alloc.sites_used)}
    for (i, j), qty in sorted(alloc.units.items(), key=lambda kv: (kv[0][0], rank.get(kv[0][1], 0))):
        item, site = problem.items[i], problem.sites[j]
        plan.assignments.append(Assignment(item.line_id, site.candidate.location_id, qty, item.sku_id))
    _fill_short(plan, problem, alloc)
    _site_notes(plan, problem, alloc.units, score, unused_reason)
    return plan


def _fill_short(plan: Plan, problem: Problem, alloc: Allocation) -> None:
    for i, item in enumerate(problem.items):
        if item.kit < 0 and alloc.short[i] > 0:
            plan.short[item.line_id] = alloc.short[i]
            plan.short_reasons[item.line_id] = short_reason(problem, i, alloc.short[i])
    for kit in problem.kits:
        first = kit.items[0]
        missing = alloc.short[first] // problem.items[first].per_kit  # whole kits not shipped
        if missing > 0:
            plan.short[kit.line_id] = missing
            plan.short_reasons[kit.line_id] = _kit_reason(problem, kit.items, kit.quantity, missing)


def short_reason(problem: Problem, i: int, missing: int) -> str:
    item: Item = problem.items[i]
    what = "kit" if len(item.parts) > 1 else item.parts[0].sku_id
    if not problem.sites:
        return "no eligible location"
    total = problem.available(i)
    if total == 0 and len(item.parts) > 1 and all(_in_stock_somewhere(problem, p.sku_id) for p in item.parts):
        return "no eligible location holds a whole kit (its components ship together; allow_split is off)"
    if total == 0:
        return f"no eligible location has {what} in stock"
    if total < item.quantity:
        whole = " as whole kits (components ship together)" if len(item.parts) > 1 else ""
        return f"only {total} of {item.quantity} unit(s) of {what} available across eligible locations{whole}"
    return f"{missing} unit(s) of {what} compete for the same stock as other lines of this order"


def _kit_reason(problem: Problem, comps: tuple[int, ...], wanted: int, missing: int) -> str:
    if not problem.sites:
        return "no eligible location"
    absent = [problem.items[c].sku_id for c in comps if problem.available(c) == 0]
    if absent:
        return f"no eligible location has component {', '.join(str(s) for s in absent)} in stock"
    makeable = min(problem.available(c) // problem.items[c].per_kit for c in comps)
    if makeable < wanted:
        return f"only {makeable} of {wanted} kit(s) can be made from the components at eligible locations"
    return f"{missing} kit(s) compete for the same stock as other lines of this order"


def _in_stock_somewhere(problem: Problem, sku: str) -> bool:
    return any(s.candidate.available.get(sku, 0) > 0 for s in problem.sites)


def _site_notes(
    plan: Plan, problem: Problem, units: dict[tuple[int, int], int], score: Score, unused_reason: str
) -> None:
    per_site: dict[int, int] = {}
    for (_, j), q in units.items():
        per_site[j] = per_site.get(j, 0) + q
    rows = problem.cover_rows
    notes = plan.notes
    for j, site in enumerate(problem.sites):
        c = site.candidate
        where = site.distance.describe() + (f"; {site.detail}" if site.detail else "")
        if j in per_site:
            reason = f"ships {per_site[j]} unit(s); {where}"
        elif not any(rows[j]):
            reason = f"holds none of the needed stock; {where}"
        else:
            reason = f"{unused_reason}; {where}"
        notes.append(CandidateNote(c.location_id, c.code, j in per_site, reason, score(j)))


def summarise(plan: Plan, extra: str = "") -> str:
    codes = {n.location_id: n.code for n in plan.notes}
    used = [codes.get(loc, loc) for loc in plan.locations]
    if not used:
        text = "nothing can ship"
    elif len(used) == 1:
        text = f"whole order from {used[0]}" if not plan.short else f"ships from {used[0]}"
    else:
        text = f"split over {len(used)} locations: {', '.join(used)}"
    if plan.short:
        text += f"; {sum(plan.short.values())} unit(s) short on {len(plan.short)} line(s)"
    return text + (f"; {extra}" if extra else "")
