"""Filling a *mixed* group: kits (split or not) that share SKUs with other lines of the order.

Say a kit {A, B} and a plain line of A: every A the kit takes is one the line cannot have, and a
kit can only come from a site that holds all its parts. Filling in request order gets this wrong
both ways, so the choices are enumerated instead, in two steps:

1. Totals. The rigid items (kits that may not split, lines of multi-packs) ship X_r units in all,
   each split kit k_l kits. Plain lines can take their SKU from any site of the set, so for given
   totals the line units shipped are exact without knowing where the rigid units come from:
       sum X_r + sum k_l + sum over SKUs of min(plain demand, set's stock - what the kits use).
   Every combination of totals is scored that way; the best-scoring ones are tried first.
2. Places. For those totals, every way to place the rigid units on the set's sites (cheapest
   sites first, within STEPS search steps) is filled: split-kit components and plain lines go to
   the stock left (lightest plain units first when short, heaviest units into the cheapest
   sites), and the cheapest placement wins. If no placement exists (two kits competing for one
   site's stock), the next level down is tried.

Groups are small (a few lines, a few sites), so this stays in the tens of microseconds; the caps
(COMBOS, STEPS) bound the rare big cases, at the price of exactness only in cost there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, product

from conveyor.routing.fill import Units, lightest_first, monge_fill
from conveyor.routing.problem import Group, Problem

COMBOS = 4096  # combinations of totals scored at most
STEPS = 2000  # steps of the placement search per level of line units (then the best found wins)


@dataclass(slots=True)
class _Layout:
    """What a mixed group needs, with SKUs as indices: the same for every set of sites."""

    rigid: list[int] = field(default_factory=list)
    kits: list[int] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)
    uses: list[list[tuple[int, int]]] = field(default_factory=list)  # per dimension: (sku, per unit)
    plain: list[list[int]] = field(default_factory=list)  # per SKU: its plain items
    demand: list[int] = field(default_factory=list)  # per SKU: what its plain items want

    @classmethod
    def of(cls, problem: Problem, group: Group) -> _Layout:
        found = problem.cache.get(group)
        if found is not None:
            return found
        items = problem.items
        layout = cls(kits=list(group.kits))
        index: dict[str, int] = {}
        for i in group.items:
            for p in items[i].parts:
                index.setdefault(p.sku_id, len(index))
        layout.skus = list(index)
        layout.plain = [[] for _ in index]
        for i in group.items:
            item = items[i]
            if item.plain:
                layout.plain[index[item.parts[0].sku_id]].append(i)
            elif item.kit < 0:
                layout.rigid.append(i)
                layout.uses.append([(index[p.sku_id], p.per_unit) for p in item.parts])
        for k in layout.kits:
            layout.uses.append([(index[items[c].parts[0].sku_id], items[c].per_kit) for c in problem.kits[k].items])
        layout.demand = [sum(items[i].quantity for i in idx) for idx in layout.plain]
        problem.cache[group] = layout
        return layout


@dataclass(slots=True)
class _Shape:
    """The group on the chosen sites (this runs inside the search)."""

    problem: Problem
    order: Sequence[int]
    rigid: list[int]
    kits: list[int]
    skus: list[str]
    uses: list[list[tuple[int, int]]]
    plain: list[list[int]]
    demand: list[int]
    supply: list[list[int]] = field(default_factory=list)  # per site of `order`, per SKU
    total: list[int] = field(default_factory=list)  # per SKU

    @classmethod
    def of(cls, problem: Problem, group: Group, order: Sequence[int]) -> _Shape:
        lay = _Layout.of(problem, group)
        shape = cls(problem, order, lay.rigid, lay.kits, lay.skus, lay.uses, lay.plain, lay.demand)
        for j in order:
            get = problem.sites[j].candidate.available.get
            shape.supply.append([get(sku, 0) for sku in shape.skus])
        shape.total = [sum(col) for col in zip(*shape.supply, strict=True)] if order else [0] * len(shape.skus)
        return shape


def fill_mixed(problem: Problem, group: Group, order: Sequence[int], units: Units) -> None:
    shape = _Shape.of(problem, group, order)
    for _, level in _levels(shape):
        best: tuple[float, Units] | None = None
        budget = [STEPS]
        for totals in level:
            for placed in _placements(shape, totals, budget):
                trial = _complete(shape, totals, placed)
                if best is None or trial[0] < best[0] - 1e-9:
                    best = trial
        if best is not None:
            units.update(best[1])
            return


def most_line_units(problem: Problem, group: Group, order: Sequence[int]) -> int:
    """Line units of the group fill_mixed() ships: the best level with any placement."""
    shape = _Shape.of(problem, group, order)
    for got, level in _levels(shape):
        budget = [STEPS]
        if any(next(_placements(shape, totals, budget), None) is not None for totals in level):
            return got
    return 0


def _levels(shape: _Shape) -> Iterator[tuple[int, list[tuple[int, ...]]]]:
    """Feasible totals (X per rigid item, then k per split kit), grouped by line units shipped,
    most first."""
    items, kits = shape.problem.items, shape.problem.kits
    rows = shape.problem.cover_rows
    tops = [min(items[r].quantity, sum(rows[j][r] for j in shape.order)) for r in shape.rigid]
    tops += [kits[k].quantity for k in shape.kits]
    scored: dict[int, list[tuple[int, ...]]] = {}
    for totals in _combinations(tops):
        got = _line_units(shape, totals)
        if got is not None:
            scored.setdefault(got, []).append(totals)
    for got in sorted(scored, reverse=True):
        yield got, scored[got]


def _combinations(tops: list[int]) -> Iterator[tuple[int, ...]]:
    """Every vector of totals up to `tops`, largest first; past COMBOS, only the values near
    each top (and zero) are kept per dimension."""
    width = max(tops, default=0) + 1
    while width > 1 and _count(tops, width) > COMBOS:
        width -= 1
    ranges = [sorted({*range(top, max(top - width, -1), -1), 0}, reverse=True) for top in tops]
    return product(*ranges)


def _count(tops: list[int], width: int) -> int:
    n = 1
    for top in tops:
        n *= min(top + 1, width + 1)
    return n


def _line_units(shape: _Shape, totals: tuple[int, ...]) -> int | None:
    """Line units shipped with these totals, or None if the set's stock cannot make them."""
    used = [0] * len(shape.skus)
    for uses, x in zip(shape.uses, totals, strict=True):
        if x:
            for s, per in uses:
                used[s] += x * per
    got = sum(totals)
    for s, total in enumerate(shape.total):
        left = total - used[s]
        if left < 0:
            return None
        got += shape.demand[s] if shape.demand[s] < left else left
    return got


