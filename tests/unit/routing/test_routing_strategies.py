from datetime import timedelta
from types import SimpleNamespace

import pytest
from routing_helpers import CHICAGO, DALLAS, LA, NEWARK, NYC, TODAY, codes, kit, line, loc, order, shipped

from conveyor.routing import optimiser
from conveyor.routing.cost import CostModel, plan_cost
from conveyor.routing.strategies import STRATEGIES, fewest_splits, lowest_cost, nearest, optimal, route

COST_BASED = [lowest_cost, optimal]


def test_all_strategies_are_registered_and_unknown_names_fall_back_to_priority():
    assert set(STRATEGIES) == {"priority", "nearest", "fewest_splits", "lowest_cost", "optimal"}
    plan = route(order(line("l1", "A", 1)), [loc("NY", NYC, {"A": 1})], "no-such-strategy")
    assert plan.strategy == "priority"


def test_priority_baseline_is_unchanged():
    cands = [loc("LA", LA, {"A": 5}, priority=1), loc("NY", NYC, {"A": 5}, priority=2)]
    plan = route(order(line("l1", "A", 2)), cands, "priority")
    assert codes(plan) == {"LA"} and plan.summary == "whole order from LA"


def test_nearest_picks_the_closest_location_that_ships_everything():
    cands = [loc("LA", LA, {"A": 5, "B": 5}), loc("NY", NYC, {"A": 5}), loc("CHI", CHICAGO, {"A": 5, "B": 5})]
    plan = nearest(order(line("l1", "A", 2), line("l2", "B", 1)), cands)
    assert codes(plan) == {"CHI"}
    assert not plan.short


def test_nearest_splits_nearest_first_when_no_one_location_can():
    cands = [loc("LA", LA, {"A": 3}), loc("NY", NYC, {"A": 2}), loc("CHI", CHICAGO, {"A": 1})]
    plan = nearest(order(line("l1", "A", 4)), cands)
    assert shipped(plan, "NY") == {"l1": 2} and shipped(plan, "CHI") == {"l1": 1}
    assert shipped(plan, "LA") == {"l1": 1}


def test_fewest_splits_prefers_one_far_location_over_two_near_ones():
    cands = [loc("NY", NYC, {"A": 1}), loc("NWK", NEWARK, {"B": 1}), loc("LA", LA, {"A": 1, "B": 1})]
    plan = fewest_splits(order(line("l1", "A", 1), line("l2", "B", 1)), cands)
    assert codes(plan) == {"LA"}


def test_fewest_splits_breaks_ties_by_distance():
    cands = [loc("LA", LA, {"A": 1, "B": 1}), loc("CHI", CHICAGO, {"A": 1, "B": 1})]
    plan = fewest_splits(order(line("l1", "A", 1), line("l2", "B", 1)), cands)
    assert codes(plan) == {"CHI"}


@pytest.mark.parametrize("strategy", COST_BASED)
def test_cost_based_ship_light_orders_from_the_near_location(strategy):
    cands = [loc("LA", LA, {"A": 5}), loc("NY", NYC, {"A": 5})]
    plan = strategy(order(line("l1", "A", 2)), cands)
    assert codes(plan) == {"NY"}
    assert plan.cost_minor == 600 + 150 + 90 * 2  # base + handling + 90/kg x 2 kg


@pytest.mark.parametrize("strategy", COST_BASED)
def test_cost_based_split_heavy_lines_when_that_is_cheaper(strategy):
    # 40 kg of A from Newark beats 40 kg from LA, even though LA would avoid the split.
    cands = [loc("LA", LA, {"A": 1, "B": 1}), loc("NWK", NEWARK, {"A": 1}), loc("NY", NYC, {"B": 1})]
    plan = strategy(order(line("l1", "A", 1, weight=40_000), line("l2", "B", 1, weight=100)), cands)
    assert codes(plan) == {"NWK", "NY"}


@pytest.mark.parametrize("strategy", COST_BASED)
def test_cost_based_keep_light_orders_together(strategy):
    cands = [loc("CHI", CHICAGO, {"A": 1, "B": 1}), loc("NWK", NEWARK, {"A": 1}), loc("NY", NYC, {"B": 1})]
    plan = strategy(order(line("l1", "A", 1, weight=200), line("l2", "B", 1, weight=200)), cands)
    assert codes(plan) == {"CHI"}


@pytest.mark.parametrize("strategy", COST_BASED)
def test_cost_based_honour_the_delivery_promise(strategy):
    # Tomorrow: only a nearby location (1 day transit) makes it, even if it costs more to ship.
    cands = [loc("NWK", NEWARK, {"A": 1}, package_base_minor=2000), loc("DAL", DALLAS, {"A": 1})]
    rush = order(line("l1", "A", 1), promised_by=TODAY + timedelta(days=1))
    relaxed = order(line("l1", "A", 1), promised_by=TODAY + timedelta(days=9))
    assert codes(strategy(rush, cands)) == {"NWK"}
    assert codes(strategy(relaxed, cands)) == {"DAL"}
    late = strategy(rush, [cands[1]])
    assert codes(late) == {"DAL"} and "misses promised date" in late.notes[0].reason


