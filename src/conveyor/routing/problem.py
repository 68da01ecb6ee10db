"""The routing problem in solver form, shared by the cost-based strategies.

A request becomes *items* (what must ship) and the eligible candidates become *sites* (who may
ship it, with a fixed cost for being used at all and a cost per unit of each item). Every
strategy except `priority` builds one of these, picks a set of sites (its own way), and lets
`allocate()` fill the items from that set — so stock is tracked in one place and no strategy can
ship more than a location has.

Kits: a line whose `allow_split` is False is one item whose unit consumes all its components (a
kit unit ships whole from one site). A split kit becomes one item per component SKU, counted in
SKU units; `build_plan()` trims the result back to whole kits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from conveyor.routing.geo import GeoDistance
from conveyor.routing.model import Candidate, Component, RequestLine, RoutingRequest


@dataclass(frozen=True, slots=True)
class Item:
    line_id: str
    sku_id: str | None  # set when the item is one component of a split kit
    parts: tuple[Component, ...]
    quantity: int
    weight_g: float  # per unit of this item
    value_minor: float  # per unit of this item
    per_kit: int = 1  # split kit component: SKU units per kit unit


@dataclass(slots=True)
class Site:
    candidate: Candidate
    distance: GeoDistance
    fixed: float = 0.0  # cost of shipping anything at all from here
    unit: list[float] = field(default_factory=list)  # cost per unit of each item
    late: bool = False  # cannot meet the delivery promise
    detail: str = ""  # why it costs what it costs, for the explanation


@dataclass(slots=True)
class Problem:
    items: list[Item]
    sites: list[Site]
    split_penalty: float = 0.0
    # Filled in from the above (build sites completely before making the Problem):
    cover: np.ndarray = field(init=False)  # [site, item] units a site could ship alone (capped)
    need: np.ndarray = field(init=False)  # [item] units wanted
    short_penalty: float = field(init=False)

    # The same cover as plain lists ([site][item]): the pure-Python paths read it element by
    # element, which is much cheaper than indexing a numpy array.
    cover_rows: list[list[int]] = field(init=False)

    def __post_init__(self) -> None:
        n, m = len(self.sites), len(self.items)
        self.cover_rows = _cover_rows(self.sites, self.items)
        self.cover = np.array(self.cover_rows, dtype=np.int64).reshape(n, m)
        self.need = np.array([it.quantity for it in self.items], dtype=np.int64)
        # Cost per unit left unshipped: more than opening every site could ever cost, so every
        # strategy fills as many units as it can before it looks at cost.
        worst_unit = max((max(s.unit, default=0.0) for s in self.sites), default=0.0)
        self.short_penalty = sum(s.fixed + self.split_penalty for s in self.sites) + worst_unit + 1.0

    def unit_matrix(self) -> np.ndarray:
        return np.array([s.unit for s in self.sites], dtype=float).reshape(len(self.sites), len(self.items))

    def fixed_vector(self) -> np.ndarray:
        return np.array([s.fixed for s in self.sites], dtype=float)


def _cover_rows(sites: Sequence[Site], items: Sequence[Item]) -> list[list[int]]:
    if all(len(it.parts) == 1 and it.parts[0].per_unit == 1 for it in items):  # plain SKUs
        need = [(it.parts[0].sku_id, it.quantity) for it in items]
        return [
            [have if (have := get(sku, 0)) < q else q for sku, q in need]
            for get in [s.candidate.available.get for s in sites]
        ]
    return [_cover_row(s.candidate.available, items) for s in sites]


def _cover_row(stock: dict[str, int], items: Sequence[Item]) -> list[int]:
    row = []
    for it in items:
        parts = it.parts
        if len(parts) == 1:
            p = parts[0]
            have = stock.get(p.sku_id, 0)
            units = have if p.per_unit == 1 else have // p.per_unit
        else:
            units = min([stock.get(p.sku_id, 0) // p.per_unit for p in parts])
        row.append(it.quantity if units > it.quantity else units)
    return row


def units_of(stock: dict[str, int], item: Item, cap: int) -> int:
    """Whole units of `item` that `stock` covers, at most `cap`."""
    if len(item.parts) == 1:  # the common case, on the hot path
        part = item.parts[0]
        return min(cap, stock.get(part.sku_id, 0) // part.per_unit)
    return min([cap] + [stock.get(p.sku_id, 0) // p.per_unit for p in item.parts])


def line_parts(line: RequestLine) -> tuple[Component, ...]:
    """A line's components, merged by SKU (a plain SKU line is its own single component)."""
    merged: dict[str, int] = {}
    for c in line.components or (Component(line.sku_id, 1),):
        merged[c.sku_id] = merged.get(c.sku_id, 0) + c.per_unit
    return tuple(Component(sku, n) for sku, n in merged.items())


def build_items(request: RoutingRequest) -> list[Item]:
    items = []
    for line in request.lines:
        if line.quantity <= 0:
            continue
        parts = line_parts(line)
        if not line.allow_split or len(parts) == 1:
            items.append(
                Item(line.line_id, None, parts, line.quantity, line.weight_grams, line.unit_price_minor)
            )
            continue
        # Spread the kit's weight and value over its component units so costs and minimum
        # shipment values still add up to the kit's.
        per_kit = sum(p.per_unit for p in parts)
        for p in parts:
            items.append(
                Item(
                    line.line_id,
                    p.sku_id,
                    (Component(p.sku_id, 1),),
                    line.quantity * p.per_unit,
                    line.weight_grams / per_kit,
                    line.unit_price_minor / per_kit,
                    p.per_unit,
                )
            )
    return items


