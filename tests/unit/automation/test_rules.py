"""Automation rules: documents in, hits out, mistakes reported with their path."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from conveyor.automation.actions import ROUTE_STRATEGIES
from conveyor.automation.rules import dry_run, evaluate, parse_rule, parse_rules
from conveyor.routing.strategies import STRATEGIES
from conveyor.shared.errors import ValidationFailed

from .conftest import facts

RULE_SET = json.loads("""[
  {"name": "Hold big first orders", "triggers": ["placed"],
   "condition": {"all": [{"field": "is_first_order", "op": "eq", "value": true},
                         {"field": "total", "op": "gte", "value": {"amount": "500.00", "currency": "EUR"}}]},
   "actions": [{"type": "hold", "reason": "first order over 500 EUR"}, {"type": "tag", "tag": "big-first"}]},
  {"name": "VIP express", "triggers": ["placed", "paid"],
   "condition": {"field": "customer_tags", "op": "contains", "value": "vip"},
   "actions": [{"type": "set_priority", "priority": "high"},
               {"type": "carrier_service", "carrier": "dhl", "service": "express"}], "stop": true},
  {"name": "Marketplace night orders", "triggers": ["placed"],
   "condition": {"all": [{"field": "channel", "op": "in", "value": ["amazon", "ebay"]},
                         {"field": "local_time", "op": "between", "value": ["22:00", "06:00"]}]},
   "actions": [{"type": "require_review", "reason": "placed at night"}]},
  {"name": "Risky", "triggers": ["placed"],
   "condition": {"all": [{"any": [{"field": "billing_shipping_mismatch", "op": "eq", "value": true},
                                  {"field": "risk_score", "op": "gte", "value": 70}]},
                         {"not": {"field": "customer_tags", "op": "contains", "value": "trusted"}}]},
   "actions": [{"type": "hold", "reason": "risk"},
               {"type": "notify_staff", "channel": "email", "to": "fraud@shop.example", "message": "check it"}]},
  {"name": "Bulk mugs from the Berlin store", "triggers": ["allocated"],
   "condition": {"field": "quantity", "sku": "MUG", "op": "gte", "value": 10},
   "actions": [{"type": "route_location", "location": "loc_berlin"}, {"type": "add_note", "note": "bulk"}]},
  {"name": "Switched off", "enabled": false, "triggers": ["placed"],
   "condition": {"field": "channel", "op": "eq", "value": "web"}, "actions": [{"type": "tag", "tag": "never"}]}
]""")
RULES = parse_rules(RULE_SET)


def _hit_names(trigger: str, **changes) -> list[str]:
    return [hit.rule for hit in evaluate(RULES, trigger, facts(**changes))]


def test_an_ordinary_order_hits_nothing():
    assert _hit_names("placed") == []


def test_a_big_first_order_is_held_and_tagged_with_the_rules_name_on_the_hit():
    [hit] = evaluate(RULES, "placed", facts(is_first_order=True, total_minor=50_000))
    assert hit.rule == "Hold big first orders"
    assert hit.as_json() == {"rule": "Hold big first orders", "actions": [
        {"type": "hold", "reason": "first order over 500 EUR"}, {"type": "tag", "tag": "big-first"}]}
    assert _hit_names("placed", is_first_order=True, total_minor=49_999) == []


def test_a_threshold_in_another_currency_does_not_apply():
    assert _hit_names("placed", is_first_order=True, total_minor=90_000, currency="USD") == []


def test_rules_only_run_at_their_triggers():
    assert _hit_names("paid", is_first_order=True, total_minor=60_000) == []
    assert _hit_names("paid", customer_tags=frozenset({"vip"})) == ["VIP express"]


def test_stop_skips_the_rules_after_a_hit():
    both = {"customer_tags": frozenset({"vip"}), "billing_country": "FR"}
    assert _hit_names("placed", **both) == ["VIP express"]
    assert _hit_names("placed", billing_country="FR") == ["Risky"]


def test_night_window_crosses_midnight_in_the_merchants_zone():
    # 21:30 UTC on a March Tuesday is 22:30 in Berlin: inside 22:00-06:00.
    assert _hit_names("placed", channel="amazon", placed_at=datetime(2026, 3, 3, 21, 30, tzinfo=UTC)) == [
        "Marketplace night orders"]
    assert _hit_names("placed", channel="AMAZON", placed_at=datetime(2026, 3, 4, 4, 59, tzinfo=UTC)) == [
        "Marketplace night orders"]  # 05:59 local; channel compared without case
    assert _hit_names("placed", channel="amazon", placed_at=datetime(2026, 3, 4, 5, 0, tzinfo=UTC)) == []


def test_not_and_any_combine():
    assert _hit_names("placed", risk_score=70) == ["Risky"]
    assert _hit_names("placed", risk_score=70, customer_tags=frozenset({"Trusted"})) == []


def test_quantity_of_one_sku():
    assert _hit_names("allocated", quantities={"MUG": 10}) == ["Bulk mugs from the Berlin store"]
    assert _hit_names("allocated", quantities={"MUG": 9, "TEE-M": 30}) == []


def test_disabled_rules_never_hit():
    assert "Switched off" not in _hit_names("placed", channel="web")


@pytest.mark.parametrize(("leaf", "changes", "expected"), [
    ({"field": "skus", "op": "contains_any", "value": ["MUG", "HAT"]}, {}, True),
    ({"field": "skus", "op": "contains_all", "value": ["MUG", "HAT"]}, {}, False),
    ({"field": "skus", "op": "contains_none", "value": ["HAT"]}, {}, True),
    ({"field": "order_tags", "op": "empty", "value": True}, {}, True),
    ({"field": "country", "op": "in", "value": ["de", "at"]}, {}, True),
    ({"field": "postal_code", "op": "starts_with", "value": "10"}, {}, True),
    ({"field": "weekday", "op": "in", "value": ["sat", "sun"]}, {}, False),
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin.
    ({"field": "weekday", "op": "eq", "value": "mon"}, {"placed_at": datetime(2026, 3, 1, 23, 30, tzinfo=UTC)}, True),
    ({"field": "line_count", "op": "between", "value": [2, 5]}, {}, True),
    ({"field": "total_quantity", "op": "gt", "value": 3}, {}, False),
    ({"field": "email_domain", "op": "eq", "value": "EXAMPLE.de"}, {}, True),
    ({"field": "local_time", "op": "before", "value": "14:00"}, {}, False),
    ({"field": "local_time", "op": "after", "value": "14:00"}, {}, True),
    ({"field": "total", "op": "between", "value": [{"amount": "100", "currency": "EUR"},
                                                   {"amount": "120.00", "currency": "EUR"}]}, {}, True),
])
def test_each_operator(leaf, changes, expected):
    rule = parse_rule(_rule(condition=leaf))
    assert bool(evaluate([rule], "placed", facts(**changes))) is expected


def _issues(doc) -> list[dict]:
    with pytest.raises(ValidationFailed) as failed:
        parse_rule(doc)
    return failed.value.extra["issues"]


def _rule(**changes) -> dict:
    return {"name": "r", "triggers": ["placed"], "condition": {"field": "channel", "op": "eq", "value": "web"},
            "actions": [{"type": "tag", "tag": "x"}]} | changes


def test_validation_points_at_every_mistake():
    issues = _issues(_rule(
        triggers=["placed", "teleported"],
        condition={"all": [{"field": "channel", "op": "eq", "value": "web"},
                           {"field": "colour", "op": "eq", "value": "red"},
                           {"not": {"field": "risk_score", "op": "gtee", "value": 5}}]},
        actions=[{"type": "tag", "tag": "ok"}, {"type": "explode"}],
    ))
    paths = [issue["path"] for issue in issues]
    assert paths == ["triggers[1]", "condition.all[1].field", "condition.all[2].not.op", "actions[1].type"]
    assert "unknown field 'colour'" in issues[1]["message"] and "gtee" in issues[2]["message"]


@pytest.mark.parametrize(("changes", "path", "words"), [
    ({"condition": {"field": "quantity", "op": "gte", "value": 2}}, "condition.sku", "SKU"),
    ({"condition": {"field": "local_time", "op": "after", "value": "25:00"}}, "condition.value", "HH:MM"),
    ({"condition": {"field": "total", "op": "gt", "value": 500}}, "condition.value", "amount"),
    ({"condition": {"field": "total", "op": "gt", "value": {"amount": "5.001", "currency": "EUR"}}},
     "condition.value", "decimal places"),
    ({"condition": {"field": "risk_score", "op": "between", "value": [1]}}, "condition.value", "two bounds"),
    ({"condition": {"any": []}}, "condition.any", "non-empty"),
    ({"condition": {"all": [], "any": []}}, "condition", "only key"),
    ({"condition": {"field": "channel", "op": "eq", "value": "web", "colour": 1}}, "condition.colour", "unexpected"),
    ({"actions": [{"type": "set_priority", "priority": "asap"}]}, "actions[0].priority", "low, normal"),
    ({"actions": [{"type": "route_strategy", "strategy": "cheapest"}]}, "actions[0].strategy", "lowest_cost"),
    ({"actions": [{"type": "hold"}]}, "actions[0].reason", "needs reason"),
    ({"actions": []}, "actions", "non-empty"),
    ({"name": ""}, "name", "name"),
    ({"stop": "yes"}, "stop", "true or false"),
    ({"colour": "red"}, "colour", "unexpected"),
])
def test_validation_messages(changes, path, words):
    [issue] = _issues(_rule(**changes))
    assert issue["path"] == path and words in issue["message"]


def test_rule_names_are_unique_in_a_set():
    with pytest.raises(ValidationFailed) as failed:
        parse_rules([_rule(name="Same"), _rule(name="same")])
    assert failed.value.extra["issues"] == [{"path": "[1].name", "message": "another rule is already called 'same'"}]


def test_an_unknown_trigger_at_evaluation_is_refused():
    with pytest.raises(ValidationFailed):
        evaluate(RULES, "teleported", facts())


def test_dry_run_lists_the_past_orders_a_rule_would_have_hit():
    rule = parse_rule(RULE_SET[0] | {"enabled": False})
    past = [("ord_1", facts()), ("ord_2", facts(is_first_order=True, total_minor=80_000)),
            ("ord_3", facts(is_first_order=True, total_minor=10_000)), ("ord_4", facts(is_first_order=True,
                                                                                       total_minor=50_000))]
    report = dry_run(rule, past)
    assert (report.rule, report.evaluated) == ("Hold big first orders", 4)
    assert [hit.order_id for hit in report.hits] == ["ord_2", "ord_4"]
    assert report.hits[0].actions[0].params["reason"] == "first order over 500 EUR"


def test_route_strategies_match_the_routing_package():
    assert set(ROUTE_STRATEGIES) == set(STRATEGIES)
