"""A fast set search for cost-based routing (used by `lowest_cost` and `fewest_splits`).

Choosing *which* locations ship is the hard part; given a set, fill.allocate() fills it exactly
(most line units, then least cost). The search prices many sets at once with the relaxation in
routing.pricer and re-prices the most promising ones exactly (`_Incumbent.offer`): in ascending
order of price, until a price reaches the best exact cost found — no set priced at or above it
can beat it, since prices never exceed exact costs.
  1. every single location, then every pair (most orders ship from one or two). A lower bound on
     plans over more sites (Pricer.most_sites) often proves the best of these optimal;
  2. with few locations, every bigger set up to that bound (ENUMERATE); else a beam search
     growing the best sets one location at a time — by price, and by a "soft" price that charges
     a short item what one more location would — while the bound says a bigger set can still be
     cheaper (there is no fixed limit on the number of locations);
  3. drop/swap moves on the winner when it ships from 3+ locations (LOCAL_ROUNDS);
  4. the guarantee: if the plan still ships fewer line units than the whole candidate set can,
     the fill of every location is pruned to the sites worth their fixed (and late) costs.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations
from math import comb

import numpy as np

from conveyor.routing.fill import allocate
from conveyor.routing.pricer import Pricer
from conveyor.routing.problem import Allocation, Problem, better, empty_allocation

BEAM = 4  # sets carried from one size to the next (by price, and as many by soft price)
ENUMERATE = 600  # up to this many sets of 3+ locations are all priced instead (few locations)
EXACT_CHECKS = 24  # sets re-priced exactly per batch at most (the price order stops it sooner)
GROWTH = 8  # best single locations the beam tries adding
GROWTH_PER_ITEM = 2  # and, per item still short, the cheapest ones holding it (plus one per site)
LOCAL_ROUNDS = 2  # drop/swap rounds on a winner of 3+ locations
SHORTLIST = 12  # locations tried in swap moves


class _Incumbent:
    """The best exact plan found, and the sets already re-priced exactly."""

    def __init__(self, problem: Problem, pricer: Pricer) -> None:
        self.problem, self.pricer = problem, pricer
        self.alloc = empty_allocation(problem)
        self.seen: set[tuple[int, ...]] = set()
        self.complete = True  # every set offered so far that could win was re-priced

    def offer(self, sets: np.ndarray, price: np.ndarray) -> None:
        """Re-price the cheapest of `sets` exactly, cheapest price first, while one could win."""
        checks = 0
        for k in np.argsort(price, kind="stable").tolist():
            if price[k] >= self.alloc.cost - 1e-6:
                return
            key = tuple(sets[k].tolist())
            if key in self.seen:
                continue
            if checks == EXACT_CHECKS:
                self.complete = False
                return
            checks += 1
            self.seen.add(key)
            trial = allocate(self.problem, [self.pricer.sites[t] for t in key])
            if better(trial, self.alloc):
                self.alloc = trial

    @property
    def cost(self) -> float:
        return self.alloc.cost


def search(problem: Problem) -> Allocation:
    useful = [j for j, row in enumerate(problem.cover_rows) if any(row)]
    if not useful or not problem.items:
        return empty_allocation(problem)
    pricer = Pricer(problem, useful)
    best = _Incumbent(problem, pricer)
    singles = np.arange(pricer.n)[:, None]
    single_cost, _, single_short, _ = pricer.price_used(singles)
    best.offer(singles, single_cost)
    if pricer.n == 1 or (best.complete and best.cost <= pricer.with_sites(2) + 1e-6):
        return best.alloc  # no plan over two or more sites can beat it
    pairs = _combinations(pricer.n, 2)
    pair_cost, pair_missing, pair_short, pair_used = pricer.price_used(pairs)
    best.offer(pairs, pair_cost)
    _ensure_units(problem, pricer, best)
    most = pricer.most_sites(best.cost)
    if most > 2:
        if sum(comb(pricer.n, k) for k in range(3, most + 1)) <= ENUMERATE:
            for size in range(3, most + 1):  # few locations: price every bigger set at once
                sets = _combinations(pricer.n, size)
                best.offer(sets, pricer.price(sets)[0])
        else:
            both = pair_used.all(0)  # pairs where one site is idle are singles, seen already
            soft = pricer.soft(pair_cost, pair_missing, pair_short)
            beam = pairs[_top_unique(pairs, np.where(both, pair_cost, np.inf), np.where(both, soft, np.inf))]
            _grow(pricer, best, beam, single_cost, single_short)
    if len(best.alloc.sites_used) >= 3:
        _local_search(pricer, best, single_cost)
    if best.alloc.missing > pricer.least_missing:
        _fill_everything(problem, pricer, best)
    return best.alloc


def _ensure_units(problem: Problem, pricer: Pricer, best: _Incumbent) -> None:
    """When the best plan misses line units the relaxation says could ship, learn how many can
    (the fill of every site): a tighter bound, and a plan that ships them all if none does."""
    if best.alloc.missing <= pricer.least_missing:
        return
    everything = allocate(problem, pricer.sites)
    pricer.least_missing = float(everything.missing)  # no plan ships more than every site can


def _grow(
    pricer: Pricer, best: _Incumbent, beam: np.ndarray, single_cost: np.ndarray, single_short: np.ndarray
) -> None:
    """Grow the beam one location at a time while the bound allows a cheaper bigger set."""
    ranked = np.argsort(single_cost, kind="stable")[:GROWTH]
    while len(beam) and beam.shape[1] < min(pricer.most_sites(best.cost), pricer.n):
        sets = _extend(beam, _growth_sites(pricer, ranked, beam.shape[1]))
        if not len(sets):
            return
        cost, missing, short, used = pricer.price_used(sets)
        busy = used.all(0)  # a set with an idle site is a smaller set, seen already
        sets, cost, missing, short = sets[busy], cost[busy], missing[busy], short[:, busy]
        best.offer(sets, cost)
        keep = _top_unique(sets, cost, pricer.soft(cost, missing, short))
        beam = sets[keep]


def _growth_sites(pricer: Pricer, ranked: np.ndarray, size: int) -> np.ndarray:
    """Locations worth adding: the best on their own, and per column the cheapest holding it
    (one more per site already in the set, since those may be among them)."""
    if pricer.n <= GROWTH + size:
        return np.arange(pricer.n)
    per_col = np.where(pricer.C > 0, pricer.F[:, None] + pricer.rate[:, None] * pricer.factor, np.inf)
    k = min(GROWTH_PER_ITEM + size, pricer.n - 1)
    picks = np.argpartition(per_col, k, axis=0)[:k]
    holds = np.isfinite(np.take_along_axis(per_col, picks, axis=0))
    return np.unique(np.concatenate([ranked, picks[holds]]))


@lru_cache(maxsize=256)
def _combinations(n: int, size: int) -> np.ndarray:
    out = np.array(list(combinations(range(n), size)), dtype=np.int64).reshape(-1, size)
    out.flags.writeable = False
    return out


def _extend(beam: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Every set in the beam plus one location of `extra` it lacks, each row sorted, no repeats."""
    b, size = beam.shape
    grown = np.empty((b * len(extra), size + 1), dtype=np.int64)
    grown[:, :size] = np.repeat(beam, len(extra), axis=0)
    grown[:, size] = np.tile(extra, b)
    grown = grown[(grown[:, :size] != grown[:, size:]).all(1)]
    grown.sort(axis=1)
    return np.unique(grown, axis=0) if len(grown) else grown