@dataclass(slots=True)
class Allocation:
    units: dict[tuple[int, int], int]  # (item, site) -> units
    short: list[int]  # per item
    cost: float
    sites_used: list[int]


def allocate(problem: Problem, chosen: Sequence[int], reverse: bool = False) -> Allocation:
    """Fill every item from the chosen sites, cheapest per unit first, tracking shared stock.
    Items go in request order (or reversed: when lines share a SKU, who goes first matters)."""
    stock = {j: dict(problem.sites[j].candidate.available) for j in chosen}
    units: dict[tuple[int, int], int] = {}
    short, variable = [0] * len(problem.items), 0.0
    order = range(len(problem.items) - 1, -1, -1) if reverse else range(len(problem.items))
    for i in order:
        item = problem.items[i]
        need = item.quantity
        for j in sorted(chosen, key=lambda j: problem.sites[j].unit[i]):
            take = units_of(stock[j], item, need)
            if take <= 0:
                continue
            for p in item.parts:
                stock[j][p.sku_id] -= take * p.per_unit
            units[(i, j)] = take
            variable += take * problem.sites[j].unit[i]
            need -= take
            if need == 0:
                break
        short[i] = need
    used = sorted({j for (_, j) in units}, key=list(chosen).index)
    return Allocation(units, short, allocation_cost(problem, used, variable, short), used)


def empty_allocation(problem: Problem) -> Allocation:
    short = [it.quantity for it in problem.items]
    return Allocation({}, short, allocation_cost(problem, [], 0.0, short), [])


def allocation_cost(problem: Problem, used: Sequence[int], variable: float, short: Sequence[int]) -> float:
    fixed = sum(problem.sites[j].fixed for j in used)
    splits = max(len(used) - 1, 0) * problem.split_penalty
    return fixed + splits + variable + problem.short_penalty * sum(short)


def independent_items(problem: Problem) -> list[bool]:
    """Per item: True when no other item draws on any of its SKUs (its stock is its own)."""
    count: dict[str, int] = {}
    for it in problem.items:
        for p in it.parts:
            count[p.sku_id] = count.get(p.sku_id, 0) + 1
    return [all(count[p.sku_id] == 1 for p in it.parts) for it in problem.items]


@dataclass(slots=True)
class Bounds:
    """Lower bounds on the cost of plans over some sites (see bound_sites)."""

    base: float  # short units no plan avoids + the variable cost every plan pays at least
    ship: list[int]  # per item: units every cheapest plan ships (0 where stock is shared)
    fixed: list[float]  # fixed costs of the sites, ascending

    def with_sites(self, problem: Problem, k: int) -> float:
        """No plan shipping from k sites costs less."""
        return self.base + sum(self.fixed[:k]) + problem.split_penalty * max(k - 1, 0)


def lower_bounds(problem: Problem, sites: Sequence[int]) -> Bounds:
    m = len(problem.items)
    rows = problem.cover_rows
    tot = [0] * m
    for j in sites:
        r = rows[j]
        for i in range(m):
            tot[i] += r[i]
    own = independent_items(problem)
    least_short = 0
    ship = [0] * m
    variable = 0.0
    for i, it in enumerate(problem.items):
        q = it.quantity
        if tot[i] < q:
            least_short += q - tot[i]
        if own[i]:
            ship[i] = min(q, tot[i])
            if ship[i]:
                variable += ship[i] * min(problem.sites[j].unit[i] for j in sites if rows[j][i] > 0)
    fixed = sorted(problem.sites[j].fixed for j in sites)
    return Bounds(problem.short_penalty * least_short + variable, ship, fixed)


def site_count_range(problem: Problem, sites: Sequence[int], upper: float) -> tuple[int, int]:
    """(fewest, most) sites a plan over `sites` costing less than `upper` can ship from."""
    b = lower_bounds(problem, sites)
    rows = problem.cover_rows
    m = len(problem.items)
    alone = any(all(rows[j][i] >= b.ship[i] for i in range(m)) for j in sites)
    fewest = 1 if alone else 2
    most = fewest
    while most < len(sites) and b.with_sites(problem, most + 1) < upper - 1e-6:
        most += 1
    return fewest, most


def bound_sites(problem: Problem, sites: Sequence[int], upper: float) -> list[int]:
    """The sites of `sites` that can be part of a plan costing less than `upper` (a plan's
    cost found already): exact pruning, shared by the heuristic and the solver.

    For a plan that ships from site j, cost >= short_penalty x (units no site set can ship)
    + fixed_j + (each item whose stock is its own ships all it can, at the cheapest unit cost
    anywhere) + (another site's fixed cost and a split, when j alone cannot ship those items).
    """
    m = len(problem.items)
    rows = problem.cover_rows
    b = lower_bounds(problem, sites)
    ship, fixed = b.ship, b.fixed
    kept = []
    for j in sites:
        lb = b.base + problem.sites[j].fixed
        r = rows[j]
        if any(r[i] < ship[i] for i in range(m)):  # needs at least one more site
            other = fixed[1] if fixed[0] == problem.sites[j].fixed and len(fixed) > 1 else fixed[0]
            lb += problem.split_penalty + other
        if lb < upper - 1e-6:
            kept.append(j)
    return kept
