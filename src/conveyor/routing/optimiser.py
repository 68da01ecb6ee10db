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

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from conveyor.routing.problem import Allocation, Problem, allocation_cost, empty_allocation, units_of

TIME_LIMIT_S = 0.5


def solve(problem: Problem, time_limit: float = TIME_LIMIT_S) -> Allocation | None:
    pairs = [
        (i, j)
        for j in range(len(problem.sites))
        for i in range(len(problem.items))
        if problem.cover[j, i] > 0
    ]
    if not pairs:
        return empty_allocation(problem)  # nothing can ship: trivially optimal
    sites = sorted({j for _, j in pairs})
    model = _Model(problem, pairs, sites)
    try:
        res = milp(
            model.objective(),
            integrality=np.ones(model.size),
            bounds=model.bounds(),
            constraints=model.constraints(),
            options={"time_limit": time_limit, "mip_rel_gap": 1e-7, "presolve": True},
        )
    except (ValueError, RuntimeError):  # a solver failure must not fail order placement
        return None
    if res.status != 0 or res.x is None:
        return None
    return model.allocation(np.rint(res.x).astype(int))


class _Model:
    """Column layout: x for each (item, site) pair, then y for each site, then s for each item."""

    def __init__(self, problem: Problem, pairs: list[tuple[int, int]], sites: list[int]) -> None:
        self.p, self.pairs, self.sites = problem, pairs, sites
        self.y0 = len(pairs)
        self.s0 = self.y0 + len(sites)
        self.size = self.s0 + len(problem.items)
        self.col_y = {j: self.y0 + k for k, j in enumerate(sites)}

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
        return Bounds(np.zeros(self.size), upper)

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
