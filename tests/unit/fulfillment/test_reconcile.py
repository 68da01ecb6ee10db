"""Fulfilment orders kept equal to allocation rows (fulfillment/reconcile.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conveyor.fulfillment.reconcile import HeldLine, HeldOrder, Need, plan

LINE, SKU = "oln_1", "sku_1"


def held(fo_id: str, status: str, quantity: int, location: str = "loc_nj") -> HeldOrder:
    return HeldOrder(fo_id, location, status, (HeldLine(f"{fo_id}-l", LINE, SKU, quantity),))


def need(quantity: int, location: str = "loc_nj") -> dict:
    return {(LINE, SKU, location): Need(quantity, 1, "MUG")}


def test_new_allocations_open_one_fulfilment_order_per_location():
    steps = plan({**need(2), **need(3, "loc_ca")}, [])
    assert steps.new_locations() == ["loc_ca", "loc_nj"]
    assert sorted((a.location_id, a.units, a.fulfilment_order_id) for a in steps.additions) == [
        ("loc_ca", 3, None), ("loc_nj", 2, None)]
    assert steps.reductions == [] and steps.emptied == []


def test_more_units_join_the_pending_fulfilment_order_not_one_being_picked():
    steps = plan(need(5), [held("ffo_1", "picking", 2), held("ffo_2", "pending", 1)])
    assert [(a.fulfilment_order_id, a.units) for a in steps.additions] == [("ffo_2", 2)]


def test_more_units_open_a_new_one_when_only_work_in_progress_exists():
    steps = plan(need(3), [held("ffo_1", "packed", 2)])
    assert [(a.fulfilment_order_id, a.units) for a in steps.additions] == [(None, 1)]


def test_units_given_back_come_off_the_least_progressed_fulfilment_order_first():
    steps = plan(need(2), [held("ffo_1", "packed", 2), held("ffo_2", "pending", 1), held("ffo_3", "released", 1)])
    assert [(r.fulfilment_order_id, r.units) for r in steps.reductions] == [("ffo_2", 1), ("ffo_3", 1)]
    assert sorted(steps.emptied) == ["ffo_2", "ffo_3"]


def test_a_preferred_fulfilment_order_gives_back_first():
    steps = plan(need(1), [held("ffo_1", "picking", 2), held("ffo_2", "pending", 1)], prefer="ffo_1")
    assert [(r.fulfilment_order_id, r.units) for r in steps.reductions] == [("ffo_1", 2)]
    assert steps.emptied == ["ffo_1"]  # the short-picked one, though another was less far along


def test_nothing_to_do_when_they_already_agree():
    assert not plan(need(2), [held("ffo_1", "released", 2)]).changes_anything


@given(st.lists(st.tuples(st.sampled_from(["pending", "released", "picking", "packed"]), st.integers(0, 5)),
                max_size=5),
       st.integers(0, 12))
def test_after_the_plan_the_held_units_equal_the_allocation(existing, wanted):
    orders = [held(f"ffo_{n}", status, qty) for n, (status, qty) in enumerate(existing)]
    steps = plan(need(wanted) if wanted else {}, orders)
    total = sum(qty for _, qty in existing) + sum(a.units for a in steps.additions) - sum(
        r.units for r in steps.reductions)
    assert total == wanted
    left = {fo.id: fo.lines[0].quantity for fo in orders}
    for r in steps.reductions:
        left[r.fulfilment_order_id] -= r.units
    assert all(units >= 0 for units in left.values())
    gained = {a.fulfilment_order_id for a in steps.additions}
    assert set(steps.emptied) == {i for i, units in left.items() if units == 0 and i not in gained}
