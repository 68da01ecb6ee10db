"""Exact references for routing tests and the quality benchmark, written without any of the
strategies' code (no routing.problem, heuristic, optimiser): only the cost model's published
primitives (distance band, per-kg rate, late check) and the plan's own definition of a unit.

A plan is judged lexicographically: first the number of *line units* shipped (a kit unit is one
unit of its line, split or not; a split kit ships only whole kits), then its cost under the model
(per location used: base + handling + late penalty + rate x kg; plus a split penalty per extra
location).

- `brute_force`: enumerates every assignment of every line to every location (tiny instances).
- `milp_reference`: the same optimum as a two-stage integer program (most units, then least cost
  at that many units), for instances too big to enumerate. Imports scipy lazily.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import product

from conveyor.routing.cost import DEFAULT_COSTS, CostModel, is_late, rate_per_kg
from conveyor.routing.geo import distance, locate
from conveyor.routing.model import Candidate, RequestLine, RoutingRequest


@dataclass(frozen=True)
class Best:
    units: int  # line units shipped
    cost: float  # minor units, under the cost model
    used: tuple[str, ...] = ()  # location ids


def shippable(candidates: Sequence[Candidate]) -> list[Candidate]:
    return [
        c for c in candidates if c.active and c.can_ship and (c.capacity_left is None or c.capacity_left > 0)
    ]


def site_prices(
    request: RoutingRequest, cands: Sequence[Candidate], model: CostModel
) -> list[tuple[float, float]]:
    """Per location: (cost of shipping anything from it, cost per kg)."""
    point, out = locate(request.destination), []
    for c in cands:
        band = model.band(distance(point, c))
        late, _ = is_late(request, c, band, model)
        fixed = c.package_base_minor + c.handling_minor + (model.late_penalty_minor if late else 0)
        out.append((float(fixed), float(rate_per_kg(c, band))))
    return out


def parts_of(line: RequestLine) -> dict[str, int]:
    merged: dict[str, int] = {}
    for c in line.components:
        merged[c.sku_id] = merged.get(c.sku_id, 0) + c.per_unit
    return merged


def _splits(total: int, sites: int) -> Iterator[tuple[int, ...]]:
    """Every way to spread exactly `total` units over `sites` locations."""
    if sites == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _splits(total - first, sites - 1):
            yield (first, *rest)


# An option for one line: (line units, per site {sku: units taken}, per site kg)
Option = tuple[int, tuple[dict[str, int], ...], tuple[float, ...]]


def line_options(line: RequestLine, n: int) -> list[Option]:
    parts = parts_of(line)
    kg_per_unit = line.weight_grams / 1000.0
    out: list[Option] = []
    if line.allow_split and len(parts) > 1:
        per_kit = sum(parts.values())
        for kits in range(line.quantity + 1):
            per_sku = [[(sku, s) for s in _splits(kits * n_per, n)] for sku, n_per in parts.items()]
            for combo in product(*per_sku):
                take = tuple({sku: spread[j] for sku, spread in combo if spread[j]} for j in range(n))
                kg = tuple(sum(spread[j] for _, spread in combo) * kg_per_unit / per_kit for j in range(n))
                out.append((kits, take, kg))
        return out
    for total in range(line.quantity + 1):
        for spread in _splits(total, n):
            take = tuple({sku: k * u for sku, k in parts.items()} if u else {} for u in spread)
            out.append((total, take, tuple(u * kg_per_unit for u in spread)))
    return out


def brute_force(request: RoutingRequest, candidates: Sequence[Candidate], model: CostModel = DEFAULT_COSTS) -> Best:
    """The best plan by plain enumeration (keep instances tiny: ~3 locations, ~3 lines, qty <= 3)."""
    cands = shippable(candidates)
    prices = site_prices(request, cands, model)
    n = len(cands)
    options = [_fitting(line_options(line, n), cands) for line in request.lines if line.quantity > 0]
    stock = [dict(c.available) for c in cands]
    kg = [0.0] * n
    takes = [0] * n  # options shipping from each location (weightless items still use it)
    best: list[Best] = []

    def walk(k: int, units: int) -> None:
        if k == len(options):
            used = [j for j in range(n) if takes[j]]
            cost = sum(prices[j][0] + prices[j][1] * kg[j] for j in used)
            cost += model.split_penalty_minor * max(len(used) - 1, 0)
            if not best or (units, -cost) > (best[0].units, -best[0].cost):
                best[:] = [Best(units, cost, tuple(cands[j].location_id for j in used))]
            return
        for got, take, weight in options[k]:
            if all(stock[j].get(sku, 0) >= q for j in range(n) for sku, q in take[j].items()):
                _apply(stock, kg, takes, take, weight, -1)
                walk(k + 1, units + got)
                _apply(stock, kg, takes, take, weight, +1)

    walk(0, 0)
    return best[0]


def _fitting(options: list[Option], cands: Sequence[Candidate]) -> list[Option]:
    return [
        o for o in options
        if all(cands[j].available.get(sku, 0) >= q for j in range(len(cands)) for sku, q in o[1][j].items())
    ]


def _apply(stock: list[dict[str, int]], kg: list[float], takes: list[int], take, weight, sign: int) -> None:
    for j, used in enumerate(take):
        for sku, q in used.items():
            stock[j][sku] = stock[j].get(sku, 0) + sign * q
        kg[j] -= sign * weight[j]
        takes[j] -= sign * bool(used)


def milp_reference(
    request: RoutingRequest, candidates: Sequence[Candidate], model: CostModel = DEFAULT_COSTS, time_limit: float = 60.0
) -> Best | None:
    """The same optimum by integer programming in two stages; None if HiGHS proves nothing."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    cands = shippable(candidates)
    prices = site_prices(request, cands, model)
    n = len(cands)
    lines = [line for line in request.lines if line.quantity > 0]
    cols: list[tuple[str, int, int, str | None]] = []  # (kind, line, site, sku)
    for li, line in enumerate(lines):
        parts = parts_of(line)
        if line.allow_split and len(parts) > 1:
            cols.append(("kits", li, -1, None))
            cols += [("comp", li, j, sku) for sku in parts for j in range(n)]
        else:
            cols += [("unit", li, j, None) for j in range(n)]
    cols += [("open", -1, j, None) for j in range(n)]
    size = len(cols)
    col_of = {c: k for k, c in enumerate(cols)}
    units_row, cost_row = np.zeros(size), np.zeros(size)
    upper = np.zeros(size)
    rows: list[tuple[np.ndarray, float, float]] = []
    big = sum(line.quantity * max(sum(parts_of(line).values()), 1) for line in lines) + 1
    for k, (kind, li, j, sku) in enumerate(cols):
        if kind == "open":
            upper[k], cost_row[k] = 1, prices[j][0] + model.split_penalty_minor
            continue
        line = lines[li]
        if kind == "kits":
            upper[k], units_row[k] = line.quantity, 1
        elif kind == "comp":
            parts = parts_of(line)
            upper[k] = line.quantity * parts[sku]
            cost_row[k] = prices[j][1] * line.weight_grams / 1000.0 / sum(parts.values())
        else:
            upper[k], units_row[k] = line.quantity, 1
            cost_row[k] = prices[j][1] * line.weight_grams / 1000.0
        if kind != "kits":  # shipping from j opens j
            row = np.zeros(size)
            row[k], row[col_of[("open", -1, j, None)]] = 1, -big
            rows.append((row, -np.inf, 0))
    for li, line in enumerate(lines):
        parts = parts_of(line)
        if line.allow_split and len(parts) > 1:
            for sku, per in parts.items():  # every component ships exactly kits x per_unit
                row = np.zeros(size)
                row[col_of[("kits", li, -1, None)]] = -per
                for j in range(n):
                    row[col_of[("comp", li, j, sku)]] = 1
                rows.append((row, 0, 0))
        else:
            row = np.zeros(size)
            for j in range(n):
                row[col_of[("unit", li, j, None)]] = 1
            rows.append((row, 0, line.quantity))
    skus = {sku for line in lines for sku in parts_of(line)}
    for j in range(n):
        for sku in skus:
            row = np.zeros(size)
            for k, (kind, li, jj, s) in enumerate(cols):
                if jj != j:
                    continue
                if kind == "unit":
                    row[k] = parts_of(lines[li]).get(sku, 0)
                elif kind == "comp" and s == sku:
                    row[k] = 1
            if row.any():
                rows.append((row, -np.inf, cands[j].available.get(sku, 0)))
    if not rows:
        return Best(0, 0.0)
    base = LinearConstraint(np.array([r for r, _, _ in rows]), [lo for _, lo, _ in rows], [hi for _, _, hi in rows])
    opts = {"time_limit": time_limit, "mip_rel_gap": 0.0}
    first = milp(-units_row, integrality=np.ones(size), bounds=Bounds(0, upper), constraints=[base], options=opts)
    if first.status != 0:
        return None
    most = round(-first.fun)
    fix = LinearConstraint(units_row[None, :], most, most)
    second = milp(cost_row, integrality=np.ones(size), bounds=Bounds(0, upper), constraints=[base, fix], options=opts)
    if second.status != 0:
        return None
    x = np.rint(second.x)
    opened = [j for j in range(n) if x[col_of[("open", -1, j, None)]] > 0.5]
    cost = float(cost_row @ x) - (model.split_penalty_minor if opened else 0)
    return Best(most, cost, tuple(cands[j].location_id for j in opened))


def line_units(plan, request: RoutingRequest) -> int:
    """Line units a plan ships, read from its assignments (a split kit counts whole kits only)."""
    total = 0
    for line in request.lines:
        mine = [a for a in plan.assignments if a.line_id == line.line_id]
        parts = parts_of(line)
        if any(a.sku_id is not None for a in mine):
            got = {sku: sum(a.quantity for a in mine if a.sku_id == sku) for sku in parts}
            total += min(got[sku] // per for sku, per in parts.items())
        else:
            total += sum(a.quantity for a in mine)
    return total
