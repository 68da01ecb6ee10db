"""A fast set search for cost-based routing (used by `lowest_cost` and `fewest_splits`).

Choosing *which* locations ship is the hard part; given a set, filling each item cheapest-first
is easy. So the search prices many candidate sets at once with numpy (`Pricer.price`):
  1. every single location, then every pair (exhaustive: most orders ship from one or two).
     A lower bound on bigger sets (problem.site_count_range) often proves the best of these
     optimal: then the search stops there;
  2. with few locations, every bigger set up to that bound (ENUMERATE); else a beam search
     growing the best sets one location at a time, from a shortlist of locations, while that
     still helps (sets left short count at a "soft" price, what completing them might cost);
  3. optionally (LOCAL_ROUNDS, off by default) local search on the winner.
Set prices ignore stock shared between lines of one order (they are then a lower bound); the
best sets are re-priced exactly by `allocate()`, which also keeps every plan within stock.
With 50 locations and 5 lines a decision takes well under a millisecond at the median.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations
from math import comb

import numpy as np

from conveyor.routing.problem import (
    Allocation,
    Problem,
    allocate,
    empty_allocation,
    site_count_range,
    units_of,
)

BEAM = 4  # sets carried from one size to the next (by price, and as many by soft price)
MAX_SITES = 6  # splits beyond this are not worth a customer's patience
EXACT_CHECKS = 3  # best sets re-priced exactly
LOCAL_ROUNDS = 0  # add/swap/drop rounds after the beam: +0.03 % quality for ~0.3 ms, not worth it
SHORTLIST = 16  # locations tried in swap moves
GROWTH = 8  # best single locations the beam tries adding (see _growth_sites)
GROWTH_PER_ITEM = 2  # and the cheapest ones to add for each item
ENUMERATE = 600  # up to this many sets of 3+ locations are all priced instead (few locations)


def search(problem: Problem) -> Allocation:
    useful = [j for j, row in enumerate(problem.cover_rows) if any(row)]
    if not useful or not problem.items:
        return empty_allocation(problem)
    pricer = Pricer(problem, useful)
    singles = np.arange(len(useful))[:, None]
    cost, short = pricer.price(singles)
    k = int(np.argmin(cost))
    if short[k] == 0 and cost[k] <= pricer.pair_lower_bound():
        return allocate(problem, [useful[k]])  # no two-parcel plan can beat it
    pool = {(int(s),): float(c) for s, c in zip(singles[:, 0], cost, strict=True)}
    if pricer.n >= 2:
        pair, pair_short, both = pricer.pair_costs()
        best_two = min(float(cost.min()), float(pair.min()))
        most = pricer.most_sites(best_two) if pricer.exact else site_count_range(problem, useful, best_two)[1]
        if most <= 2 and pricer.exact:
            # No set of three or more sites can beat the best single or pair, and those were all
            # priced exactly: the best of them is the optimum.
            if pair.min() < cost.min():
                a, b = np.unravel_index(int(np.argmin(pair)), pair.shape)
                return allocate(problem, [useful[int(a)], useful[int(b)]])
            return allocate(problem, [useful[k]])
        _add_pairs(pool, pair, both)
        most = min(most, MAX_SITES, pricer.n)
        if sum(comb(pricer.n, k) for k in range(3, most + 1)) <= ENUMERATE:
            # Few locations: every bigger set can be priced in one go, no beam needed (and
            # for exact prices the best found is the optimum).
            for size in range(3, most + 1):
                pool.update(_cheapest(pricer, _combinations(pricer.n, size)))
            best_set = min(pool, key=pool.__getitem__)
        else:
            growth = _growth_sites(pricer, cost, short)
            pool.update(_grow(pricer, pair, pair_short, both, growth, float(cost.min()), most))
            # Swaps only consider the locations that look best on their own: cheap, and where
            # the improvements come from.
            pricer.shortlist = np.argsort(cost, kind="stable")[:SHORTLIST]
            best_set = _local_search(pricer, min(pool, key=pool.__getitem__), pool)
        if not pricer.exact:  # every pair may still be the one: see _exact_best
            order = np.argsort(pair, axis=None, kind="stable")[: 4 * EXACT_CHECKS]
            a, b = np.unravel_index(order, pair.shape)
            for x, y, c in zip(a.tolist(), b.tolist(), pair[a, b].tolist(), strict=True):
                pool.setdefault((x, y), c)
    else:
        best_set = (k,)
    best = _exact_best(problem, pricer, useful, pool, best_set)
    if sum(best.short) > pricer.least_short:
        best = min(best, _fill_everything(problem, useful), key=lambda a: a.cost)
    return best


def _add_pairs(pool: dict[tuple[int, ...], float], pair: np.ndarray, both: np.ndarray) -> None:
    """The cheapest pairs where both sites ship (others are singles already in the pool)."""
    cost = np.where(both, pair, np.inf).ravel()
    k = min(4 * EXACT_CHECKS, cost.size)
    picks = np.argpartition(cost, k - 1)[:k] if k < cost.size else np.arange(cost.size)
    a, b = np.unravel_index(picks, pair.shape)
    for x, y, c in zip(a.tolist(), b.tolist(), cost[picks].tolist(), strict=True):
        if c < np.inf:
            pool.setdefault((x, y), c)


def _cheapest(pricer: Pricer, sets: np.ndarray) -> dict[tuple[int, ...], float]:
    """The 4 x EXACT_CHECKS cheapest of `sets` in which every site ships."""
    cost, _, used = pricer.price_used(sets)
    cost = np.where(used.all(0), cost, np.inf)
    k = min(4 * EXACT_CHECKS, len(cost))
    picks = np.argpartition(cost, k - 1)[:k] if k < len(cost) else np.arange(len(cost))
    picks = picks[np.isfinite(cost[picks])]
    return {tuple(sets[i].tolist()): float(cost[i]) for i in picks.tolist()}


@lru_cache(maxsize=256)
def _combinations(n: int, size: int) -> np.ndarray:
    out = np.array(list(combinations(range(n), size)), dtype=np.int64).reshape(-1, size)
    out.flags.writeable = False
    return out


def _exact_best(
    problem: Problem, pricer: Pricer, useful: list[int], pool: dict[tuple[int, ...], float], best_set: tuple
) -> Allocation:
    """Re-price the most promising sets exactly with allocate(). Set prices never exceed what
    allocate() finds (shared stock only makes a set dearer), so once a set's price is above the
    best exact cost found no later set can win: stop there (at most 4 x EXACT_CHECKS sets)."""
    ranked = sorted(pool, key=pool.__getitem__)
    if pricer.exact:
        sets = list(dict.fromkeys([best_set, *ranked[:EXACT_CHECKS]]))
        trials = [allocate(problem, [useful[j] for j in s]) for s in sets]
        return min(trials, key=lambda a: (a.cost, len(a.sites_used)))
    best: Allocation | None = None
    for s in dict.fromkeys([best_set, *ranked[: 4 * EXACT_CHECKS]]):
        if best is not None and pool[s] >= best.cost - 1e-9 and s != best_set:
            break
        for rev in (False, True):
            trial = allocate(problem, [useful[j] for j in s], rev)
            if best is None or (trial.cost, len(trial.sites_used)) < (best.cost, len(best.sites_used)):
                best = trial
    assert best is not None
    return best


def _grow(
    pricer: Pricer,
    pair: np.ndarray,
    pair_short: np.ndarray,
    both: np.ndarray,
    growth: np.ndarray,
    best_single: float,
    most: int,
) -> dict[tuple[int, ...], float]:
    """The best pairs, then a beam over bigger sets (up to `most` sites) while they keep getting
    cheaper, or could: a set left short by a unit or two (soft price, see Pricer._soft) is often
    one location away from the cheapest complete plan."""
    found: dict[tuple[int, ...], float] = {}
    beam, beam_cost = pricer.top_pairs(pair, pair_short, both)
    best_so_far = best_single
    soft_best = -np.inf
    while True:
        found.update(_as_dict(beam, beam_cost))
        if not len(beam) or beam.shape[1] >= min(most, pricer.n):
            break
        if beam_cost[0] >= best_so_far and soft_best >= best_so_far:
            break  # one more location did not pay for itself; another one rarely does
        if beam_cost[0] < best_so_far:
            best_so_far = float(beam_cost[0])
            if pricer.exact:  # a cheaper plan found: bigger sets may be out of reach now
                most = min(most, pricer.most_sites(best_so_far))
                if beam.shape[1] >= most:
                    break
        sets = _extend(beam, growth)
        cost, short, used = pricer.price_used(sets)
        # A set with an idle site is a smaller set already seen: it would only crowd the beam.
        busy = used.all(0)
        sets, cost, short = sets[busy], cost[busy], short[:, busy]
        soft = pricer._soft(cost, short)
        soft_best = float(soft.min()) if len(soft) else np.inf
        beam, beam_cost = _top_unique(sets, cost, soft)
    return found


def _as_dict(sets: np.ndarray, cost: np.ndarray) -> dict[tuple[int, ...], float]:
    return {tuple(sorted(s)): float(c) for s, c in zip(sets.tolist(), cost.tolist(), strict=True)}


def _growth_sites(pricer: Pricer, cost: np.ndarray, short: np.ndarray) -> np.ndarray:
    """Locations the beam tries adding: the best on their own (by price and soft price) and,
    for each item, the cheapest to add for it. The rest rarely join a cheapest set, and trying
    every location at every step is most of the search's time with 50 of them."""
    if pricer.n <= GROWTH:
        return np.arange(pricer.n)
    per_item = np.where(pricer.C > 0, pricer.F[:, None] + pricer.U, np.inf)  # [n, m]
    k = min(GROWTH_PER_ITEM, pricer.n - 1)
    picks = [
        np.argsort(cost, kind="stable")[:GROWTH],
        np.argpartition(cost - (pricer.P - pricer.soft_short) * short, GROWTH)[:GROWTH],
        np.argpartition(per_item, k, axis=0)[:k].ravel(),
    ]
    return np.unique(np.concatenate(picks))