@pytest.mark.parametrize("strategy", [nearest, fewest_splits, lowest_cost, optimal])
def test_locations_without_capacity_or_inactive_are_dropped_with_a_reason(strategy):
    cands = [
        loc("NY", NYC, {"A": 5}, capacity_left=0),
        loc("NWK", NEWARK, {"A": 5}, active=False),
        loc("CHI", CHICAGO, {"A": 5}),
    ]
    plan = strategy(order(line("l1", "A", 1)), cands)
    assert codes(plan) == {"CHI"}
    reasons = {n.code: n.reason for n in plan.notes}
    assert reasons["NY"] == "no capacity left today" and reasons["NWK"] == "inactive"
    assert len(plan.notes) == 3 and plan.summary


@pytest.mark.parametrize("strategy", [nearest, fewest_splits, lowest_cost, optimal])
def test_unfillable_units_are_short_with_a_reason(strategy):
    cands = [loc("NY", NYC, {"A": 1}), loc("CHI", CHICAGO, {"A": 1})]
    plan = strategy(order(line("l1", "A", 3), line("l2", "B", 1)), cands)
    assert shipped(plan) == {"l1": 2}
    assert plan.short == {"l1": 1, "l2": 1}
    assert "only 2 of 3" in plan.short_reasons["l1"]
    assert "no eligible location has B" in plan.short_reasons["l2"]


@pytest.mark.parametrize("strategy", [nearest, fewest_splits, lowest_cost, optimal])
def test_lines_sharing_a_sku_never_overdraw_stock(strategy):
    cands = [loc("NY", NYC, {"A": 3})]
    plan = strategy(order(line("l1", "A", 2), line("l2", "A", 2)), cands)
    assert sum(a.quantity for a in plan.assignments) == 3
    assert sum(plan.short.values()) == 1


def test_optimal_is_never_worse_than_lowest_cost():
    cands = [
        loc("LA", LA, {"A": 2, "B": 1}),
        loc("NWK", NEWARK, {"A": 1, "C": 2}),
        loc("NY", NYC, {"B": 1, "C": 1}),
        loc("CHI", CHICAGO, {"A": 2, "B": 2, "C": 2}),
    ]
    req = order(line("l1", "A", 2, weight=5000), line("l2", "B", 1), line("l3", "C", 2, weight=300))
    best, quick = optimal(req, cands), lowest_cost(req, cands)
    assert best.cost_minor <= quick.cost_minor
    assert plan_cost(best, req, cands) == pytest.approx(best.cost_minor, abs=1)
    assert "proven optimal" in best.summary


def test_optimal_falls_back_to_lowest_cost_when_the_solver_gives_up(monkeypatch):
    def timed_out(*args, **kwargs):
        return SimpleNamespace(status=1, x=None, message="Time limit reached")

    monkeypatch.setattr(optimiser, "milp", timed_out)
    cands = [loc("NY", NYC, {"A": 5})]
    plan = optimal(order(line("l1", "A", 1)), cands)
    assert codes(plan) == {"NY"} and "used lowest_cost" in plan.summary


def test_cost_model_settings_change_the_choice():
    # With a huge split penalty the heavy order stays together.
    cands = [loc("LA", LA, {"A": 1, "B": 1}), loc("NWK", NEWARK, {"A": 1}), loc("NY", NYC, {"B": 1})]
    req = order(line("l1", "A", 1, weight=40_000), line("l2", "B", 1, weight=100))
    assert codes(lowest_cost(req, cands, costs=CostModel(split_penalty_minor=100_000))) == {"LA"}


@pytest.mark.parametrize("strategy", [nearest, fewest_splits, lowest_cost, optimal])
def test_kits_ship_whole_from_one_location_unless_split_is_allowed(strategy):
    cands = [loc("NY", NYC, {"X": 2}), loc("NWK", NEWARK, {"Y": 2})]
    whole = strategy(order(kit("k1", 1, {"X": 1, "Y": 2})), cands)
    assert whole.short == {"k1": 1} and not whole.assignments
    assert "whole kit" in whole.short_reasons["k1"]
    split = strategy(order(kit("k1", 1, {"X": 1, "Y": 2}, allow_split=True)), cands)
    assert not split.short
    assert {(a.location_id, a.sku_id, a.quantity) for a in split.assignments} == {
        ("loc_NY", "X", 1),
        ("loc_NWK", "Y", 2),
    }


@pytest.mark.parametrize("strategy", [nearest, fewest_splits, lowest_cost, optimal])
def test_split_kits_only_ship_complete_kits(strategy):
    # Enough X for 3 kits but Y for only 1: ship 1 kit's worth of each, 2 kits short.
    cands = [loc("NY", NYC, {"X": 3}), loc("NWK", NEWARK, {"Y": 2})]
    plan = strategy(order(kit("k1", 3, {"X": 1, "Y": 2}, allow_split=True)), cands)
    got = {a.sku_id: a.quantity for a in plan.assignments}
    assert got == {"X": 1, "Y": 2} and plan.short == {"k1": 2}
