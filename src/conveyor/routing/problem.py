"""The routing problem in solver form, shared by the strategies that build one.

A request becomes *items* (what must ship) and the eligible candidates become *sites* (who may
ship it, with a fixed cost for being used at all and a cost per unit of each item). A strategy
picks a set of sites (its own way) and `routing.fill.allocate()` fills the items from that set —
so stock is tracked in one place and no strategy can ship more than a location has.

Units: a plan is judged first by the *line units* it ships, then by cost. A kit unit is one unit
of its line whether or not it may split. A kit that may not split is one item whose unit consumes
all its components at one site. A split kit (`allow_split`) becomes one item per component SKU,
counted in SKU units and tied together by a `Kit`: it ships k whole kits, i.e. exactly k x
per_unit of every component, never a component that cannot complete a kit.

Every unit cost is `site.rate x factor(item)` (per kg rate x kg for the cost model), so the same
order of sites — cheapest rate first — is the cheapest for every item. Filling and pricing rely on
that (see fill.py).
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
    quantity: int  # in this item's units (split kit component: SKU units = kits x per_kit)
    weight_g: float  # per unit of this item
    value_minor: float  # per unit of this item
    per_kit: int = 1  # split kit component: SKU units per kit unit
    kit: int = -1  # split kit component: index into Problem.kits

    @property
    def plain(self) -> bool:
        """One SKU, one of it per unit: units of it can come from any mix of sites."""
        return self.kit < 0 and len(self.parts) == 1 and self.parts[0].per_unit == 1


@dataclass(frozen=True, slots=True)
class Kit:
    """A split kit: `quantity` kits wanted, each needing `per_kit` units of every component item."""

    line_id: str
    quantity: int
    items: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Group:
    """Items whose stock is tied together (they share a SKU, or are components of one kit).
    kind: "own" (one item, stock its own), "kit" (one split kit, components not shared),
    "plain" (plain items of one SKU), "mixed" (anything else: see fill.fill_mixed)."""

    kind: str
    items: tuple[int, ...]
    kits: tuple[int, ...] = ()


@dataclass(slots=True)
class Site:
    candidate: Candidate
    distance: GeoDistance
    fixed: float = 0.0  # cost of shipping anything at all from here
    unit: list[float] = field(default_factory=list)  # cost per unit of each item (rate x factor)
    late: bool = False  # cannot meet the delivery promise
    detail: str = ""  # why it costs what it costs, for the explanation
    rate: float = 0.0  # cost per unit of item factor (per kg for the cost model)


@dataclass(slots=True)
class Problem:
    items: list[Item]
    sites: list[Site]
    split_penalty: float = 0.0
    # Per item, what a unit costs per unit of site rate; None: its weight in kg.
    factors: list[float] | None = None
    # Filled in from the above:
    kits: list[Kit] = field(init=False)
    groups: list[Group] = field(init=False)
    cover_rows: list[list[int]] = field(init=False)  # [site][item] units a site could ship alone
    fill_rank: list[int] = field(init=False)  # per site: its place in the cheapest-rate-first order
    short_penalty: float = field(init=False)
    wanted: int = field(init=False)  # line units wanted
    cache: dict = field(init=False, default_factory=dict)  # per-problem memo for the fill code

    def __post_init__(self) -> None:
        if self.factors is None:
            self.factors = [it.weight_g / 1000.0 for it in self.items]
        for s in self.sites:
            s.unit = [s.rate * f for f in self.factors]
        self.kits = _kits(self.items)
        self.groups = _groups(self.items, self.kits)
        self.cover_rows = _cover_rows(self.sites, self.items)
        order = sorted(range(len(self.sites)), key=lambda j: self.sites[j].rate)
        self.fill_rank = [0] * len(self.sites)
        for rank, j in enumerate(order):
            self.fill_rank[j] = rank
        # Cost per line unit left unshipped: more than the dearest plan could cost, so every
        # strategy ships as many line units as it can before it looks at cost.
        top_rate = max((s.rate for s in self.sites), default=0.0)
        dearest = top_rate * sum(it.quantity * f for it, f in zip(self.items, self.factors, strict=True))
        self.short_penalty = sum(s.fixed + self.split_penalty for s in self.sites) + dearest + 1.0
        self.wanted = sum(it.quantity for it in self.items if it.kit < 0) + sum(k.quantity for k in self.kits)

    def available(self, i: int) -> int:
        """Units of item i all sites could ship, each on its own (shared stock counted twice)."""
        return sum(row[i] for row in self.cover_rows)

    def unit_matrix(self) -> np.ndarray:
        return np.array([s.unit for s in self.sites], dtype=float).reshape(len(self.sites), len(self.items))

    def fixed_vector(self) -> np.ndarray:
        return np.array([s.fixed for s in self.sites], dtype=float)

    def line_missing(self, short: Sequence[int]) -> int:
        """Line units left unshipped, from the units short of each item."""
        missing = sum(q for i, q in enumerate(short) if self.items[i].kit < 0)
        for kit in self.kits:
            first = self.items[kit.items[0]]
            missing += -(-short[kit.items[0]] // first.per_kit)
        return missing


def _kits(items: Sequence[Item]) -> list[Kit]:
    members: dict[int, list[int]] = {}
    for i, it in enumerate(items):
        if it.kit >= 0:
            members.setdefault(it.kit, []).append(i)
    return [
        Kit(items[idx[0]].line_id, items[idx[0]].quantity // items[idx[0]].per_kit, tuple(idx))
        for _, idx in sorted(members.items())
    ]


def _groups(items: Sequence[Item], kits: Sequence[Kit]) -> list[Group]:
    """Union items that share a SKU or a kit; classify each group (see Group)."""
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[str, int] = {}
    for i, it in enumerate(items):
        for p in it.parts:
            parent[root(i)] = root(first_of.setdefault(p.sku_id, i))
    for kit in kits:
        for i in kit.items[1:]:
            parent[root(i)] = root(kit.items[0])
    members: dict[int, list[int]] = {}
    for i in range(len(items)):
        members.setdefault(root(i), []).append(i)
    return [_classify(tuple(idx), items) for idx in members.values()]


def _classify(idx: tuple[int, ...], items: Sequence[Item]) -> Group:
    kits = tuple(sorted({items[i].kit for i in idx if items[i].kit >= 0}))
    skus = [p.sku_id for i in idx for p in items[i].parts]
    if len(idx) == 1 and not kits:
        return Group("own", idx)
    if len(kits) == 1 and all(items[i].kit >= 0 for i in idx) and len(skus) == len(set(skus)):
        return Group("kit", idx, kits)
    if not kits and all(items[i].plain for i in idx):
        return Group("plain", idx)
    return Group("mixed", idx, kits)


def _cover_rows(sites: Sequence[Site], items: Sequence[Item]) -> list[list[int]]:
    if all(len(it.parts) == 1 and it.parts[0].per_unit == 1 for it in items):  # plain SKUs
        need = [(it.parts[0].sku_id, it.quantity) for it in items]
        return [
            [have if (have := get(sku, 0)) < q else q for sku, q in need]
            for get in [s.candidate.available.get for s in sites]
        ]
    shapes = [(it.quantity, [(p.sku_id, p.per_unit) for p in it.parts]) for it in items]
    out = []
    for s in sites:
        get = s.candidate.available.get
        row = []
        for q, parts in shapes:
            units = q
            for sku, per in parts:
                have = get(sku, 0) // per
                if have < units:
                    units = have
            row.append(units if units > 0 else 0)
        out.append(row)
    return out


def units_of(stock: dict[str, int], item: Item, cap: int) -> int:
    """Whole units of `item` that `stock` covers, at most `cap` (never below 0)."""
    if len(item.parts) == 1:  # the common case, on the hot path
        part = item.parts[0]
        return max(0, min(cap, stock.get(part.sku_id, 0) // part.per_unit))
    return max(0, min([cap] + [stock.get(p.sku_id, 0) // p.per_unit for p in item.parts]))


def line_parts(line: RequestLine) -> tuple[Component, ...]:
    """A line's components, merged by SKU (a plain SKU line is its own single component)."""
    if len(line.components) == 1:  # one part (a plain SKU line): nothing to merge
        return line.components
    merged: dict[str, int] = {}
    for c in line.components or (Component(line.sku_id, 1),):
        merged[c.sku_id] = merged.get(c.sku_id, 0) + c.per_unit
    return tuple(Component(sku, n) for sku, n in merged.items())