def _top_unique(sets: np.ndarray, cost: np.ndarray, soft: np.ndarray) -> list[int]:
    """Rows of the BEAM cheapest sets and the BEAM cheapest by soft price (finite only)."""
    keep: list[int] = []
    for ranking in (cost, soft):
        taken = 0
        for k in np.argsort(ranking, kind="stable").tolist():
            if taken == BEAM or not np.isfinite(ranking[k]):
                break
            if k not in keep:
                keep.append(k)
                taken += 1
    return keep


def _local_search(pricer: Pricer, best: _Incumbent, single_cost: np.ndarray) -> None:
    """Drop and swap moves around the winner, priced at once, the promising ones re-priced."""
    shortlist = np.argsort(single_cost, kind="stable")[:SHORTLIST]
    where = {j: t for t, j in enumerate(pricer.sites)}
    for _ in range(LOCAL_ROUNDS):
        before = best.cost
        current = np.array(sorted(where[j] for j in best.alloc.sites_used), dtype=np.int64)
        for sets in _neighbours(current, shortlist):
            best.offer(sets, pricer.price(sets)[0])
        if best.cost >= before - 1e-6:
            return


def _neighbours(current: np.ndarray, shortlist: np.ndarray) -> list[np.ndarray]:
    """Sets one move from `current`: drop one site, or swap one for a shortlisted one."""
    out = [np.array([np.delete(current, t) for t in range(len(current))])]
    outside = np.setdiff1d(shortlist, current)
    if len(outside):
        swaps = np.repeat(current[None, :], len(current) * len(outside), axis=0)
        rows = np.arange(len(swaps))
        swaps[rows, rows // len(outside)] = np.tile(outside, len(current))
        swaps.sort(axis=1)
        out.append(swaps)
    return out


def _fill_everything(problem: Problem, pricer: Pricer, best: _Incumbent) -> None:
    """The search left line units short that the candidates could ship: fill from every site
    (which ships the most), then drop the sites not worth their fixed and late costs, one at a
    time, dearest saving first."""
    trial = allocate(problem, pricer.sites)
    improved = True
    while improved and len(trial.sites_used) > 1:
        improved = False
        drops = [allocate(problem, [k for k in trial.sites_used if k != j]) for j in trial.sites_used]
        cheapest = min(drops, key=lambda a: (a.cost, len(a.sites_used)))
        if better(cheapest, trial):
            trial, improved = cheapest, True
    if better(trial, best.alloc):
        best.alloc = trial
