"""Against plain enumeration, on random small instances: `lowest_cost` ships as many line units as
possible, `optimal` finds the optimum itself, and `lowest_cost` never beats `optimal`. Lines share
SKUs, kits may or may not split, stock is scarce and some locations miss the promise."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from routing_helpers import CHICAGO, LA, NEWARK, NYC, TODAY, order
from routing_reference import brute_force, line_units

from conveyor.routing.cost import plan_cost
from conveyor.routing.model import Candidate, Component, RequestLine
from conveyor.routing.strategies import lowest_cost, optimal

SKUS = ["A", "B", "C"]
PLACES = [NYC, NEWARK, CHICAGO, LA]


@st.composite
def small_lines(draw):
    lines = []
    for n in range(draw(st.integers(1, 3))):
        weight = draw(st.sampled_from([0, 300, 1000, 4000, 15000]))
        if draw(st.booleans()):  # plain line
            sku = draw(st.sampled_from(SKUS))
            lines.append(RequestLine(f"l{n}", sku, draw(st.integers(1, 3)), (Component(sku),), weight))
            continue
        skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=2, unique=True))
        parts = tuple(Component(s, draw(st.integers(1, 2))) for s in skus)
        lines.append(
            RequestLine(f"k{n}", "KIT", draw(st.integers(1, 2)), parts, weight, allow_split=draw(st.booleans()))
        )
    return tuple(lines)


@st.composite
def small_candidates(draw):
    out = []
    for n in range(draw(st.integers(1, 3))):
        lat, lon = draw(st.sampled_from(PLACES))
        out.append(
            Candidate(
                f"loc_{n}", f"L{n}", n,
                draw(st.dictionaries(st.sampled_from(SKUS), st.integers(0, 3))),
                lat, lon,
                package_base_minor=draw(st.sampled_from([300, 600, 900])),
                rate_per_kg_minor=draw(st.sampled_from([(90, 140, 200, 270, 350), (20, 20, 20, 20, 20)])),
                handling_days=draw(st.sampled_from([0, 0, 3])),
            )
        )
    return out


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_lines(), small_candidates(), st.none() | st.integers(1, 4))
def test_cost_strategies_match_plain_enumeration(lines, cands, days):
    request = order(*lines, promised_by=None if days is None else TODAY + timedelta(days=days))
    best = brute_force(request, cands)
    quick, exact = lowest_cost(request, cands), optimal(request, cands)
    assert line_units(quick, request) == best.units, "lowest_cost left a unit short that could ship"
    assert line_units(exact, request) == best.units
    assert exact.cost_minor == pytest.approx(best.cost, abs=1)
    assert quick.cost_minor >= exact.cost_minor - 1, "lowest_cost beat optimal"
    for plan in (quick, exact):
        assert plan.cost_minor == pytest.approx(plan_cost(plan, request, cands), abs=1)
        assert sum(plan.short.values()) == sum(x.quantity for x in lines) - best.units
