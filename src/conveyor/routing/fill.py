"""Fill the items of a problem from a chosen set of sites: the most line units the set can ship,
then the least variable cost. Every strategy's plan comes out of here, so stock is tracked in one
place and a plan never ships more than a location holds.

Items are filled group by group (problem.Group): groups draw on disjoint SKUs, so they never
compete. Within a group:
  own    one item, its stock its own: cheapest sites first.
  kit    a split kit whose components share nothing: as many whole kits as the set's stock of
         every component allows, each component from its cheapest sites.
  plain  plain items of one SKU: the lightest units ship when stock is short (every unit counts the
         same, and the heavy ones cost more to send), and the heaviest take the cheapest sites.
         Unit cost is site rate x item weight, so that is the cheapest assignment (a Monge
         transportation problem: sorted greedy is optimal).
  mixed  kits sharing SKUs with other lines: routing.mixed enumerates the choices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from conveyor.routing.problem import Allocation, Group, Problem, finish

Units = dict[tuple[int, int], int]


def allocate(problem: Problem, chosen: Sequence[int]) -> Allocation:
    """Fill every item from the sites `chosen` (site indices into problem.sites)."""
    order = sorted(chosen, key=problem.fill_rank.__getitem__)
    units: Units = {}
    for group in problem.groups:
        _FILLERS[group.kind](problem, group, order, units)
    return finish(problem, units, order)


def most_line_units(problem: Problem, chosen: Sequence[int]) -> int:
    """The most line units the sites `chosen` can ship (what allocate() ships, found faster:
    without placing anything where it can be avoided)."""
    order = sorted(chosen, key=problem.fill_rank.__getitem__)
    rows = problem.cover_rows
    items = problem.items
    got = 0
    for group in problem.groups:
        if group.kind == "own":
            i = group.items[0]
            got += min(items[i].quantity, sum(rows[j][i] for j in order))
        elif group.kind == "kit":
            kit = problem.kits[group.kits[0]]
            got += min([kit.quantity] + [sum(rows[j][c] for j in order) // items[c].per_kit for c in kit.items])
        elif group.kind == "plain":
            sku = items[group.items[0]].parts[0].sku_id
            have = sum(problem.sites[j].candidate.available.get(sku, 0) for j in order)
            got += min(have, sum(items[i].quantity for i in group.items))
        else:
            from conveyor.routing.mixed import most_line_units as mixed_units

            got += mixed_units(problem, group, order)
    return got


def _fill_own(problem: Problem, group: Group, order: Sequence[int], units: Units) -> None:
    i = group.items[0]
    _fill_from_cover(problem, i, problem.items[i].quantity, order, units)


def _fill_from_cover(problem: Problem, i: int, need: int, order: Sequence[int], units: Units) -> None:
    rows = problem.cover_rows
    for j in order:
        if need <= 0:
            return
        take = rows[j][i]
        if take:
            take = need if take > need else take
            units[(i, j)] = take
            need -= take


def _fill_kit(problem: Problem, group: Group, order: Sequence[int], units: Units) -> None:
    kit = problem.kits[group.kits[0]]
    rows = problem.cover_rows
    made = kit.quantity
    for c in kit.items:  # components share nothing: a kit needs per_kit units of each
        made = min(made, sum(rows[j][c] for j in order) // problem.items[c].per_kit)
    for c in kit.items:
        _fill_from_cover(problem, c, made * problem.items[c].per_kit, order, units)


def _fill_plain(problem: Problem, group: Group, order: Sequence[int], units: Units) -> None:
    sku = problem.items[group.items[0]].parts[0].sku_id
    supply = [(j, have) for j in order if (have := problem.sites[j].candidate.available.get(sku, 0)) > 0]
    total = sum(have for _, have in supply)
    amounts = lightest_first(problem, group.items, total)
    monge_fill(problem, amounts, supply, units)


def lightest_first(problem: Problem, items: Sequence[int], total: int) -> list[tuple[int, int]]:
    """(item, units to ship) when `total` units of their shared SKU can ship: lightest first."""
    out = []
    assert problem.factors is not None
    for i in sorted(items, key=problem.factors.__getitem__):
        take = min(problem.items[i].quantity, total)
        total -= take
        out.append((i, take))
    return out


def monge_fill(
    problem: Problem, amounts: Sequence[tuple[int, int]], supply: Sequence[tuple[int, int]], units: Units
) -> float:
    """Ship `amounts` (item, units) of one SKU from `supply` (site, units; cheapest first):
    heaviest item first into the cheapest sites. Returns the variable cost."""
    assert problem.factors is not None
    factors = problem.factors
    left = [have for _, have in supply]
    k, cost = 0, 0.0
    for i, amount in sorted(amounts, key=lambda a: -factors[a[0]]):
        while amount > 0 and k < len(supply):
            take = min(amount, left[k])
            if take:
                j = supply[k][0]
                units[(i, j)] = units.get((i, j), 0) + take
                cost += take * problem.sites[j].unit[i]
                left[k] -= take
                amount -= take
            if not left[k]:
                k += 1
    return cost


def _fill_mixed(problem: Problem, group: Group, order: Sequence[int], units: Units) -> None:
    from conveyor.routing.mixed import fill_mixed  # the rare case: kits sharing stock with lines

    fill_mixed(problem, group, order, units)


_FILLERS: dict[str, Callable[[Problem, Group, Sequence[int], Units], None]] = {
    "own": _fill_own,
    "kit": _fill_kit,
    "plain": _fill_plain,
    "mixed": _fill_mixed,
}
