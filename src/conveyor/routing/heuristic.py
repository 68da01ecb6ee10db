"""A fast set search for cost-based routing (used by `lowest_cost` and `fewest_splits`).

Most orders ship from one or two locations, so those are searched exhaustively (vectorised with
numpy: all n singles, all n*(n-1)/2 pairs), and larger splits by a beam search that grows the
best partial sets one location at a time. Closed-form costs ignore stock shared between lines;
the few best sets are then re-priced exactly by `allocate()`, which also keeps every plan within
stock. With 50 locations and 5 lines this takes well under 2 ms.
"""

from __future__ import annotations

import numpy as np

from conveyor.routing.problem import Allocation, Problem, allocate, empty_allocation

BEAM = 8  # partial sets carried from one size to the next
MAX_SITES = 6  # splits beyond this are not worth a customer's patience
EXACT_CHECKS = 4  # candidate sets re-priced exactly


def search(problem: Problem) -> Allocation:
    useful = [j for j in range(len(problem.sites)) if problem.cover[j].any()]
    if not useful or not problem.items:
        return empty_allocation(problem)
    arr = _Arrays(problem, useful)
    pool = arr.singles()
    single = min(pool)
    if single[2] == 0 and single[0] <= arr.pair_lower_bound():
        return allocate(problem, single[1])  # nothing with two parcels can beat it
    if len(useful) > 1:
        pairs = arr.pairs()
        pool += pairs
        pool += arr.grow(pairs)
    pool.sort()
    best = min((allocate(problem, sites) for _, sites, _ in pool[:EXACT_CHECKS]), key=lambda a: a.cost)
    return _drop_moves(problem, best)


def _drop_moves(problem: Problem, best: Allocation) -> Allocation:
    """Greedy fill may touch every site in a set; try shipping without each one."""
    improved = True
    while improved and len(best.sites_used) > 1:
        improved = False
        for j in list(best.sites_used):
            trial = allocate(problem, [k for k in best.sites_used if k != j])
            if trial.cost < best.cost - 1e-9:
                best, improved = trial, True
                break
    return best


class _Arrays:
    """The problem restricted to useful sites, as arrays: F fixed [n], U unit [n,m], C cover [n,m]."""

    def __init__(self, problem: Problem, useful: list[int]) -> None:
        self.ids = np.array(useful)
        self.F = problem.fixed_vector()[useful]
        self.U = problem.unit_matrix()[useful]
        self.C = problem.cover[useful].astype(float)
        self.q = problem.need.astype(float)
        self.P, self.S = problem.short_penalty, problem.split_penalty

    def singles(self) -> list[tuple[float, tuple[int, ...], float]]:
        short = (self.q - self.C).sum(1)
        cost = self.F + (self.U * self.C).sum(1) + self.P * short
        top = np.argsort(cost, kind="stable")[:BEAM]
        return [(float(cost[k]), (int(self.ids[k]),), float(short[k])) for k in top]

    def pair_lower_bound(self) -> float:
        """No two-site plan costs less: the two cheapest fixed costs, one split, cheapest units."""
        two = np.partition(self.F, 1)[:2].sum() if len(self.F) > 1 else np.inf
        return float(two + self.S + (self.q * self.U.min(0)).sum())

    def pairs(self) -> list[tuple[float, tuple[int, ...], float]]:
        """Every pair: each item fills from the cheaper site first, then the other."""
        U, C, q = self.U, self.C, self.q
        a_first = U[:, None, :] <= U[None, :, :]
        c1 = np.where(a_first, C[:, None, :], C[None, :, :])
        c2 = np.where(a_first, C[None, :, :], C[:, None, :])
        u1 = np.where(a_first, U[:, None, :], U[None, :, :])
        u2 = np.where(a_first, U[None, :, :], U[:, None, :])
        t1 = np.minimum(q, c1)
        t2 = np.minimum(q - t1, c2)
        rem = q - t1 - t2
        cost = self.F[:, None] + self.F[None, :] + self.S + (t1 * u1 + t2 * u2).sum(2) + self.P * rem.sum(2)
        cost[np.tril_indices(len(self.F))] = np.inf  # each unordered pair once, no (a, a)
        flat = np.argsort(cost, axis=None, kind="stable")[:BEAM]
        a, b = np.unravel_index(flat, cost.shape)
        self._beam = (cost[a, b], [(int(x), int(y)) for x, y in zip(a, b, strict=True)], rem[a, b])
        return [
            (float(cost[x, y]), (int(self.ids[x]), int(self.ids[y])), float(rem[x, y].sum()))
            for x, y in zip(a, b, strict=True)
            if np.isfinite(cost[x, y])
        ]

    def grow(self, pairs: list) -> list[tuple[float, tuple[int, ...], float]]:
        """Beam search over 3..MAX_SITES sites, while the best set still leaves units short.

        A new site only fills what the set leaves short (it does not take units over), which is
        what a split of three or more is for; exact re-pricing happens afterwards."""
        found: list[tuple[float, tuple[int, ...], float]] = []
        cost, sets, rem = self._beam
        for _ in range(3, MAX_SITES + 1):
            if not len(sets) or rem.sum(1).min() == 0:
                break
            add = np.minimum(rem[:, None, :], self.C[None, :, :])
            new = (
                cost[:, None]
                + self.F[None, :]
                + self.S
                + (add * self.U[None, :, :]).sum(2)
                - self.P * add.sum(2)
            )
            for b, members in enumerate(sets):
                new[b, list(members)] = np.inf
            cost, sets, rem = self._best_unique(new, sets, rem, add)
            found += [
                (float(c), tuple(int(self.ids[k]) for k in s), float(r.sum()))
                for c, s, r in zip(cost, sets, rem, strict=True)
            ]
        return found

    def _best_unique(self, new, sets, rem, add):
        order = np.argsort(new, axis=None, kind="stable")
        seen, out_cost, out_sets, out_rem = set(), [], [], []
        for flat in order:
            b, k = divmod(int(flat), new.shape[1])
            if not np.isfinite(new[b, k]) or len(out_sets) == BEAM:
                break
            key = frozenset(sets[b]) | {k}
            if key in seen:
                continue
            seen.add(key)
            out_cost.append(new[b, k])
            out_sets.append((*sets[b], k))
            out_rem.append(rem[b] - add[b, k])
        return np.array(out_cost), out_sets, np.array(out_rem).reshape(len(out_sets), len(self.q))