Placement = list[tuple[int, int, int]]  # (rigid item, site, units)


def _placements(shape: _Shape, totals: tuple[int, ...], budget: list[int]) -> Iterator[Placement]:
    """Ways to put the rigid totals on the sites (depth first, cheapest sites and the most units
    first), within budget[0] steps."""
    stock = [list(row) for row in shape.supply]
    placed: Placement = []
    wanted = list(zip(range(len(shape.rigid)), totals, strict=False))

    def fits(d: int, t: int) -> int:
        return min(stock[t][s] // per for s, per in shape.uses[d])

    # What the sites from t on could take of each rigid item with all their stock: if that is
    # less than what is left to place, no placement down this branch exists.
    room = [list(accumulate([fits(d, t) for t in range(len(stock))][::-1]))[::-1] + [0] for d, _ in wanted]

    def walk(k: int, t: int, need: int) -> Iterator[Placement]:
        budget[0] -= 1
        if budget[0] < 0:
            return
        if k == len(wanted):
            yield placed
            return
        d = wanted[k][0]
        if need == 0:
            yield from walk(k + 1, 0, wanted[k + 1][1] if k + 1 < len(wanted) else 0)
            return
        if room[d][t] < need:
            return
        uses = shape.uses[d]
        for a in range(min(need, fits(d, t)), -1, -1):
            for s, per in uses:
                stock[t][s] -= a * per
            if a:
                placed.append((shape.rigid[d], shape.order[t], a))
            yield from walk(k, t + 1, need - a)
            if a:
                placed.pop()
            for s, per in uses:
                stock[t][s] += a * per

    return walk(0, 0, wanted[0][1] if wanted else 0)


def _complete(shape: _Shape, totals: tuple[int, ...], placed: Placement) -> tuple[float, Units]:
    """Fill split-kit components and plain lines around the placed rigid units; (cost, units)."""
    problem, items = shape.problem, shape.problem.items
    units: Units = {}
    cost = 0.0
    left = [list(row) for row in shape.supply]
    where = {j: t for t, j in enumerate(shape.order)}
    index = {sku: s for s, sku in enumerate(shape.skus)}
    for r, j, a in placed:
        units[(r, j)] = a
        cost += a * problem.sites[j].unit[r]
        for p in items[r].parts:
            left[where[j]][index[p.sku_id]] -= a * p.per_unit
    fixed: list[list[tuple[int, int]]] = [[] for _ in shape.skus]
    for k, made in zip(shape.kits, totals[len(shape.rigid):], strict=True):
        for c in problem.kits[k].items:
            fixed[index[items[c].parts[0].sku_id]].append((c, made * items[c].per_kit))
    for s in range(len(shape.skus)):
        supply = [(j, row[s]) for j, row in zip(shape.order, left, strict=True) if row[s] > 0]
        spare = sum(have for _, have in supply) - sum(q for _, q in fixed[s])
        amounts = fixed[s] + lightest_first(problem, shape.plain[s], spare)
        cost += monge_fill(problem, amounts, supply, units)
    used = {j for (_, j) in units}
    cost += sum(problem.sites[j].fixed for j in used) + problem.split_penalty * max(len(used) - 1, 0)
    return cost, units
