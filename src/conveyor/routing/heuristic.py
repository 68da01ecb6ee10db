"""A fast set search for cost-based routing (used by `lowest_cost` and `fewest_splits`).

Choosing *which* locations ship is the hard part; given a set, fill.allocate() fills it exactly
(most line units, then least cost). The search prices many sets at once with the relaxation in
routing.pricer and re-prices the most promising ones exactly (`_Incumbent.offer`): in ascending
order of price, until a price reaches the best exact cost found — no set priced at or above it
can beat it, since prices never exceed exact costs.
  1. every single location, then every pair (most orders ship from one or two). A lower bound on
     plans over more sites (Pricer.most_sites) often proves the best of these optimal;
  2. with few locations, every bigger set up to that bound (ENUMERATE); else a beam search
     growing the best sets one location at a time — by price, and by a "soft" price that lets
     one more location ship what is short at the cheapest rates — while the bound says a bigger
     set can still be cheaper and some set still looks it (no fixed limit on locations);
  3. drop/swap moves on the winner when it ships from 3+ locations (LOCAL_ROUNDS);
  4. the guarantee: if the plan still ships fewer line units than the whole candidate set can,
     the fill of every location is pruned to the sites worth their fixed (and late) costs.
Before all that, two exact shortcuts for the common small cases: when every item is a plain SKU
that exactly one location holds (a catalogue where each SKU lives in one warehouse), the set is
those holders; and with at most FEW useful locations and no kits, every set is filled exactly, in
order of size, skipping the sets whose fixed costs alone cannot beat the best (cheaper than the
numpy pricing, which pays off on bigger networks).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations
from math import comb

import numpy as np

from conveyor.routing.fill import allocate, most_line_units
from conveyor.routing.pricer import Priced, Pricer
from conveyor.routing.problem import Allocation, Problem, better, empty_allocation

BEAM = 4  # sets carried from one size to the next (by price, and as many by soft price)
ENUMERATE = 600  # up to this many sets of 3+ locations are all priced instead (few locations)
EXACT_CHECKS = 24  # sets re-priced exactly per batch at most (the price order stops it sooner)
PATIENCE = 3  # when prices are only bounds: re-pricing stops after this many in a row gain nothing
GROW_CHECKS = 1  # PATIENCE in the beam and local search, which offer many batches
REFINE = 32  # with prices that are only bounds, the most likely sets ordered by Pricer.in_turn
GROW_REFINE = 8  # REFINE in the beam and local search
GROW_PATIENCE = 1  # the beam stops after this many sizes in a row with nothing promising
GROWTH = 8  # best single locations the beam tries adding
GROWTH_PER_ITEM = 2  # and per item the cheapest holding it (one more per site in the set, up to two)
LOCAL_ROUNDS = 2  # drop/swap rounds on a winner of 3+ locations
SHORTLIST = 12  # locations tried in swap moves
FEW = 4  # up to this many useful locations (15 sets), orders without kits try every set exactly


class _Incumbent:
    """The best exact plan found, and the sets already re-priced exactly."""

    def __init__(self, problem: Problem, pricer: Pricer) -> None:
        self.problem, self.pricer = problem, pricer
        self.alloc = empty_allocation(problem)
        self.seen: set[tuple[int, ...]] = set()
        self.complete = True  # every set offered so far that could win was re-priced

    def offer(self, sets: np.ndarray, priced: Priced, patience: int = PATIENCE, refine: int = REFINE) -> None:
        """Re-price the most promising of `sets` exactly. In price order, a set priced at or above
        the best exact cost cannot win: with exact prices the first one is the answer, so this
        stops at once. With prices that are only bounds (kits sharing stock), the sets that can
        still win go in order of a plan each can really ship (Pricer.in_turn, for the REFINE most
        likely), until PATIENCE in a row brought nothing (or EXACT_CHECKS did)."""
        if self.pricer.exact:
            order = priced.order()
        else:
            hopeful = np.flatnonzero(priced.cost < self.alloc.cost - 1e-6)
            order = hopeful[np.argsort(priced.rank[hopeful], kind="stable")[:refine]]
            if len(order) > patience:  # else all of them are re-priced anyway: no need to order
                order = order[np.argsort(self.pricer.in_turn(sets, priced, order), kind="stable")]
        checks = idle = 0
        for k in order.tolist():
            if priced.cost[k] >= self.alloc.cost - 1e-6:
                if self.pricer.exact:
                    return
                continue
            key = tuple(sets[k].tolist())
            if key in self.seen:
                continue
            if checks == EXACT_CHECKS or idle == patience:
                self.complete = False
                return
            checks += 1
            self.seen.add(key)
            trial = allocate(self.problem, [self.pricer.sites[t] for t in key])
            if better(trial, self.alloc):
                self.alloc, idle = trial, 0
            else:
                idle += 1

    @property
    def cost(self) -> float:
        return self.alloc.cost


def search(problem: Problem) -> Allocation:
    useful = [j for j, row in enumerate(problem.cover_rows) if any(row)]
    if not useful or not problem.items:
        return empty_allocation(problem)
    if (holders := _forced_sites(problem, useful)) is not None:
        return allocate(problem, holders)
    if len(useful) <= FEW and all(group.kind in ("own", "plain") for group in problem.groups):
        return _every_set(problem, useful)
    pricer = Pricer(problem, useful)
    best = _Incumbent(problem, pricer)
    singles = np.arange(pricer.n)[:, None]
    single = pricer.price(singles)
    best.offer(singles, single)
    if pricer.n == 1 or (best.complete and best.cost <= pricer.with_sites(2) + 1e-6):
        return best.alloc  # no plan over two or more sites can beat it
    pairs = _affordable(pricer, _combinations(pricer.n, 2), best.cost)
    pair = pricer.price(pairs)
    best.offer(pairs, pair)
    _ensure_units(problem, pricer, best)
    most = pricer.most_sites(best.cost)
    if most > 2:
        if sum(comb(pricer.n, k) for k in range(3, most + 1)) <= ENUMERATE:
            for size in range(3, most + 1):  # few locations: price every bigger set at once
                sets = _affordable(pricer, _combinations(pricer.n, size), best.cost)
                best.offer(sets, pricer.price(sets))
        else:
            both = pair.used.all(0)  # pairs where one site is idle are singles, seen already
            beam = pairs[_top_unique(np.where(both, pair.rank, np.inf), np.where(both, pair.soft, np.inf))]
            _grow(pricer, best, beam, single.rank)
    if len(best.alloc.sites_used) >= 3:
        _local_search(pricer, best, single.rank)
    if best.alloc.missing > pricer.least_missing:
        _fill_everything(problem, pricer, best)
    return best.alloc


def _forced_sites(problem: Problem, useful: list[int]) -> list[int] | None:
    """The sites of the only plan worth having, when every item is a plain SKU with exactly one
    holder: a plan without one of them ships fewer line units (which always costs more, see
    Problem.short_penalty), and no other site holds anything the order wants. None otherwise."""
    rows = problem.cover_rows
    holders: set[int] = set()
    for i, item in enumerate(problem.items):
        if not item.plain:
            return None
        holder = [j for j in useful if rows[j][i]]
        if len(holder) != 1:
            return None
        holders.add(holder[0])
    return sorted(holders)


def _every_set(problem: Problem, useful: list[int]) -> Allocation:
    """The best plan over every set of the `useful` sites, smallest sets first. A set is skipped when
    its fixed and split costs, plus the short penalty of the fewest line units any set must leave
    unshipped, already reach the best cost: a plan using all of it costs at least that, and a plan
    using fewer of its sites was found with that smaller set. Exact because the fill of a set is
    exact when no kit shares stock ("own" and "plain" groups, fill.py)."""
    everything = allocate(problem, useful)
    least_short = problem.short_penalty * everything.missing
    best = empty_allocation(problem)
    for size in range(1, len(useful) + 1):
        for sites in combinations(useful, size):
            floor = sum(problem.sites[j].fixed for j in sites) + (size - 1) * problem.split_penalty + least_short
            if floor >= best.cost - 1e-6:
                continue
            trial = everything if size == len(useful) else allocate(problem, sites)
            if better(trial, best):
                best = trial
    return best


def _affordable(pricer: Pricer, sets: np.ndarray, upper: float) -> np.ndarray:
    """The sets whose fixed costs and splits alone leave room to cost less than `upper`."""
    size = sets.shape[1]
    floor = pricer.with_sites(0) + pricer.S * (size - 1)
    return sets[pricer.F[sets].sum(1) + floor < upper - 1e-6]


def _ensure_units(problem: Problem, pricer: Pricer, best: _Incumbent) -> None:
    """When the best plan misses line units the relaxation says could ship, learn how many can
    (with every site): a tighter bound for the search."""
    if best.alloc.missing <= pricer.least_missing:
        return
    pricer.least_missing = float(problem.wanted - most_line_units(problem, pricer.sites))


def _grow(pricer: Pricer, best: _Incumbent, beam: np.ndarray, single_rank: np.ndarray) -> None:
    """Grow the beam one location at a time while the bound allows a cheaper bigger set, and
    until GROW_PATIENCE sizes in a row held no set that even looked cheaper than the best plan
    (by price or soft price: the bound alone is loose when variable costs dominate)."""
    ranked = np.argsort(single_rank, kind="stable")[:GROWTH]
    per_col = np.where(pricer.C > 0, pricer.F[:, None] + pricer.rate[:, None] * pricer.factor, np.inf)
    idle = 0
    while len(beam) and beam.shape[1] < min(pricer.most_sites(best.cost), pricer.n) and idle < GROW_PATIENCE:
        sets = _extend(beam, _growth_sites(pricer, per_col, ranked, beam.shape[1]), pricer.n)
        if not len(sets):
            return
        priced = pricer.price(sets)
        before = best.cost
        best.offer(sets, priced, GROW_CHECKS, GROW_REFINE)
        busy = priced.used.all(0)  # a set with an idle site is a smaller set, seen already
        rank, soft = np.where(busy, priced.rank, np.inf), np.where(busy, priced.soft, np.inf)
        promising = best.cost < before - 1e-6 or min(rank.min(), soft.min()) < best.cost - 1e-6
        idle = 0 if promising else idle + 1
        beam = sets[_top_unique(rank, soft)]


def _growth_sites(pricer: Pricer, per_col: np.ndarray, ranked: np.ndarray, size: int) -> np.ndarray:
    """Locations worth adding: the best on their own, and per column the cheapest holding it
    (one more per site already in the set, since those may be among them)."""
    if pricer.n <= GROWTH + size:
        return np.arange(pricer.n)
    k = min(GROWTH_PER_ITEM + min(size, 2), pricer.n - 1)
    picks = np.argpartition(per_col, k, axis=0)[:k]
    holds = np.isfinite(np.take_along_axis(per_col, picks, axis=0))
    return np.unique(np.concatenate([ranked, picks[holds]]))


@lru_cache(maxsize=256)
def _combinations(n: int, size: int) -> np.ndarray:
    out = np.array(list(combinations(range(n), size)), dtype=np.int64).reshape(-1, size)
    out.flags.writeable = False
    return out


def _extend(beam: np.ndarray, extra: np.ndarray, n: int) -> np.ndarray:
    """Every set in the beam plus one location of `extra` it lacks, each row sorted, no repeats."""
    b, size = beam.shape
    grown = np.empty((b * len(extra), size + 1), dtype=np.int64)
    grown[:, :size] = np.repeat(beam, len(extra), axis=0)
    grown[:, size] = np.tile(extra, b)
    grown = grown[(grown[:, :size] != grown[:, size:]).all(1)]
    if not len(grown):
        return grown
    grown.sort(axis=1)
    if (size + 1) * n.bit_length() > 62:  # rows too long to number: the slower way
        return np.unique(grown, axis=0)
    key = grown @ (1 << (n.bit_length() * np.arange(size + 1, dtype=np.int64)))  # a number per set
    return grown[np.unique(key, return_index=True)[1]]


def _top_unique(cost: np.ndarray, soft: np.ndarray) -> list[int]:
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


def _local_search(pricer: Pricer, best: _Incumbent, single_rank: np.ndarray) -> None:
    """Drop and swap moves around the winner, priced at once, the promising ones re-priced."""
    shortlist = np.argsort(single_rank, kind="stable")[:SHORTLIST]
    where = {j: t for t, j in enumerate(pricer.sites)}
    for _ in range(LOCAL_ROUNDS):
        before = best.cost
        current = np.array(sorted(where[j] for j in best.alloc.sites_used), dtype=np.int64)
        for sets in _neighbours(current, shortlist):
            best.offer(sets, pricer.price(sets), GROW_CHECKS, GROW_REFINE)
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
