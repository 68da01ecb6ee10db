"""The fulfilment order's state machine (fulfillment/states.py)."""

from __future__ import annotations

import pytest

from conveyor.fulfillment.states import FoStatus, IllegalFulfilmentTransition, can_move, check_move, holds_units


def test_the_happy_path_is_allowed_step_by_step():
    path = ["pending", "released", "picking", "packed", "shipped", "delivered"]
    assert all(can_move(a, b) for a, b in zip(path, path[1:], strict=False))


@pytest.mark.parametrize(("current", "target"), [
    ("pending", "picking"), ("shipped", "cancelled"), ("delivered", "exception"), ("cancelled", "released"),
    ("released", "delivered"),
])
def test_skipping_steps_or_leaving_an_end_state_is_refused(current, target):
    with pytest.raises(IllegalFulfilmentTransition) as caught:
        check_move(current, target, "move")
    assert caught.value.code == "illegal_transition" and caught.value.extra["current_status"] == current


def test_a_3pl_ships_straight_from_released():
    assert can_move(FoStatus.RELEASED, FoStatus.SHIPPED)


def test_an_exception_holds_units_only_until_the_parcel_left():
    assert holds_units("exception", shipped=False) and not holds_units("exception", shipped=True)
    assert holds_units("packed", shipped=False) and not holds_units("delivered", shipped=True)