def build_items(request: RoutingRequest) -> list[Item]:
    items: list[Item] = []
    kits = 0
    for line in request.lines:
        if line.quantity <= 0:
            continue
        parts = line_parts(line)
        if not line.allow_split or len(parts) == 1:
            items.append(Item(line.line_id, None, parts, line.quantity, line.weight_grams, line.unit_price_minor))
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
                    kits,
                )
            )
        kits += 1
    return items


@dataclass(slots=True)
class Allocation:
    units: dict[tuple[int, int], int]  # (item, site) -> units
    short: list[int]  # per item, in the item's units
    cost: float  # fixed + splits + variable + short_penalty x missing
    sites_used: list[int]
    missing: int = 0  # line units not shipped


def empty_allocation(problem: Problem) -> Allocation:
    short = [it.quantity for it in problem.items]
    return Allocation({}, short, problem.short_penalty * problem.wanted, [], problem.wanted)


def finish(problem: Problem, units: dict[tuple[int, int], int], used_order: Sequence[int]) -> Allocation:
    """An Allocation from (item, site) units: short per item, missing line units, cost."""
    shipped = [0] * len(problem.items)
    variable = 0.0
    sites = problem.sites
    for (i, j), q in units.items():
        shipped[i] += q
        variable += q * sites[j].unit[i]
    short = [it.quantity - shipped[i] for i, it in enumerate(problem.items)]
    used_set = {j for (_, j) in units}
    used = [j for j in used_order if j in used_set]
    missing = problem.line_missing(short)
    return Allocation(units, short, allocation_cost(problem, used, variable, missing), used, missing)


def allocation_cost(problem: Problem, used: Sequence[int], variable: float, missing: int) -> float:
    fixed = sum(problem.sites[j].fixed for j in used)
    splits = max(len(used) - 1, 0) * problem.split_penalty
    return fixed + splits + variable + problem.short_penalty * missing


def better(a: Allocation, b: Allocation) -> bool:
    """Is `a` a better plan than `b`: cheaper (so more line units first), then fewer locations?"""
    if abs(a.cost - b.cost) > 1e-6:
        return a.cost < b.cost
    return len(a.sites_used) < len(b.sites_used)
