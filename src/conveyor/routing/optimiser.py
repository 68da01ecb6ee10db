"""The cost model solved exactly as a small integer program (scipy.optimize.milp, i.e. HiGHS).

Variables: x[i,j] units of item i from site j, y[j] site j used, s[i] units of a line item left
short, k[l] whole kits of split kit l shipped (all integer). Minimise
    sum_j (fixed_j + split) y_j + sum_ij unit_ij x_ij + short_penalty x (sum_i s_i + sum_l (q_l - k_l))
subject to
    sum_j x_ij + s_i = need_i                        every line item ships or is declared short
    sum_j x_cj = per_kit_c k_l                       a split kit ships whole kits only
    sum_i per_unit(i, sku) x_ij <= available_j(sku)  never more than a site holds (shared SKUs too)
    x_ij <= cap_ij y_j                               shipping from a site means using it
The constants (-split for the first site, short_penalty x sum q_l) are left out of the objective.
scipy is imported on first use only: importing the strategies must stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from conveyor.routing.pricer import Pricer
from conveyor.routing.problem import Allocation, Problem, empty_allocation, finish, units_of

if TYPE_CHECKING:
    from scipy.optimize import Bounds, LinearConstraint

TIME_LIMIT_S = 0.5


def milp(*args: Any, **kwargs: Any) -> Any:
    """scipy.optimize.milp, imported on the first call (tests replace this to simulate timeouts)."""
    from scipy.optimize import milp as scipy_milp

    return scipy_milp(*args, **kwargs)


@dataclass(frozen=True, slots=True)
class Outcome:
    alloc: Allocation | None  # the solver's plan, if it found one
    proven: bool  # HiGHS proved it optimal
    timed_out: bool = False  # stopped at the time limit


def solve(problem: Problem, time_limit: float = TIME_LIMIT_S, upper: float | None = None) -> Allocation | None:
    """The proven optimum, or None (timeout, solver failure)."""
    out = run(problem, time_limit, upper)
    return out.alloc if out.proven else None


def run(
    problem: Problem, time_limit: float = TIME_LIMIT_S, upper: float | None = None, missing: int | None = None
) -> Outcome:
    """`upper`: the cost of a plan already found (the heuristic's), if any, and `missing` the line
    units it leaves unshipped. They let a presolve drop every site that cannot be part of a
    cheaper plan (see `_presolve`) and bound the number of sites, the objective and the units
    shipped: the branch and bound then runs on a handful of sites, and its relaxation cannot trade
    units for cost."""
    rows = problem.cover_rows
    sites = [j for j in range(len(problem.sites)) if any(rows[j])]
    if not sites:
        return Outcome(empty_allocation(problem), True)  # nothing can ship: trivially optimal
    count: tuple[int, int] | None = None
    limit = np.inf if upper is None else upper + 1.0  # the known plan itself must stay feasible
    if upper is not None:
        pricer = Pricer(problem, sites)
        kept = [pricer.sites[t] for t in pricer.bound_sites(limit)]
        if not kept:  # every plan shipping anything costs more than the known one, which ships nothing
            return Outcome(empty_allocation(problem), True)
        pricer = Pricer(problem, kept)
        count = (pricer.fewest_sites(), pricer.most_sites(limit))
        sites = _presolve(pricer, limit, count[1])
    model = _Model(problem, sites)
    constraints = model.constraints()
    if count is not None:
        constraints += model.limits(count, limit)
    if missing is not None:
        constraints.append(model.at_most_missing(missing))
    try:
        res = milp(
            model.objective(),
            integrality=np.ones(model.size),
            bounds=model.bounds(),
            constraints=constraints,
            options={"time_limit": time_limit, "mip_rel_gap": 1e-9, "presolve": True},
        )
    except (ValueError, RuntimeError):  # a solver failure must not fail order placement
        return Outcome(None, False)
    timed_out = res.status == 1
    if res.x is None or res.status not in (0, 1):
        return Outcome(None, False, timed_out)
    return Outcome(model.allocation(np.rint(res.x).astype(int)), res.status == 0, timed_out)


# Sets of up to this many sites are enumerated by the presolve (C(50, 3) = 19600 triples).
PRESOLVE_MAX_SITES = 3


def _presolve(pricer: Pricer, limit: float, most: int) -> list[int]:
    """Keep only sites that belong to some set of at most `most` sites whose price is below
    `limit`. A set's price never exceeds the cost of a plan shipping from exactly that set (see
    routing.pricer), so every plan cheaper than `limit` ships from kept sites: the optimum is
    unchanged. With `most` > PRESOLVE_MAX_SITES enumeration would cost more than it saves."""
    n = pricer.n
    if most > PRESOLVE_MAX_SITES or n <= most:
        return list(pricer.sites)
    keep = pricer.price(np.arange(n)[:, None]).cost < limit
    for size in range(2, most + 1):
        sets = _sets(n, size)
        # A set costs at least its fixed costs and splits: price only the others.
        sets = sets[pricer.F[sets].sum(1) + (size - 1) * pricer.S < limit]
        for start in range(0, len(sets), 4096):
            chunk = sets[start : start + 4096]
            priced = pricer.price(chunk)
            cheap, used = priced.cost < limit, priced.used
            # A set in which a site ships nothing is priced as the smaller set: it shows nothing
            # about that site. Unless prices are only bounds: then the real plan may need it.
            members = used.T[cheap] if pricer.exact else np.ones((int(cheap.sum()), size), dtype=bool)
            keep[np.unique(chunk[cheap][members])] = True
    return [j for j, k in zip(pricer.sites, keep.tolist(), strict=True) if k]


@lru_cache(maxsize=64)
def _sets(n: int, size: int) -> np.ndarray:
    out = np.array(list(combinations(range(n), size)), dtype=np.int64).reshape(-1, size)
    out.flags.writeable = False
    return out


class _Model:
    """Columns: x for each (item, site) pair, then y per site, s per line item, k per split kit."""

    def __init__(self, problem: Problem, sites: list[int]) -> None:
        self.p, self.sites = problem, sites
        rows = problem.cover_rows
        self.pairs = [(i, j) for j in sites for i in range(len(problem.items)) if rows[j][i] > 0]
        self.lines = [i for i, it in enumerate(problem.items) if it.kit < 0]
        self.y0 = len(self.pairs)
        self.s0 = self.y0 + len(sites)
        self.k0 = self.s0 + len(self.lines)
        self.size = self.k0 + len(problem.kits)
        self.col_y = {j: self.y0 + t for t, j in enumerate(sites)}
        self.col_s = {i: self.s0 + t for t, i in enumerate(self.lines)}

    def objective(self) -> np.ndarray:
        p = self.p
        c = np.empty(self.size)
        c[: self.y0] = [p.sites[j].unit[i] for i, j in self.pairs]
        c[self.y0 : self.s0] = [p.sites[j].fixed + p.split_penalty for j in self.sites]
        c[self.s0 : self.k0] = p.short_penalty
        c[self.k0 :] = -p.short_penalty
        return c

    def offset(self) -> float:
        """What the objective leaves out: real cost = objective + offset."""
        return self.p.short_penalty * sum(k.quantity for k in self.p.kits) - self.p.split_penalty

    def bounds(self) -> Bounds:
        from scipy.optimize import Bounds

        p = self.p
        upper = np.empty(self.size)
        upper[: self.y0] = [p.cover_rows[j][i] for i, j in self.pairs]
        upper[self.y0 : self.s0] = 1
        upper[self.s0 : self.k0] = [p.items[i].quantity for i in self.lines]
        upper[self.k0 :] = [k.quantity for k in p.kits]
        lower = np.zeros(self.size)
        # An item whose stock is its own ships all it can (a short unit costs more than any
        # plan), so its shortfall is known: fixing it tightens the relaxation.
        shippable = [0] * len(p.items)
        for i, j in self.pairs:
            shippable[i] += p.cover_rows[j][i]
        for group in p.groups:
            if group.kind == "own":
                i = group.items[0]
                lower[self.col_s[i]] = max(p.items[i].quantity - shippable[i], 0)
        return Bounds(lower, upper)

    def constraints(self) -> list[LinearConstraint]:
        """One demand row per line item and per kit component, one linking row per (item, site)
        pair, one stock row per (site, SKU); built as index lists in one pass."""
        from scipy.optimize import LinearConstraint
        from scipy.sparse import coo_matrix

        p = self.p
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []

        def add(row: int, col: int, val: float) -> None:
            rows.append(row)
            cols.append(col)
            vals.append(val)

        n_items, n_pairs = len(p.items), len(self.pairs)
        for i, item in enumerate(p.items):
            if item.kit < 0:  # shipped + short = need
                add(i, self.col_s[i], 1.0)
            else:  # shipped - per_kit x kits = 0
                add(i, self.k0 + item.kit, -float(item.per_kit))
        lo = [float(it.quantity if it.kit < 0 else 0) for it in p.items]
        hi = list(lo)
        stock_rows: dict[tuple[int, str], int] = {}
        for k, (i, j) in enumerate(self.pairs):
            add(i, k, 1.0)
            add(n_items + k, k, 1.0)  # x_ij - cap * y_j <= 0
            add(n_items + k, self.col_y[j], -float(p.cover_rows[j][i]))
            for part in p.items[i].parts:
                add(stock_rows.setdefault((j, part.sku_id), n_items + n_pairs + len(stock_rows)), k, part.per_unit)
        lo += [-np.inf] * (n_pairs + len(stock_rows))
        hi += [0.0] * n_pairs
        hi += [float(p.sites[j].candidate.available.get(sku, 0)) for (j, sku) in stock_rows]
        a = coo_matrix((vals, (rows, cols)), shape=(len(lo), self.size)).tocsr()
        return [LinearConstraint(a, np.array(lo), np.array(hi))]

    def limits(self, count: tuple[int, int], limit: float) -> list[LinearConstraint]:
        """As many sites as a plan that cheap can afford, and no dearer than the known plan: cuts
        the fractional "a little of every site" solutions the relaxation otherwise explores."""
        from scipy.optimize import LinearConstraint

        ones = np.zeros(self.size)
        ones[self.y0 : self.s0] = 1.0
        return [
            LinearConstraint(ones[None, :], count[0], count[1]),
            LinearConstraint(self.objective()[None, :], -np.inf, limit - self.offset()),
        ]

    def at_most_missing(self, missing: int) -> LinearConstraint:
        """sum s_i + sum (q_l - k_l) <= missing: no fewer line units than a known plan ships."""
        from scipy.optimize import LinearConstraint

        row = np.zeros(self.size)
        row[self.s0 : self.k0] = 1.0
        row[self.k0 :] = -1.0
        return LinearConstraint(row[None, :], -np.inf, missing - sum(k.quantity for k in self.p.kits))

    def allocation(self, x: np.ndarray) -> Allocation | None:
        units = {(i, j): int(x[k]) for k, (i, j) in enumerate(self.pairs) if x[k] > 0}
        if not self._within_stock(units):
            return None  # rounding went wrong somewhere: never ship what is not there
        order = sorted(self.sites, key=self.p.fill_rank.__getitem__)
        return finish(self.p, units, order)

    def _within_stock(self, units: dict[tuple[int, int], int]) -> bool:
        for j in {j for _, j in units}:
            stock = dict(self.p.sites[j].candidate.available)
            for (i, jj), q in units.items():
                if jj == j:
                    if units_of(stock, self.p.items[i], q) < q:
                        return False
                    for part in self.p.items[i].parts:
                        stock[part.sku_id] = stock.get(part.sku_id, 0) - q * part.per_unit
        return True
