"""Turn a solver allocation into a Plan a person can read: assignments, short lines with a reason
each, one note per candidate (kept or dropped, why, score) and a one-line summary."""

from __future__ import annotations

from collections.abc import Callable

from conveyor.routing.model import Assignment, CandidateNote, Plan
from conveyor.routing.problem import Allocation, Item, Problem

Score = Callable[[int], float | None]


def build_plan(plan: Plan, problem: Problem, alloc: Allocation, score: Score, unused_reason: str) -> Plan:
    """Fill `plan` (which already holds the notes of candidates dropped as ineligible)."""
    units = _trim_split_kits(problem, dict(alloc.units))
    for (i, j), qty in sorted(units.items(), key=lambda kv: (kv[0][0], alloc.sites_used.index(kv[0][1]))):
        item, site = problem.items[i], problem.sites[j]
        plan.assignments.append(Assignment(item.line_id, site.candidate.location_id, qty, item.sku_id))
    _fill_short(plan, problem, units)
    _site_notes(plan, problem, units, score, unused_reason)
    return plan


def _trim_split_kits(problem: Problem, units: dict[tuple[int, int], int]) -> dict[tuple[int, int], int]:
    """A split kit ships only whole kits: cut every component down to the scarcest one."""
    for idx in _split_kit_items(problem).values():
        kits = min(sum(q for (i, _), q in units.items() if i == k) // problem.items[k].per_kit for k in idx)
        for k in idx:
            excess = sum(q for (i, _), q in units.items() if i == k) - kits * problem.items[k].per_kit
            # Cut the dearest units first: what stays is the cheapest way to ship whole kits.
            mine = [key for key in units if key[0] == k]
            for key in sorted(mine, key=lambda key: -problem.sites[key[1]].unit[key[0]]):
                cut = min(excess, units[key])
                units[key] -= cut
                excess -= cut
                if units[key] == 0:
                    del units[key]
    return units


def _split_kit_items(problem: Problem) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(problem.items):
        if item.sku_id is not None:
            groups.setdefault(item.line_id, []).append(i)
    return groups


def _fill_short(plan: Plan, problem: Problem, units: dict[tuple[int, int], int]) -> None:
    shipped = [0] * len(problem.items)
    for (i, _), q in units.items():
        shipped[i] += q
    for i, item in enumerate(problem.items):
        missing = item.quantity - shipped[i]
        if missing <= 0:
            continue
        # Split kits are counted in whole kits on the line, not in component units.
        line_short = -(-missing // item.per_kit)
        if plan.short.get(item.line_id, 0) < line_short:
            plan.short[item.line_id] = line_short
            plan.short_reasons[item.line_id] = short_reason(problem, i, missing)


def short_reason(problem: Problem, i: int, missing: int) -> str:
    item: Item = problem.items[i]
    what = (
        f"component {item.sku_id}"
        if item.sku_id
        else ("kit" if len(item.parts) > 1 else item.parts[0].sku_id)
    )
    total = int(problem.cover[:, i].sum()) if problem.sites else 0
    if not problem.sites:
        return "no eligible location"
    if total == 0 and len(item.parts) > 1 and all(_in_stock_somewhere(problem, p.sku_id) for p in item.parts):
        return "no eligible location holds a whole kit (its components ship together; allow_split is off)"
    if total == 0:
        return f"no eligible location has {what} in stock"
    if total < item.quantity:
        whole = " as whole kits (components ship together)" if len(item.parts) > 1 else ""
        return f"only {total} of {item.quantity} unit(s) of {what} available across eligible locations{whole}"
    return f"{missing} unit(s) of {what} compete for the same stock as other lines of this order"


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
