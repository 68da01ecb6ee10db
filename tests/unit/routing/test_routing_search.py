"""The search shortcuts must not change answers: the solver's presolve (bounds from the
heuristic's plan) keeps the optimum, and lowest_cost finds plans that need three locations."""

import random
from datetime import timedelta

import pytest
from routing_helpers import CHICAGO, DALLAS, LA, NEWARK, NYC, TODAY, codes, kit, line, loc, order

from conveyor.routing import heuristic, optimiser
from conveyor.routing.cost import cost_problem
from conveyor.routing.strategies import lowest_cost, optimal

PLACES = [NYC, NEWARK, CHICAGO, DALLAS, LA, (39.95, -75.17), (42.36, -71.06), (33.75, -84.39)]


def random_case(rng: random.Random):
    skus = ["A", "B", "C", "D", "E"]
    cands = [
        loc(
            f"L{n}",
            rng.choice(PLACES),
            {s: rng.randrange(0, 4) for s in skus if rng.random() < 0.6},
            package_base_minor=rng.randrange(400, 900),
        )
        for n in range(rng.randint(3, 12))
    ]
    lines = []
    for n in range(rng.randint(1, 4)):
        if rng.random() < 0.2:
            lines.append(kit(f"k{n}", rng.randint(1, 2), {"A": 1, rng.choice(skus[1:]): 1}, rng.random() < 0.5))
        else:
            lines.append(line(f"l{n}", rng.choice(skus), rng.randint(1, 3), weight=rng.randrange(100, 20_000)))
    promised = TODAY + timedelta(days=rng.randint(1, 4)) if rng.random() < 0.3 else None
    return order(*lines, promised_by=promised), cands


@pytest.mark.parametrize("seed", range(40))
def test_presolved_optimum_is_the_plain_solver_optimum(seed):
    request, cands = random_case(random.Random(seed))
    problem = cost_problem(request, cands)
    plain = optimiser.solve(problem)
    bounded = optimiser.solve(problem, upper=heuristic.search(problem).cost)
    assert plain is not None and bounded is not None
    assert bounded.cost == pytest.approx(plain.cost, abs=1e-6)
    assert optimal(request, cands).cost_minor == round(plain.cost - problem.short_penalty * sum(plain.short))


@pytest.mark.parametrize("seed", range(40))
def test_lowest_cost_is_never_better_than_optimal(seed):
    request, cands = random_case(random.Random(seed))
    quick, best = lowest_cost(request, cands), optimal(request, cands)
    shipped_quick = sum(a.quantity for a in quick.assignments)
    shipped_best = sum(a.quantity for a in best.assignments)
    # Shipping every unit it can comes first, then cost. (The heuristic may ship fewer when
    # kits and lines compete for the same SKU; the solver never ships fewer.)
    assert shipped_quick <= shipped_best
    if shipped_quick == shipped_best:
        assert quick.cost_minor >= best.cost_minor


def test_lowest_cost_finds_three_nearby_locations_over_one_that_misses_the_promise():
    # Only LA holds everything, but it cannot deliver by tomorrow; three nearby locations can.
    cands = [
        loc("LA", LA, {"A": 1, "B": 1, "C": 1}),
        loc("NY", NYC, {"A": 1}),
        loc("NWK", NEWARK, {"B": 1}),
        loc("PHL", (39.95, -75.17), {"C": 1}),
    ] + [loc(f"X{n}", DALLAS, {"A": 1}) for n in range(6)]
    rush = order(line("l1", "A", 1), line("l2", "B", 1), line("l3", "C", 1), promised_by=TODAY + timedelta(days=1))
    assert codes(lowest_cost(rush, cands)) == {"NY", "NWK", "PHL"} == codes(optimal(rush, cands))


