"""A fast set search for cost-based routing (used by `lowest_cost` and `fewest_splits`).

Choosing *which* locations ship is the hard part; given a set, filling each item cheapest-first
is easy. So the search prices many candidate sets at once with numpy (`_Pricer.price`):
  1. every single location, then every pair (exhaustive: most orders ship from one or two);
  2. a beam search growing the best sets one location at a time while that still helps;
  3. local search on the winner: add, drop or swap one location.
Set prices ignore stock shared between lines of one order; the few best sets are re-priced
exactly by `allocate()`, which also keeps every plan within stock. With 50 locations and 5
lines a decision takes about a millisecond.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from conveyor.routing.problem import Allocation, Problem, allocate, empty_allocation

BEAM = 8  # sets carried from one size to the next
MAX_SITES = 6  # splits beyond this are not worth a customer's patience
EXACT_CHECKS = 3  # best sets re-priced exactly
LOCAL_ROUNDS = 3


def search(problem: Problem) -> Allocation:
    useful = [j for j in range(len(problem.sites)) if problem.cover[j].any()]
    if not useful or not problem.items:
        return empty_allocation(problem)
    pricer = _Pricer(problem, useful)
    singles = np.arange(len(useful))[:, None]
    cost, short = pricer.price(singles)
    k = int(np.argmin(cost))
    if short[k] == 0 and cost[k] <= pricer.pair_lower_bound():
        return allocate(problem, [useful[k]])  # no two-parcel plan can beat it
    pool = {(int(s),): float(c) for s, c in zip(singles[:, 0], cost, strict=True)}
    pool.update(_grow(pricer, singles, cost))
    best_set = _local_search(pricer, min(pool, key=pool.__getitem__), pool)
    ranked = sorted(pool, key=pool.__getitem__)[:EXACT_CHECKS]
    trials = [allocate(problem, [useful[j] for j in s]) for s in {best_set, *ranked}]
    best = min(trials, key=lambda a: (a.cost, len(a.sites_used)))
    if sum(best.short) > pricer.least_short:
        best = min(best, _fill_everything(problem, useful), key=lambda a: a.cost)
    return best


def _grow(pricer: _Pricer, singles: np.ndarray, cost: np.ndarray) -> dict[tuple[int, ...], float]:
    """All pairs, then a beam over bigger sets while they keep getting cheaper."""
    n = len(singles)
    found: dict[tuple[int, ...], float] = {}
    if n < 2:
        return found
    sets = np.array(list(combinations(range(n), 2)))
    best_so_far = float(cost.min())
    for size in range(2, min(MAX_SITES, n) + 1):
        if size > 2:
            sets = _extend(beam, n)
        if not len(sets):
            break
        cost, _ = pricer.price(sets)
        order = np.argsort(cost, kind="stable")[:BEAM]
        beam = sets[order]
        found.update({tuple(int(x) for x in s): float(c) for s, c in zip(beam, cost[order], strict=True)})
        if cost[order[0]] >= best_so_far:
            break  # one more location did not pay for itself; a second one rarely does
        best_so_far = float(cost[order[0]])
    return found


def _extend(beam: np.ndarray, n: int) -> np.ndarray:
    """Every set in the beam plus one location it lacks, each unordered set once."""
    grown = {tuple(sorted((*s, k))) for s in beam.tolist() for k in range(n) if k not in s}
    return np.array(sorted(grown), dtype=np.int64).reshape(len(grown), beam.shape[1] + 1)


def _local_search(pricer: _Pricer, best: tuple[int, ...], pool: dict) -> tuple[int, ...]:
    n = pricer.n
    for _ in range(LOCAL_ROUNDS):
        neighbours = _neighbours(best, n)
        improved = False
        for sets in neighbours.values():
            cost, _ = pricer.price(sets)
            k = int(np.argmin(cost))
            candidate = tuple(int(x) for x in sets[k])
            pool[candidate] = float(cost[k])
            if cost[k] < pool[best] - 1e-9:
                best, improved = candidate, True
        if not improved:
            break
    return best


def _neighbours(best: tuple[int, ...], n: int) -> dict[int, np.ndarray]:
    """Sets one move away from `best`, grouped by size (the pricer wants equal sizes)."""
    outside = [k for k in range(n) if k not in best]
    by_size: dict[int, list[tuple[int, ...]]] = {}
    for k in outside:
        by_size.setdefault(len(best) + 1, []).append((*best, k))
        for j in range(len(best)):
            by_size.setdefault(len(best), []).append((*best[:j], k, *best[j + 1:]))
    if len(best) > 1:
        by_size[len(best) - 1] = [best[:j] + best[j + 1:] for j in range(len(best))]
    return {size: np.array(sets, dtype=np.int64) for size, sets in by_size.items() if sets}


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


class _Pricer:
    """The problem on useful sites as arrays: F fixed [n], U unit [n,m], C cover [n,m], q need."""

    def __init__(self, problem: Problem, useful: list[int]) -> None:
        self.n = len(useful)
        self.F = problem.fixed_vector()[useful]
        self.U = problem.unit_matrix()[useful]
        self.C = problem.cover[useful].astype(float)
        self.q = problem.need.astype(float)
        self.P, self.S = problem.short_penalty, problem.split_penalty
        self.least_short = float(np.maximum(self.q - self.C.sum(0), 0).sum())

    def pair_lower_bound(self) -> float:
        """No two-site plan costs less: the two cheapest fixed costs, one split, cheapest units."""
        two = np.partition(self.F, 1)[:2].sum() if self.n > 1 else np.inf
        return float(two + self.S + (self.q * self.U.min(0)).sum())

    def price(self, sets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cost and units short of each set (rows of site indices, all the same size): every
        item fills from the set's sites cheapest first; only sites that ship pay fixed costs."""
        U, C = self.U[sets], self.C[sets]  # [B, L, m]
        order = np.argsort(U, axis=1, kind="stable")
        Us, Cs = np.take_along_axis(U, order, 1), np.take_along_axis(C, order, 1)
        before = np.cumsum(Cs, axis=1) - Cs
        take = np.clip(np.minimum(Cs, self.q - before), 0, None)
        ships = np.zeros_like(take)
        np.put_along_axis(ships, order, take, 1)
        used = ships.sum(2) > 0  # [B, L]
        short = (self.q - take.sum(1)).sum(1)
        fixed = (self.F[sets] * used).sum(1) + self.S * np.maximum(used.sum(1) - 1, 0)
        return fixed + (take * Us).sum((1, 2)) + self.P * short, short
