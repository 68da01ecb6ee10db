"""Price many site sets at once (numpy): a relaxation of fill.allocate() and the bounds built on it.

The items become *columns*: all plain items of one SKU are one column (their summed demand, at
the lightest item's weight), every other item is its own column. Each column fills from a set's
sites cheapest rate first as if it had the sites' stock to itself; split kits ship as many whole
kits as their components' columns allow. So, for the sites of any plan:
    price(set) <= the cost of any plan that ships from exactly that set,
and it is exact (equal to allocate()) when no kit shares a SKU with another line and lines
sharing a SKU weigh the same (`Pricer.exact`). The search ranks sets by price and re-prices the
best exactly; the optimiser's presolve drops sites no cheap set contains.

Sites are indexed in the pricer by their fill rank (cheapest rate first), and every set is a row
of ascending indices, so a row's order *is* its fill order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from conveyor.routing.estimate import fill_in_turn, plan_steps
from conveyor.routing.problem import Problem


@dataclass(frozen=True, slots=True)
class Columns:
    items: list[list[int]]  # problem items in each column
    kits: list[tuple[np.ndarray, np.ndarray, int]]  # per split kit: (columns, units per kit, kits wanted)
    exact: bool  # the relaxation prices every set exactly


@dataclass(frozen=True, slots=True)
class Priced:
    """Prices of B sets."""

    cost: np.ndarray  # [B] never more than a plan shipping from exactly the set costs
    rank: np.ndarray  # [B] what it likely costs, to order sets by (= cost when Pricer.exact; with
    # kits sharing stock, the cost of a plan the set can ship, so never below its exact cost)
    soft: np.ndarray  # [B] rank with what is short shipped by one more site at the cheapest rates
    missing: np.ndarray  # [B] line units missing (at least)
    short: np.ndarray  # [column, B] units short
    used: np.ndarray  # [position, B] the site ships something
    take: np.ndarray  # [column, position, B] units each column takes there
    made: list[np.ndarray]  # per split kit: [B] whole kits made

    def order(self) -> np.ndarray:
        """Sets by cost, ties by rank."""
        return np.lexsort((self.rank, self.cost))


@dataclass(frozen=True, slots=True)
class Scarcity:
    """SKUs shared within mixed groups, for a bound the per-column relaxation misses: if a set
    holds `short` units less of a SKU than the lines want, at least short / (most of it one line
    unit uses) line units stay unshipped, whoever gets the stock."""

    stock: np.ndarray  # [sku, site]
    demand: np.ndarray  # [sku] units the order's lines want
    per_line_unit: np.ndarray  # [sku] the most of it one line unit uses
    rows: list[np.ndarray]  # per mixed group: its SKUs' rows
    line_cols: np.ndarray  # [group, column] the group's columns counted in line units
    kits: np.ndarray  # [group, kit] the group's split kits


def columns(problem: Problem) -> Columns:
    cols: list[list[int]] = []
    by_sku: dict[str, int] = {}
    for i, item in enumerate(problem.items):
        if item.plain:
            sku = item.parts[0].sku_id
            if sku in by_sku:
                cols[by_sku[sku]].append(i)
                continue
            by_sku[sku] = len(cols)
        cols.append([i])
    col_of = {i: c for c, idx in enumerate(cols) for i in idx}
    kits = [
        (
            np.array([col_of[i] for i in kit.items]),
            np.array([problem.items[i].per_kit for i in kit.items], dtype=float),
            kit.quantity,
        )
        for kit in problem.kits
    ]
    factors = problem.factors or []
    uniform = all(len({factors[i] for i in idx}) == 1 for idx in cols)
    exact = uniform and all(g.kind != "mixed" for g in problem.groups)
    return Columns(cols, kits, exact)


class Pricer:
    """F fixed [n], rate [n], C cover [n, m], q demand [m], factor [m]; sites in fill order."""

    def __init__(self, problem: Problem, useful: Sequence[int]) -> None:
        self.sites = sorted(useful, key=problem.fill_rank.__getitem__)  # pricer index -> site
        self.n = len(self.sites)
        cols = columns(problem)
        self.exact, self.kits = cols.exact, cols.kits
        factors = problem.factors or []
        self.q = np.array([sum(problem.items[i].quantity for i in idx) for idx in cols.items], dtype=float)
        self.factor = np.array([min(factors[i] for i in idx) for idx in cols.items], dtype=float)
        self.C = _cover(problem, self.sites, cols.items, self.q)
        self.Ct = np.ascontiguousarray(self.C.T)  # [column, site]
        self.F = problem.fixed_vector()[self.sites]
        self.rate = np.array([problem.sites[j].rate for j in self.sites], dtype=float)
        self.P, self.S = problem.short_penalty, problem.split_penalty
        self.line_weights = np.ones(len(self.q))  # columns counted in line units (not kit parts)
        for idx, _, _ in self.kits:
            self.line_weights[idx] = 0.0
        demand, kits = self.demand(self.C.sum(0)[:, None])
        self.ship = demand[:, 0]  # per column: the most any plan ships
        self.least_missing = float(self._missing(self.q[:, None] - self.ship[:, None], kits)[0])
        holds = self.C > 0
        cheapest = np.where(holds, self.rate[:, None] * self.factor[None, :], np.inf).min(0)
        cheapest = np.where(np.isfinite(cheapest), cheapest, 0.0)
        self.least_variable = float((self.ship * cheapest).sum())
        # The soft price completes a set that leaves something short optimistically: one more
        # site (the cheapest to open) and every missing unit at its cheapest rate. It keeps cheap
        # sets that are one site away from shipping everything in a beam.
        self.cheapest_unit = cheapest
        self.unavoidable = self.q - self.ship
        self.sorted_fixed = np.sort(self.F)
        self.one_more = float(self.sorted_fixed[0] + self.S) if self.n else 0.0
        self.scarcity = _scarcity(problem, self.sites, cols)
        self.turns = plan_steps(problem, self.sites, cols.items, self.kits)

    def demand(self, totals: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Units each column ships [m, B] given the sets' total cover [m, B] (filling cheapest
        first, a set ships all it wants or all it has), and kits made per split kit [B]: a split
        kit's components want exactly what makes whole kits."""
        if not self.kits:
            return np.minimum(self.q[:, None], totals), []
        want = np.repeat(self.q[:, None], totals.shape[1], axis=1)
        made = []
        for idx, per, qty in self.kits:
            k = np.minimum(np.floor(totals[idx] / per[:, None]).min(0), qty)
            want[idx] = k[None, :] * per[:, None]
            made.append(k)
        return np.minimum(want, totals), made

    def _missing(self, short: np.ndarray, made: list[np.ndarray]) -> np.ndarray:
        missing = self.line_weights @ short
        for (_, _, qty), k in zip(self.kits, made, strict=True):
            missing = missing + (qty - k)
        return missing

    # -- prices ---------------------------------------------------------------------------------

    def _fill(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """Units each column takes at each position [m, L, B] (cheapest sites first), units it
        ships [m, B], kits made."""
        C = self.Ct[:, idx]  # [m, L, B]
        reach = C.cumsum(1)
        shipped, made = self.demand(reach[:, -1, :])
        return np.minimum(C, np.maximum(shipped[:, None, :] - (reach - C), 0.0)), shipped, made

    def _rest(self, idx: np.ndarray, take: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fixed costs, splits and variable cost of each set [B]; which sites ship [L, B]."""
        m, size, count = take.shape
        used = np.any(take, axis=0)
        per_site = (self.factor @ take.reshape(m, -1)).reshape(size, count)  # item factor shipped
        variable = (per_site * self.rate[idx]).sum(0)
        fixed = (self.F[idx] * used).sum(0) + self.S * np.maximum(used.sum(0) - 1, 0)
        return fixed + variable, used

    def price(self, sets: np.ndarray) -> Priced:
        """Price each set (rows of ascending pricer indices). Works on [column, position in set,
        set] arrays so the sums run over the short axes."""
        idx = sets.T  # [L, B]
        take, shipped, made = self._fill(idx)
        rest, used = self._rest(idx, take)
        short = self.q[:, None] - shipped
        missing = self._missing(short, made)
        cost = rest + self.P * missing
        gap = np.maximum(short - self.unavoidable[:, None], 0.0)  # [m, B] units another site could add
        soft = rest + self.cheapest_unit @ gap + self.one_more * gap.any(0)
        if self.scarcity is None:
            return Priced(cost, cost, soft, missing, short, used, take, made)
        # Shared SKUs may run out: more line units go missing than the columns say, and then
        # what ships (so its variable cost) is unknown: the bound is the penalty alone.
        missing = self._scarce(missing, short, made, idx)
        rank = rest + self.P * missing
        return Priced(np.maximum(cost, self.P * missing), rank, soft, missing, short, used, take, made)

    def in_turn(self, sets: np.ndarray, priced: Priced, rows: np.ndarray) -> np.ndarray:
        """Cost of a plan each of sets[rows] can really ship, with the columns of mixed groups
        filled one after another (routing.estimate): never below the set's exact cost. Slower
        than price(): for the few sets worth ordering precisely."""
        idx = sets[rows].T
        take = priced.take[:, :, rows]
        made = [k[rows] for k in priced.made]
        if self.turns is not None:
            turn_take, turn_made = fill_in_turn(self.turns, idx, self.q)
            take[self.turns.cols] = turn_take
            made = [turn_made.get(k, m) for k, m in enumerate(made)]
        rest, _ = self._rest(idx, take)
        return rest + self.P * self._missing(self.q[:, None] - take.sum(1), made)

    def _scarce(self, missing: np.ndarray, short: np.ndarray, made: list[np.ndarray], idx: np.ndarray) -> np.ndarray:
        """Line units missing per set, raised where shared SKUs run out (see Scarcity)."""
        sc = self.scarcity
        assert sc is not None
        held = sc.stock[:, idx].sum(1)  # [sku, B]
        least = np.ceil(np.maximum(sc.demand[:, None] - held, 0.0) / sc.per_line_unit[:, None])
        floor = least.max(0)[None, :] if len(sc.rows) == 1 else np.stack([least[rows].max(0) for rows in sc.rows])
        per_group = sc.line_cols @ short
        if self.kits:
            unmade = np.array([qty - k for (_, _, qty), k in zip(self.kits, made, strict=True)])
            per_group = per_group + sc.kits @ unmade
        return missing + np.maximum(floor - per_group, 0.0).sum(0)

    # -- bounds (valid for every plan, exact or not) ----------------------------------------------

    def with_sites(self, k: int) -> float:
        """No plan shipping from k sites costs less: units it cannot ship, the least variable cost
        of what it must ship, the k smallest fixed costs and k - 1 splits."""
        base = self.P * self.least_missing + self.least_variable
        return float(base + self.sorted_fixed[:k].sum() + self.S * max(k - 1, 0))

    def most_sites(self, upper: float) -> int:
        """The most sites a plan cheaper than `upper` can ship from (at least 1)."""
        base = self.P * self.least_missing + self.least_variable
        bound = base + np.cumsum(self.sorted_fixed) + self.S * np.arange(self.n)
        return max(1, int((bound < upper - 1e-6).sum()))

    def fewest_sites(self) -> int:
        """0 if no plan ships anything (kits no site set can make), else 1 if some site alone
        could ship what every plan must, else 2."""
        if not self.ship.any():
            return 0
        return 1 if bool((self.ship[None, :] - 1e-9 <= self.C).all(1).any()) else 2

    def bound_sites(self, upper: float) -> np.ndarray:
        """Pricer indices of the sites that can be part of a plan costing less than `upper`."""
        base = self.P * self.least_missing + self.least_variable
        alone = (self.ship[None, :] - 1e-9 <= self.C).all(1)
        second = np.where(self.sorted_fixed[0] == self.F, self.sorted_fixed[min(1, self.n - 1)], self.sorted_fixed[0])
        lb = base + self.F + np.where(alone | (self.n == 1), 0.0, self.S + second)
        return np.flatnonzero(lb < upper - 1e-6)


def _scarcity(problem: Problem, sites: Sequence[int], cols: Columns) -> Scarcity | None:
    mixed = [g for g in problem.groups if g.kind == "mixed"]
    if not mixed:
        return None
    col_of = {i: c for c, idx in enumerate(cols.items) for i in idx}
    skus: dict[str, int] = {}
    demand: list[float] = []
    most: list[float] = []
    group_of: list[int] = []
    line_cols = np.zeros((len(mixed), len(cols.items)))
    kits = np.zeros((len(mixed), len(problem.kits)))
    for g, group in enumerate(mixed):
        for i in group.items:
            item = problem.items[i]
            if item.kit < 0:
                line_cols[g, col_of[i]] = 1.0
            for p in item.parts:  # per line unit: a kit component's per_kit, else per_unit
                use = item.per_kit if item.kit >= 0 else p.per_unit
                lines = item.quantity // item.per_kit if item.kit >= 0 else item.quantity
                s = skus.setdefault(p.sku_id, len(skus))
                if s == len(demand):
                    demand.append(0.0)
                    most.append(0.0)
                    group_of.append(g)
                demand[s] += lines * use
                most[s] = max(most[s], use)
        kits[g, list(group.kits)] = 1.0
    stock = np.array(
        [[problem.sites[j].candidate.available.get(sku, 0) for j in sites] for sku in skus], dtype=float
    ).reshape(len(skus), len(sites))
    rows = [np.flatnonzero(np.array(group_of) == g) for g in range(len(mixed))]
    return Scarcity(stock, np.array(demand), np.array(most), rows, line_cols, kits)


def _cover(problem: Problem, sites: Sequence[int], cols: list[list[int]], q: np.ndarray) -> np.ndarray:
    """[site, column] units a site could ship of each column on its own (capped at its demand)."""
    rows = problem.cover_rows
    first = np.array([rows[j] for j in sites], dtype=float).reshape(len(sites), len(problem.items))
    out = first[:, [idx[0] for idx in cols]]
    for c, idx in enumerate(cols):
        if len(idx) > 1:  # plain items of one SKU: its stock, up to their summed demand
            sku = problem.items[idx[0]].parts[0].sku_id
            have = [problem.sites[j].candidate.available.get(sku, 0) for j in sites]
            out[:, c] = np.minimum(have, q[c])
    return out
