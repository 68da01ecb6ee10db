"""Property tests: all/any/not behave as boolean algebra over any order and any leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.automation.conditions import holds, parse_condition
from conveyor.automation.facts import OrderFacts

LEAVES = [
    {"field": "channel", "op": "eq", "value": "web"},
    {"field": "country", "op": "in", "value": ["DE", "AT"]},
    {"field": "total", "op": "gte", "value": {"amount": "100.00", "currency": "EUR"}},
    {"field": "risk_score", "op": "between", "value": [20, 60]},
    {"field": "skus", "op": "contains", "value": "MUG"},
    {"field": "quantity", "sku": "TEE", "op": "gt", "value": 2},
    {"field": "customer_tags", "op": "contains_any", "value": ["vip", "wholesale"]},
    {"field": "is_first_order", "op": "eq", "value": True},
    {"field": "billing_shipping_mismatch", "op": "eq", "value": True},
    {"field": "local_time", "op": "between", "value": ["22:00", "06:00"]},
    {"field": "weekday", "op": "in", "value": ["sat", "sun"]},
]

orders = st.builds(
    OrderFacts,
    channel=st.sampled_from(["web", "amazon", "pos"]),
    total_minor=st.integers(0, 50_000),
    currency=st.sampled_from(["EUR", "USD"]),
    country=st.sampled_from(["DE", "AT", "FR", "US"]),
    placed_at=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)),
    quantities=st.dictionaries(st.sampled_from(["MUG", "TEE", "HAT"]), st.integers(1, 5), max_size=3),
    customer_tags=st.frozensets(st.sampled_from(["vip", "wholesale", "new"])),
    is_first_order=st.booleans(),
    billing_country=st.sampled_from(["", "DE", "FR"]),
    risk_score=st.integers(0, 100),
    time_zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
)

trees = st.recursive(
    st.sampled_from(LEAVES),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(lambda items: {"all": items}),
        st.lists(children, min_size=1, max_size=4).map(lambda items: {"any": items}),
        children.map(lambda child: {"not": child}),
    ),
    max_leaves=12,
)


def _eval(doc: dict, facts: OrderFacts) -> bool:
    issues: list = []
    condition = parse_condition(doc, "condition", issues)
    assert issues == [] and condition is not None
    return holds(condition, facts)


def _reference(doc: dict, facts: OrderFacts) -> bool:
    """Python's own all/any/not over the leaves' answers."""
    if "all" in doc:
        return all(_reference(child, facts) for child in doc["all"])
    if "any" in doc:
        return any(_reference(child, facts) for child in doc["any"])
    if "not" in doc:
        return not _reference(doc["not"], facts)
    return _eval(doc, facts)


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(trees, orders)
def test_trees_evaluate_like_boolean_algebra(tree, facts):
    assert _eval(tree, facts) == _reference(tree, facts)


@settings(max_examples=150, deadline=timedelta(seconds=2))
@given(trees, trees, orders)
def test_de_morgan_and_double_negation(a, b, facts):
    assert _eval({"not": {"all": [a, b]}}, facts) == _eval({"any": [{"not": a}, {"not": b}]}, facts)
    assert _eval({"not": {"any": [a, b]}}, facts) == _eval({"all": [{"not": a}, {"not": b}]}, facts)
    assert _eval({"not": {"not": a}}, facts) == _eval(a, facts)


@settings(max_examples=150, deadline=timedelta(seconds=2))
@given(st.lists(trees, min_size=1, max_size=4), orders)
def test_order_of_children_does_not_matter_and_single_children_are_transparent(items, facts):
    assert _eval({"all": items}, facts) == _eval({"all": items[::-1]}, facts)
    assert _eval({"any": items}, facts) == _eval({"any": items[::-1]}, facts)
    assert _eval({"all": [items[0]]}, facts) == _eval(items[0], facts) == _eval({"any": [items[0]]}, facts)


@settings(max_examples=100, deadline=timedelta(seconds=2))
@given(trees, orders)
def test_excluded_middle(a, facts):
    assert _eval({"any": [a, {"not": a}]}, facts) is True
    assert _eval({"all": [a, {"not": a}]}, facts) is False
