"""What a set of sites likely costs when kits share stock with other lines (mixed groups), for
many sets at once.

The pricer's relaxation lets every column use a site's whole stock, so a kit and a plain line of
the same SKU both "ship" from the one site holding a single unit: a set can look far cheaper than
it is, and the search would re-price many such sets exactly for nothing. Here the columns of mixed
groups fill one after another from a shared pool instead — the pickiest first (kits that ship
whole, then split kits, then plain lines), each from the set's cheapest sites. That is a plan the
set can really ship, so its cost is never below what fill.allocate() finds for the set: the search
orders sets by it, and re-prices them exactly in that order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conveyor.routing.problem import Problem


@dataclass(frozen=True, slots=True)
class Step:
    cols: list[int]  # one column, or the components of one split kit
    parts: list[list[tuple[int, float]]]  # per column: (pool row, units of that SKU per unit)
    kit: int = -1  # index into Pricer.kits for a split kit
    per_kit: np.ndarray | None = None  # per component: SKU units per kit
    quantity: int = 0  # kits wanted


@dataclass(frozen=True, slots=True)
class Sequence_:
    steps: list[Step]
    stock: np.ndarray  # [pool row, site] stock of the SKUs the mixed groups share
    cols: np.ndarray  # every column filled here


def plan_steps(problem: Problem, sites: list[int], items_of: list[list[int]],
               kits: list[tuple[np.ndarray, np.ndarray, int]]) -> Sequence_ | None:
    """The fill order for the columns of mixed groups (None when there are none)."""
    mixed = {i for g in problem.groups if g.kind == "mixed" for i in g.items}
    if not mixed:
        return None
    rows: dict[str, int] = {}

    def parts(c: int) -> list[tuple[int, float]]:
        item = problem.items[items_of[c][0]]
        return [(rows.setdefault(p.sku_id, len(rows)), float(p.per_unit)) for p in item.parts]

    rigid: list[int] = []
    plain: list[int] = []
    for c, idx in enumerate(items_of):
        item = problem.items[idx[0]]
        if idx[0] in mixed and item.kit < 0:
            (plain if item.plain else rigid).append(c)
    rigid.sort(key=lambda c: -len(problem.items[items_of[c][0]].parts))
    steps = [Step([c], [parts(c)]) for c in rigid]
    for k, (cols, per, qty) in enumerate(kits):
        if items_of[int(cols[0])][0] in mixed:
            steps.append(Step(cols.tolist(), [parts(int(c)) for c in cols], k, per, qty))
    steps += [Step([c], [parts(c)]) for c in plain]
    stock = np.array(
        [[problem.sites[j].candidate.available.get(sku, 0) for j in sites] for sku in rows], dtype=float
    ).reshape(len(rows), len(sites))
    return Sequence_(steps, stock, np.array([c for s in steps for c in s.cols]))


def fill_in_turn(seq: Sequence_, idx: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Units each column of `seq` takes at each position of each set ([column, L, B], in the
    order of seq.cols), and whole kits made per split kit ([B])."""
    pool = seq.stock[:, idx]  # [row, L, B] (a copy)
    out = []
    made: dict[int, np.ndarray] = {}
    for step in seq.steps:
        covers = [_cover(pool, parts) for parts in step.parts]
        if step.kit < 0:
            wants = [np.full(idx.shape[1], q[step.cols[0]])]
        else:
            assert step.per_kit is not None
            k = np.minimum(np.min([c.sum(0) // p for c, p in zip(covers, step.per_kit, strict=True)], 0), step.quantity)
            made[step.kit] = k
            wants = [k * p for p in step.per_kit]
        for cover, want, parts in zip(covers, wants, step.parts, strict=True):
            reach = cover.cumsum(0)
            take = np.minimum(cover, np.maximum(want[None, :] - (reach - cover), 0.0))
            for row, per in parts:
                pool[row] -= take * per
            out.append(take)
    return np.array(out), made


def _cover(pool: np.ndarray, parts: list[tuple[int, float]]) -> np.ndarray:
    """Whole units of a column each position can still ship [L, B]."""
    cover = pool[parts[0][0]] // parts[0][1]
    for row, per in parts[1:]:
        cover = np.minimum(cover, pool[row] // per)
    return np.maximum(cover, 0.0)
