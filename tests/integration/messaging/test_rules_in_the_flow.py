"""Automation rules at the order's lifecycle points: at placement they hold, tag, choose the
routing strategy or the location and the carrier service before stock is taken; later (run by
the worker) they act on the stored order; every hit is on the timeline with the rule's name; a
dry run lists the past orders a rule would have hit and changes nothing."""

from __future__ import annotations

import pytest

from conveyor.automation.handlers import create_rule, dry_run
from conveyor.inventory.handlers import receive
from conveyor.orders.commands import Address
from conveyor.orders.handlers import place_order, ship_order
from conveyor.orders.service import get_order, order_timeline
from conveyor.shared.errors import ValidationFailed
from tests.helpers import order_cmd, seed_world
from tests.integration.messaging.support import worker_for


def _rule(name: str, condition: dict, actions: list[dict], triggers=("placed",), **extra) -> dict:
    return {"name": name, "triggers": list(triggers), "condition": condition, "actions": actions, **extra}


def _events(c, order_id: str, kind: str) -> list[dict]:
    with c.reader() as uow:
        return [e.data for e in order_timeline(uow, order_id) if e.type == kind]


def _order(c, order_id: str):
    with c.reader() as uow:
        return get_order(uow, order_id)


BIG = {"field": "total", "op": "gte", "value": {"amount": "50.00", "currency": "USD"}}


def test_placed_rules_hold_tag_and_choose_the_carrier_service_and_the_timeline_names_them(container):
    seed_world(container, {"SKU-A": 20})
    create_rule(container, _rule("Hold big orders", BIG, [{"type": "hold", "reason": "big order: check it"},
                                                          {"type": "tag", "tag": "big"}]), "test")
    create_rule(container, _rule("Express for DE", {"field": "country", "op": "eq", "value": "de"},
                                 [{"type": "carrier_service", "carrier": "dhl", "service": "express"},
                                  {"type": "set_priority", "priority": "high"}]), "test")
    german = Address(line1="Unter den Linden 1", city="Berlin", postal_code="10117", country="DE")
    big = place_order(container, order_cmd({"SKU-A": 6}, shipping_address=german), actor="test").order
    small = place_order(container, order_cmd({"SKU-A": 1}), actor="test").order

    held = _order(container, big.id)
    assert (held.status, held.hold_reason, held.tags) == ("on_hold", "big order: check it", ["big"])
    assert (held.preferred_carrier, held.preferred_service, held.priority) == ("dhl", "express", "high")
    assert held.allocations == []  # held before routing: no stock taken
    # Both hits are on the timeline (events of one transaction within one millisecond have no
    # defined order between them: ids are time-ordered to the millisecond only).
    hits = {h["rule"]: h for h in _events(container, big.id, "rule.matched")}
    assert set(hits) == {"Hold big orders", "Express for DE"}
    assert [a["result"] for a in hits["Hold big orders"]["actions"]] == ["held", "tagged"]
    assert [a["result"] for a in hits["Express for DE"]["actions"]] == ["carrier service set", "priority set"]
    assert _order(container, small.id).status == "allocated" and _events(container, small.id, "rule.matched") == []


def test_placed_rules_choose_the_location_and_the_routing_strategy(container):
    seed_world(container, {"SKU-A": 10}, locations=2)
    receive(container, "SKU-A", "WH2", 10, actor="test")
    create_rule(container, _rule("Bulk from WH2", {"field": "quantity", "sku": "SKU-A", "op": "gte", "value": 5},
                                 [{"type": "route_location", "location": "WH2"}]), "test")
    create_rule(container, _rule("Fewest splits for VIPs", {"field": "order_tags", "op": "contains", "value": "vip"},
                                 [{"type": "route_strategy", "strategy": "fewest_splits"}]), "test")
    bulk = place_order(container, order_cmd({"SKU-A": 5}), actor="test").order
    vip = place_order(container, order_cmd({"SKU-A": 1}, tags=["vip"]), actor="test").order
    plain = place_order(container, order_cmd({"SKU-A": 1}), actor="test").order

    assert {a.location_id for a in _order(container, bulk.id).allocations} == {_location_id(container, "WH2")}
    assert {a.location_id for a in _order(container, plain.id).allocations} == {_location_id(container, "WH1")}
    placed = _events(container, vip.id, "order.placed")[0]
    assert placed["routing"]["strategy"] == "fewest_splits"
    assert _events(container, plain.id, "order.placed")[0]["routing"]["strategy"] != "fewest_splits"


def _location_id(c, code: str) -> str:
    from conveyor.inventory.locations import resolve_location

    with c.reader() as uow:
        return resolve_location(uow, code).id


def test_later_lifecycle_points_run_in_the_worker_and_act_on_the_stored_order(container):
    seed_world(container, {"SKU-A": 10})
    create_rule(container, _rule("Tag shipped big orders", BIG, [{"type": "tag", "tag": "big-shipped"},
                                                                 {"type": "add_note", "note": "ask for a review"}],
                                 triggers=["shipped"]), "test")
    create_rule(container, _rule("Review risky orders", {"field": "risk_score", "op": "gte", "value": 30},
                                 [{"type": "require_review", "reason": "risk"}], triggers=["allocated"]), "test")
    mismatch = place_order(container, order_cmd(
        {"SKU-A": 6}, customer_email="x@mailinator.com",
        billing_address=Address(country="FR"), shipping_address=Address(line1="1 Main St", country="US")),
        actor="test").order
    worker_for(container).drain()  # order.created (allocated) -> "allocated" rules

    held = _order(container, mismatch.id)
    assert (held.status, held.hold_reason) == ("on_hold", "review: risk")
    review = _events(container, mismatch.id, "rule.matched")[0]
    assert review["trigger"] == "allocated" and review["risk"]["score"] >= 30
    assert {r["code"] for r in review["risk"]["reasons"]} >= {"billing_shipping_mismatch", "disposable_email"}

    from conveyor.orders.handlers import release_hold

    release_hold(container, mismatch.id, actor="test")
    ship_order(container, mismatch.id, location="WH1", carrier="ups", tracking_number="1Z999AA10123456784",
               actor="test")
    worker_for(container).drain()
    shipped = _order(container, mismatch.id)
    assert "big-shipped" in shipped.tags
    assert [n["text"] for n in _events(container, mismatch.id, "note.added")] == ["ask for a review"]
    assert [h["rule"] for h in _events(container, mismatch.id, "rule.matched")] == [
        "Review risky orders", "Tag shipped big orders"]


def test_dry_run_lists_the_past_orders_a_rule_would_hit_and_changes_nothing(container):
    seed_world(container, {"SKU-A": 30})
    orders = [place_order(container, order_cmd({"SKU-A": n}), actor="test").order for n in (1, 5, 7)]
    report = dry_run(container, _rule("Big", BIG, [{"type": "hold", "reason": "big"}], enabled=False))
    assert report.evaluated == 3
    assert sorted(h.order_id for h in report.hits) == sorted(o.id for o in orders[1:])
    assert all(_order(container, o.id).status == "allocated" for o in orders)
    with pytest.raises(ValidationFailed) as refused:
        dry_run(container, _rule("Bad", {"field": "colour", "op": "eq", "value": "red"}, [{"type": "explode"}]))
    assert [i["path"] for i in refused.value.extra["issues"]] == ["condition.field", "actions[0].type"]
