"""The cost model solved exactly as a small integer program (scipy.optimize.milp, i.e. HiGHS).

Variables: x[i,j] units of item i from site j (integer), y[j] site j used (binary), s[i] units of
item i left short. Minimise
    sum_j (fixed_j + split) y_j + sum_ij unit_ij x_ij + short_penalty * sum_i s_i
subject to
    sum_j x_ij + s_i = need_i                       every item is shipped or declared short
    sum_i per_unit(i, sku) x_ij <= available_j(sku)  never more than a site holds (shared SKUs too)
    x_ij <= cap_ij y_j                               shipping from a site means using it
The constant -split (the first site is not a split) is left out of the objective.
Returns None when HiGHS does not prove an optimum in time; the caller falls back to the heuristic.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from conveyor.routing.heuristic import Pricer
from conveyor.routing.problem import (
    Allocation,
    Problem,
    allocation_cost,
    bound_sites,
    empty_allocation,
    independent_items,
    site_count_range,
    units_of,
)

TIME_LIMIT_S = 0.5


def solve(
    problem: Problem, time_limit: float = TIME_LIMIT_S, upper: float | None = None
) -> Allocation | None:
    """`upper`: the cost of a plan already found (the heuristic's), if any. It lets a presolve
    drop every site that cannot be part of a cheaper plan (see `_presolve`), bound the number of
    sites and the objective: the branch and bound then runs on a handful of sites instead of
    all of them, which is what keeps big problems within milliseconds."""
    rows = problem.cover_rows
    sites = [j for j in range(len(problem.sites)) if any(rows[j])]
    if not sites:
        return empty_allocation(problem)  # nothing can ship: trivially optimal
    count: tuple[int, int] | None = None
    if upper is not None:
        limit = upper + 1.0  # the known plan itself must stay feasible
        sites = bound_sites(problem, sites, limit)
        if sites:
            count = site_count_range(problem, sites, limit)
            sites = _presolve(problem, sites, limit, count[1])
        if not sites:
            return None  # cannot happen with a true upper bound; let the caller fall back
    pairs = [(i, j) for j in sites for i in range(len(problem.items)) if rows[j][i] > 0]
    model = _Model(problem, pairs, sites)
    constraints = model.constraints()
    if upper is not None and count is not None:
        # As many sites as a plan that cheap can afford, and no worse than the known plan: cuts
        # the fractional "a little of every site" solutions the relaxation otherwise explores.
        ones = np.zeros(model.size)
        ones[model.y0 : model.s0] = 1.0
        constraints.append(LinearConstraint(ones[None, :], count[0], count[1]))
        constraints.append(LinearConstraint(model.objective()[None, :], -np.inf, limit + model.split))
    try:
        res = milp(
            model.objective(),
            integrality=np.ones(model.size),
            bounds=model.bounds(),
            constraints=constraints,
            options={"time_limit": time_limit, "mip_rel_gap": 1e-7, "presolve": True},
        )
    except (ValueError, RuntimeError):  # a solver failure must not fail order placement
        return None
    if res.status != 0 or res.x is None:
        return None
    return model.allocation(np.rint(res.x).astype(int))


# Sets of up to this many sites are enumerated by the presolve (C(50, 3) = 19600 triples).
PRESOLVE_MAX_SITES = 3


def _presolve(problem: Problem, sites: list[int], limit: float, most: int) -> list[int]:
    """Keep only sites that belong to some set of at most `most` sites whose relaxed price is
    below `limit`. The relaxed price (heuristic.Pricer: every item fills cheapest first as if
    no other item drew on its SKUs) never exceeds what the best plan over that set really costs,
    so every plan cheaper than `limit` ships from sites that are kept: the optimum is unchanged.
    With `most` > PRESOLVE_MAX_SITES enumeration would cost more than it saves: keep them all."""
    if most > PRESOLVE_MAX_SITES or len(sites) <= most:
        return sites
    pricer = Pricer(problem, sites)
    n = pricer.n
    keep = np.zeros(n, dtype=bool)
    cost, _ = pricer.price(np.arange(n)[:, None])
    keep |= cost < limit
    # A set in which some site ships nothing is priced as the smaller set: it shows nothing about
    # that site, so only the sites that ship count. Unless lines share SKUs (pricer.exact is
    # False): then the relaxation may leave idle a site the real plan needs, so all count.
    if most >= 2:
        pair, _, both = pricer.pair_costs()
        cheap = (pair < limit) & (both | (not pricer.exact))
        keep |= cheap.any(0) | cheap.any(1)
    if most >= 3:
        triples = _triples(n)
        # A triple costs at least its fixed costs and two splits: price only the others.
        fixed = pricer.F[triples].sum(1) + 2 * problem.split_penalty
        triples = triples[fixed < limit]
        for start in range(0, len(triples), 4096):
            chunk = triples[start : start + 4096]
            cost, _, used = pricer.price_used(chunk)
            cheap = cost < limit
            members = used.T[cheap] if pricer.exact else np.ones((int(cheap.sum()), 3), dtype=bool)
            keep[np.unique(chunk[cheap][members])] = True
    return [j for j, k in zip(sites, keep.tolist(), strict=True) if k]


@lru_cache(maxsize=64)
def _triples(n: int) -> np.ndarray:
    out = np.array(list(combinations(range(n), 3)), dtype=np.int64).reshape(-1, 3)
    out.flags.writeable = False
    return out


class _Model:
    """Column layout: x for each (item, site) pair, then y for each site, then s for each item."""

    def __init__(self, problem: Problem, pairs: list[tuple[int, int]], sites: list[int]) -> None:
        self.p, self.pairs, self.sites = problem, pairs, sites
        self.y0 = len(pairs)
        self.s0 = self.y0 + len(sites)
        self.size = self.s0 + len(problem.items)
        self.col_y = {j: self.y0 + k for k, j in enumerate(sites)}
        self.split = problem.split_penalty  # the objective counts it once too often

    def objective(self) -> np.ndarray:
        p = self.p
        c = np.empty(self.size)
        c[: self.y0] = [p.sites[j].unit[i] for i, j in self.pairs]
        c[self.y0 : self.s0] = [p.sites[j].fixed + p.split_penalty for j in self.sites]
        c[self.s0 :] = p.short_penalty
        return c

    def bounds(self) -> Bounds:
        upper = np.empty(self.size)
        upper[: self.y0] = [self.p.cover[j, i] for i, j in self.pairs]
        upper[self.y0 : self.s0] = 1
        upper[self.s0 :] = self.p.need
        lower = np.zeros(self.size)
        # An item whose stock is its own ships all it can (a short unit costs more than any
        # plan), so its shortfall is known: fixing it tightens the relaxation.
        shippable = [0] * len(self.p.items)
        for i, j in self.pairs:
            shippable[i] += int(self.p.cover_rows[j][i])
        for i, own in enumerate(independent_items(self.p)):
            if own:
                lower[self.s0 + i] = max(self.p.items[i].quantity - shippable[i], 0)
        return Bounds(lower, upper)

    def constraints(self) -> list[LinearConstraint]:
        """Rows: one demand row per item, one linking row per (item, site) pair, one stock row
        per (site, SKU). Built as index lists in one pass: this runs on every order."""
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lo: list[float] = []
        hi: list[float] = []
        n_items, n_pairs = len(self.p.items), len(self.pairs)
        stock_rows: dict[tuple[int, str], int] = {}
        for i, item in enumerate(self.p.items):  # shipped + short = need
            rows.append(i), cols.append(self.s0 + i), vals.append(1.0)
            lo.append(item.quantity), hi.append(item.quantity)
        for k, (i, j) in enumerate(self.pairs):
            rows.append(i), cols.append(k), vals.append(1.0)
            link = n_items + k  # x_ij - cap * y_j <= 0
            rows += [link, link]
            cols += [k, self.col_y[j]]
            vals += [1.0, -float(self.p.cover[j, i])]
            for part in self.p.items[i].parts:
                r = stock_rows.setdefault((j, part.sku_id), n_items + n_pairs + len(stock_rows))
                rows.append(r), cols.append(k), vals.append(float(part.per_unit))
        lo += [-np.inf] * (n_pairs + len(stock_rows))
        hi += [0.0] * n_pairs
        hi += [float(self.p.sites[j].candidate.available.get(sku, 0)) for (j, sku) in stock_rows]
        a = coo_matrix((vals, (rows, cols)), shape=(len(lo), self.size)).tocsr()
        return [LinearConstraint(a, np.array(lo), np.array(hi))]

    def allocation(self, x: np.ndarray) -> Allocation | None:
        units = {(i, j): int(x[k]) for k, (i, j) in enumerate(self.pairs) if x[k] > 0}
        if not self._within_stock(units):
            return None  # rounding went wrong somewhere: never ship what is not there
        shipped = [0] * len(self.p.items)
        for (i, _), q in units.items():
            shipped[i] += q
        short = [it.quantity - shipped[i] for i, it in enumerate(self.p.items)]
        used = sorted({j for _, j in units}, key=lambda j: self.p.sites[j].fixed)
        variable = sum(q * self.p.sites[j].unit[i] for (i, j), q in units.items())
        return Allocation(units, short, allocation_cost(self.p, used, variable, short), used)

    def _within_stock(self, units: dict[tuple[int, int], int]) -> bool:
        for j in {j for _, j in units}:
            stock = dict(self.p.sites[j].candidate.available)
            for (i, jj), q in units.items():
                if jj == j:
                    if units_of(stock, self.p.items[i], q) < q:
                        return False
                    for part in self.p.items[i].parts:
                        stock[part.sku_id] -= q * part.per_unit
        return True
