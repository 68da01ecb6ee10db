import pytest
from routing_helpers import CHICAGO, LA, NEWARK, NYC, codes, line, loc, order, shipped

from conveyor.routing.rules import RoutingConfig, plan_order
from conveyor.shared.errors import ValidationFailed


def config(rule_sets, strategy="lowest_cost", fallback="backorder", channel="web"):
    return RoutingConfig.from_dict(
        {"channels": {channel: {"strategy": strategy, "fallback": fallback, "rule_sets": rule_sets}}}
    )


def web(*lines):
    return order(*lines, channel="web")


STORE_NY = loc("STORE", NYC, {"A": 5}, type="store")
WH_LA = loc("WH", LA, {"A": 5}, groups=frozenset({"west"}))


def test_without_rule_sets_the_channel_strategy_routes_the_order():
    plan = plan_order(web(line("l1", "A", 1)), [STORE_NY, WH_LA], config([]))
    assert codes(plan) == {"STORE"} and plan.rule_set == "default" and plan.fallback is None


def test_unknown_channel_uses_the_default_routing():
    cfg = RoutingConfig.from_dict({"default": {"strategy": "nearest"}})
    plan = plan_order(order(line("l1", "A", 1), channel="pos"), [STORE_NY, WH_LA], cfg)
    assert plan.strategy == "nearest" and codes(plan) == {"STORE"}


def test_excluded_location_type_is_dropped_with_the_rule_set_named():
    plan = plan_order(
        web(line("l1", "A", 1)),
        [STORE_NY, WH_LA],
        config([{"name": "no stores", "exclude_location_types": ["store"]}]),
    )
    assert codes(plan) == {"WH"}
    store_note = next(n for n in plan.notes if n.code == "STORE")
    assert not store_note.kept and "no stores" in store_note.reason and "store" in store_note.reason


def test_first_rule_set_that_fills_the_order_wins():
    rules = [{"name": "warehouses", "exclude_location_types": ["store"]}, {"name": "anywhere"}]
    wins_first = plan_order(web(line("l1", "A", 5)), [STORE_NY, WH_LA], config(rules))
    assert wins_first.rule_set == "warehouses"
    second = plan_order(web(line("l1", "A", 6)), [STORE_NY, WH_LA], config(rules))
    assert second.rule_set == "anywhere" and not second.short
    assert second.trace == ["warehouses: 1 unit(s) short", "anywhere: fills the order"]


def test_location_ids_groups_and_capabilities_filter_candidates():
    gift = loc("GIFT", CHICAGO, {"A": 5}, capabilities=frozenset({"gift_wrap"}))
    cands = [STORE_NY, WH_LA, gift]
    assert codes(plan_order(web(line("l1", "A", 1)), cands, config([{"location_ids": ["loc_WH"]}]))) == {"WH"}
    assert codes(plan_order(web(line("l1", "A", 1)), cands, config([{"location_groups": ["west"]}]))) == {
        "WH"
    }
    by_cap = plan_order(web(line("l1", "A", 1)), cands, config([{"required_capabilities": ["gift_wrap"]}]))
    assert codes(by_cap) == {"GIFT"}


def test_safety_stock_is_held_back_from_every_location():
    rules = [{"name": "buffered", "safety_stock": 2}]
    plan = plan_order(web(line("l1", "A", 8)), [STORE_NY, WH_LA], config(rules))
    assert shipped(plan) == {"l1": 6} and plan.short == {"l1": 2}
    assert plan.fallback == "backorder" and plan.short_reasons["l1"].endswith("backordered")


def test_no_split_rule_set_needs_one_location_for_everything():
    cands = [loc("NY", NYC, {"A": 1}), loc("NWK", NEWARK, {"B": 1}), loc("LA", LA, {"A": 1, "B": 1})]
    rules = [{"name": "one box", "allow_split": False}]
    plan = plan_order(web(line("l1", "A", 1), line("l2", "B", 1)), cands, config(rules))
    assert codes(plan) == {"LA"}
    rules = [{"name": "one box", "allow_split": False, "exclude_location_types": ["warehouse"]}]
    plan = plan_order(web(line("l1", "A", 1)), cands, config(rules, fallback="unfillable"))
    assert plan.fallback == "unfillable" and not plan.assignments


def test_minimum_split_shipment_value_rejects_small_split_parcels():
    cands = [loc("NY", NYC, {"A": 1}), loc("NWK", NEWARK, {"B": 1})]
    req = web(line("l1", "A", 1, price=5000), line("l2", "B", 1, price=500))
    rules = [{"name": "big parcels only", "min_split_shipment_minor": 1000}]
    plan = plan_order(req, cands, config(rules, fallback="unfillable"))
    assert plan.fallback == "unfillable" and not plan.assignments
    assert plan.short == {"l1": 1, "l2": 1}
    assert "worth less than the minimum" in plan.trace[0]
    ok = plan_order(req, cands, config([{"min_split_shipment_minor": 500}]))
    assert codes(ok) == {"NY", "NWK"} and ok.fallback is None


def test_backorder_ships_the_best_partial_plan():
    plan = plan_order(
        web(line("l1", "A", 3), line("l2", "B", 1)),
        [loc("NY", NYC, {"A": 3})],
        config([{"name": "all"}], fallback="backorder"),
    )
    assert plan.fallback == "backorder" and shipped(plan) == {"l1": 3} and plan.short == {"l2": 1}
    assert plan.summary.startswith("backorder:")


def test_unfillable_ships_nothing_and_says_why_for_every_line():
    plan = plan_order(
        web(line("l1", "A", 3), line("l2", "B", 1)),
        [loc("NY", NYC, {"A": 3})],
        config([{"name": "all"}], fallback="unfillable"),
    )
    assert not plan.assignments and plan.short == {"l1": 3, "l2": 1}
    assert all("unfillable" in r for r in plan.short_reasons.values())
    assert plan.explanation()["fallback"] == "unfillable"


def test_rule_set_can_name_its_own_strategy():
    rules = [{"name": "closest", "strategy": "nearest"}]
    plan = plan_order(web(line("l1", "A", 1)), [STORE_NY, WH_LA], config(rules, strategy="priority"))
    assert plan.strategy == "nearest"


def test_config_round_trips_through_json_dicts():
    cfg = RoutingConfig.from_dict(
        {
            "default": {"strategy": "priority"},
            "channels": {
                "web": {
                    "strategy": "optimal",
                    "fallback": "unfillable",
                    "rule_sets": [
                        {
                            "name": "wh",
                            "exclude_location_types": ["store"],
                            "safety_stock": 1,
                            "allow_split": False,
                        }
                    ],
                }
            },
            "costs": {"split_penalty_minor": 500, "band_limits_km": [200, 600, 1200, 2500]},
        }
    )
    assert RoutingConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.costs.band_limits_km == (200, 600, 1200, 2500)
    assert cfg.channels["web"].rule_sets[0].exclude_location_types == ("store",)


@pytest.mark.parametrize(
    "bad",
    [
        {"channels": {"web": {"strategy": "cheapest"}}},
        {"channels": {"web": {"fallback": "cancel"}}},
        {"channels": {"web": {"rule_sets": [{"nmae": "typo"}]}}},
        {"channels": {"web": {"rule_sets": [{"safety_stock": -1}]}}},
        {"costs": {"split_penalty": 3}},
        {"surprise": 1},
    ],
)
def test_invalid_config_is_rejected_with_a_message(bad):
    with pytest.raises(ValidationFailed):
        RoutingConfig.from_dict(bad)