def _extend(beam: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Every set in the beam plus one location of `extra` it lacks."""
    b, size = beam.shape
    n = len(extra)
    grown = np.empty((b * n, size + 1), dtype=np.int64)
    grown[:, :size] = np.repeat(beam, n, axis=0)
    grown[:, size] = np.tile(extra, b)
    fresh = (grown[:, :size] != grown[:, size:]).all(1)
    return grown[fresh]


def _top_unique(sets: np.ndarray, cost: np.ndarray, soft: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The BEAM cheapest distinct sets ({a,b}+c and {a,c}+b are the same set), plus the BEAM
    cheapest by the soft price (see Pricer._soft); cheapest first."""
    seen: set[tuple[int, ...]] = set()
    keep: list[int] = []
    for ranking in (cost, soft):
        taken = 0
        for k in np.argsort(ranking, kind="stable").tolist():
            key = tuple(sorted(sets[k].tolist()))
            if key not in seen and np.isfinite(ranking[k]):
                seen.add(key)
                keep.append(k)
                taken += 1
                if taken == BEAM:
                    break
    keep.sort(key=lambda k: cost[k])
    return sets[keep], cost[keep]


def _smallest(values: np.ndarray) -> np.ndarray:
    """Indices of the BEAM smallest values (unordered)."""
    if values.size <= BEAM:
        return np.arange(values.size)
    return np.argpartition(values, BEAM)[:BEAM]


def _local_search(pricer: Pricer, best: tuple[int, ...], pool: dict) -> tuple[int, ...]:
    for _ in range(LOCAL_ROUNDS):
        improved = False
        for sets in _neighbours(np.array(best, dtype=np.int64), pricer.shortlist):
            cost, _ = pricer.price(sets)
            k = int(np.argmin(cost))
            candidate = tuple(sorted(sets[k].tolist()))
            pool[candidate] = float(cost[k])
            if cost[k] < pool[best] - 1e-9:
                best, improved = candidate, True
        if not improved:
            break
    return best


def _neighbours(best: np.ndarray, shortlist: np.ndarray) -> list[np.ndarray]:
    """Sets one move away from `best` (add, swap, drop one location), grouped by size."""
    outside = np.setdiff1d(shortlist, best)
    out = []
    if len(outside) and len(best) < MAX_SITES:
        out.append(np.column_stack([np.tile(best, (len(outside), 1)), outside]))
    if len(outside):
        swaps = np.tile(best, (len(best) * len(outside), 1))
        rows = np.arange(len(swaps))
        swaps[rows, rows // len(outside)] = np.tile(outside, len(best))
        out.append(swaps)
    if len(best) > 1:
        out.append(np.array([np.delete(best, j) for j in range(len(best))]))
    return out


def _fill_everything(problem: Problem, useful: list[int]) -> Allocation:
    """Rare: the search left units short that some location could ship. Fill from all sites,
    cheapest first, then drop the ones not worth their fixed cost."""
    best = allocate(problem, useful)
    improved = True
    while improved and len(best.sites_used) > 1:
        improved = False
        for j in sorted(best.sites_used, key=lambda j: -problem.sites[j].fixed):
            trial = allocate(problem, [k for k in best.sites_used if k != j])
            if trial.cost < best.cost - 1e-9:
                best, improved = trial, True
                break
    return best


def _merge_identical(problem: Problem) -> list[list[int]]:
    """Lines of the same SKU (or the same kit) and weight are one demand for pricing: priced
    separately, each would believe it has the location's whole stock to itself."""
    groups: dict[tuple, list[int]] = {}
    for i, item in enumerate(problem.items):
        groups.setdefault((item.parts, item.weight_g), []).append(i)
    return list(groups.values())


@lru_cache(maxsize=128)
def _lower_triangle(n: int) -> np.ndarray:
    mask = np.tril(np.ones((n, n), dtype=bool))
    mask.flags.writeable = False
    return mask


class Pricer:
    """The problem on useful sites as arrays: F fixed [n], U unit [n,m], C cover [n,m], q need."""

    def __init__(self, problem: Problem, useful: list[int]) -> None:
        self.n = len(useful)
        self.F = problem.fixed_vector()[useful]
        groups = _merge_identical(problem)
        first = [g[0] for g in groups]
        self.U = problem.unit_matrix()[np.ix_(useful, first)]
        self.q = np.array([sum(problem.items[i].quantity for i in g) for g in groups], dtype=float)
        if len(groups) == len(problem.items):  # nothing merged: the problem's cover is right
            self.C = problem.cover[useful].astype(float)
        else:
            self.C = np.array(
                [
                    [
                        units_of(problem.sites[j].candidate.available, problem.items[g[0]], int(q))
                        for g, q in zip(groups, self.q, strict=True)
                    ]
                    for j in useful
                ],
                dtype=float,
            )
        self.Ut, self.Ct = np.ascontiguousarray(self.U.T), np.ascontiguousarray(self.C.T)  # [item, site]
        self.P, self.S = problem.short_penalty, problem.split_penalty
        # Per item: the least one more location would charge to ship some of it (its fixed cost,
        # a split and a unit); the soft price (see _soft) charges that for an item left short.
        reach = np.where(self.C > 0, self.F[:, None] + self.S + self.U, np.inf).min(0)
        self.completion = np.where(np.isfinite(reach), reach, self.P)
        # Roughly what one more location charges for a short unit (a cheap one's fixed cost, a
        # split and a unit): ranks single locations for the beam's shortlist (_growth_sites).
        self.soft_short = float(np.partition(self.F, self.n // 4)[self.n // 4] + self.S + self.U.mean())
        self.least_short = float(np.maximum(self.q - self.C.sum(0), 0).sum())
        skus = [p.sku_id for g in groups for p in problem.items[g[0]].parts]
        # Prices are exact only when no two item groups draw on the same SKU.
        self.exact = len(skus) == len(set(skus))

    def most_sites(self, upper: float) -> int:
        """How many sites a plan cheaper than `upper` can ship from at most (problem.
        site_count_range, on these arrays; only valid when `exact`)."""
        ship = np.minimum(self.q, self.C.sum(0))
        cheapest = np.where(self.C > 0, self.U, np.inf).min(0)
        base = self.P * self.least_short + float((ship * np.where(ship > 0, cheapest, 0.0)).sum())
        bound = base + np.cumsum(np.sort(self.F)) + self.S * np.arange(self.n)
        return max(1, int((bound < upper - 1e-6).sum()))

    def pair_lower_bound(self) -> float:
        """No two-site plan costs less: the two cheapest fixed costs, one split, cheapest units."""
        two = np.partition(self.F, 1)[:2].sum() if self.n > 1 else np.inf
        return float(two + self.S + (self.q * self.U.min(0)).sum())

    def top_pairs(
        self, cost: np.ndarray, short: np.ndarray, both: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The BEAM cheapest pairs and the BEAM cheapest by soft price (see pair_costs), among
        pairs where both sites ship (the others are singles already seen)."""
        cost = np.where(both, cost, np.inf)
        flat = np.concatenate([_smallest(cost.ravel()), _smallest(self._soft(cost, short).ravel())])
        flat = np.unique(flat)
        flat = flat[np.argsort(cost.ravel()[flat], kind="stable")]
        a, b = np.unravel_index(flat, cost.shape)
        finite = np.isfinite(cost[a, b])
        return np.column_stack([a, b])[finite], cost[a, b][finite]

    def pair_costs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cost, units short and "both ship" of every pair [a, b] (a < b; cost inf elsewhere),
        all n*(n-1)/2 priced in closed form: each item fills from the pair's cheaper site
        first, then the other.
        Arrays are [item, a, b] so the sums run over the short outer axis, which numpy does fast."""
        Ut, Ct, q, F = self.Ut, self.Ct, self.q[:, None, None], self.F
        ua, ub = Ut[:, :, None], Ut[:, None, :]
        ca, cb = Ct[:, :, None], Ct[:, None, :]
        a_first = ua <= ub
        t1 = np.minimum(q, np.where(a_first, ca, cb))
        t2 = np.minimum(q - t1, np.where(a_first, cb, ca))
        take_a, take_b = np.where(a_first, t1, t2), np.where(a_first, t2, t1)
        used_a, used_b = take_a.sum(0) > 0, take_b.sum(0) > 0
        short_items = q - t1 - t2
        short = short_items.sum(0)
        cost = (
            F[:, None] * used_a
            + F[None, :] * used_b
            + self.S * (used_a & used_b)
            + (take_a * ua + take_b * ub).sum(0)
            + self.P * short
        )
        cost[_lower_triangle(self.n)] = np.inf  # each unordered pair once, no (a, a)
        return cost, short_items, used_a & used_b

    def _soft(self, cost: np.ndarray, short_items: np.ndarray) -> np.ndarray:
        """Cost with each item left short priced at the least one more location would charge to
        ship it: keeps cheap sets that leave an item short in the beam, since adding a location
        to them is often the cheapest way to ship everything."""
        return cost - self.P * short_items.sum(0) + np.tensordot(self.completion, short_items > 0, axes=1)

    def price(self, sets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cost, short_items, _ = self.price_used(sets)
        return cost, short_items.sum(0)

    def price_used(self, sets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cost and units short of each set (rows of site indices, all the same size): every
        item fills from the set's sites cheapest first; only sites that ship pay fixed costs.
        Works on [item, position in set, set] arrays, for the same reason as pair_costs."""
        if sets.shape[1] == 1:  # single sites (every search starts with them): no ordering
            idx = sets[:, 0]
            take = np.minimum(self.Ct[:, idx], self.q[:, None])  # [m, B]
            used = take.sum(0) > 0
            short_items = self.q[:, None] - take
            cost = self.F[idx] * used + (take * self.Ut[:, idx]).sum(0) + self.P * short_items.sum(0)
            return cost, short_items, used[None, :]
        idx = sets.T  # [L, B]
        U, C = self.Ut[:, idx], self.Ct[:, idx]  # [m, L, B]
        # What the set's other sites fill before each site: those cheaper for the item, or as
        # cheap and earlier in the set (a stable sort). Sets are small (L <= MAX_SITES), so
        # L x L comparisons beat sorting along the short middle axis by a wide margin.
        size = idx.shape[0]
        before = np.zeros_like(C)
        for a in range(size):
            ua = U[:, a]
            for b in range(size):
                if b != a:
                    first = U[:, b] <= ua if b < a else U[:, b] < ua
                    before[:, a] += C[:, b] * first
        take = np.clip(np.minimum(C, self.q[:, None, None] - before), 0, None)
        used = take.sum(0) > 0  # [L, B]
        short_items = self.q[:, None] - take.sum(1)  # [m, B]
        short = short_items.sum(0)
        fixed = (self.F[idx] * used).sum(0) + self.S * np.maximum(used.sum(0) - 1, 0)
        return fixed + (take * U).sum((0, 1)) + self.P * short, short_items, used