def forced_case(rng: random.Random):
    """Each SKU held by exactly one location (some with too little of it); plain lines only."""
    skus = ["A", "B", "C", "D", "E"]
    cands = [loc(f"L{n}", rng.choice(PLACES), {}, package_base_minor=rng.randrange(400, 900))
             for n in range(rng.randint(2, 6))]
    for sku in skus:
        rng.choice(cands).available[sku] = rng.randrange(1, 5)
    lines = [line(f"l{n}", rng.choice(skus), rng.randint(1, 3), weight=rng.randrange(100, 20_000))
             for n in range(rng.randint(1, 5))]
    return order(*lines), cands


@pytest.mark.parametrize("seed", range(40))
def test_a_forced_plan_is_the_optimum_and_skips_the_search(seed, monkeypatch):
    """When every SKU has one holder the plan is forced: lowest_cost returns the solver's optimum
    without building a Pricer (the set search's first step)."""
    request, cands = forced_case(random.Random(seed))
    quick, best = _lowest_cost_without_the_set_search(request, cands, monkeypatch)
    assert codes(quick) == codes(best)


def _lowest_cost_without_the_set_search(request, cands, monkeypatch):
    """(lowest_cost's plan, the solver's) for a case a shortcut must answer: the numpy set search
    (its Pricer) may not run, and the plan must be the optimum."""
    best = optimal(request, cands)

    def no_search(*args, **kwargs):
        raise AssertionError("the set search ran where a shortcut should answer")

    monkeypatch.setattr(heuristic, "Pricer", no_search)
    quick = lowest_cost(request, cands)
    assert sum(a.quantity for a in quick.assignments) == sum(a.quantity for a in best.assignments)
    assert quick.cost_minor == best.cost_minor
    return quick, best


def test_a_second_holder_of_any_sku_is_not_forced():
    request = order(line("l1", "A", 1), line("l2", "B", 1))
    cands = [loc("L1", NYC, {"A": 2}), loc("L2", LA, {"B": 2}), loc("L3", CHICAGO, {"B": 1})]
    problem = cost_problem(request, cands)
    assert heuristic._forced_sites(problem, [0, 1, 2]) is None
    assert heuristic._forced_sites(cost_problem(request, cands[:2]), [0, 1]) == [0, 1]
    assert codes(lowest_cost(request, cands)) in ({"L1", "L2"}, {"L1", "L3"})


def few_locations_case(rng: random.Random, locations: int):
    """Plain lines, SKUs held by several of a few locations, stock sometimes short, promises."""
    skus = ["A", "B", "C", "D"]
    cands = [loc(f"L{n}", rng.choice(PLACES), {s: rng.randrange(0, 4) for s in skus if rng.random() < 0.7},
                 package_base_minor=rng.randrange(200, 900), handling_days=rng.choice([0, 0, 3]))
             for n in range(locations)]
    lines = [line(f"l{n}", rng.choice(skus), rng.randint(1, 4), weight=rng.randrange(100, 30_000))
             for n in range(rng.randint(1, 5))]
    promised = TODAY + timedelta(days=rng.randint(1, 4)) if rng.random() < 0.3 else None
    return order(*lines, promised_by=promised), cands


@pytest.mark.parametrize("seed", range(60))
def test_few_locations_try_every_set_and_find_the_optimum(seed, monkeypatch):
    """Up to FEW locations and no kits, lowest_cost fills every set worth trying: the solver's
    optimum, without the numpy set search."""
    rng = random.Random(seed)
    request, cands = few_locations_case(rng, rng.randint(2, heuristic.FEW))
    _lowest_cost_without_the_set_search(request, cands, monkeypatch)


def test_more_locations_than_few_still_search(monkeypatch):
    request, cands = few_locations_case(random.Random(1), heuristic.FEW + 2)
    for c in cands:
        c.available.update(A=5, B=5, C=5, D=5)
    searched = []
    real = heuristic.Pricer
    monkeypatch.setattr(heuristic, "Pricer", lambda *a: searched.append(1) or real(*a))
    lowest_cost(request, cands)
    assert searched
