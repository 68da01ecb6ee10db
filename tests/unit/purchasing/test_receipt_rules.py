"""What one delivery does to a PO line, and the PO's states (pure)."""

from __future__ import annotations

import pytest

from conveyor.purchasing.lifecycle import (
    LineState,
    POStatus,
    check_transition,
    receive_line,
    status_after_receipt,
    tolerance_units,
)
from conveyor.shared.errors import DomainError, ErrorCode


def test_a_partial_delivery_fills_part_of_the_order():
    r = receive_line(LineState(ordered=40, received=0), arrived=6, damaged=0, tolerance_percent=5)
    assert (r.accepted, r.against_order, r.over) == (6, 6, 0)


def test_damaged_units_are_not_accepted_and_stay_owed():
    r = receive_line(LineState(ordered=10, received=0), arrived=10, damaged=3, tolerance_percent=0)
    assert (r.accepted, r.damaged, r.against_order) == (7, 3, 7)
    assert LineState(10, 7, 3).open == 3


def test_over_receipt_is_accepted_within_the_tolerance_and_refused_beyond():
    assert tolerance_units(100, 5) == 5 and tolerance_units(10, 5) == 0 and tolerance_units(20, 5) == 1
    r = receive_line(LineState(ordered=100, received=60), arrived=45, damaged=0, tolerance_percent=5)
    assert (r.accepted, r.against_order, r.over) == (45, 40, 5)
    with pytest.raises(DomainError) as refused:
        receive_line(LineState(ordered=100, received=60), arrived=46, damaged=0, tolerance_percent=5)
    assert refused.value.code == ErrorCode.OVER_RECEIPT and refused.value.extra["allowed"] == 105


def test_more_damaged_than_arrived_is_refused():
    with pytest.raises(DomainError) as refused:
        receive_line(LineState(5, 0), arrived=2, damaged=3, tolerance_percent=0)
    assert refused.value.code == ErrorCode.INVALID_QUANTITY


def test_fully_received_closes_at_once_or_waits_when_asked():
    done = [LineState(10, 10), LineState(5, 6)]
    assert status_after_receipt(done, auto_close=True) is POStatus.CLOSED
    assert status_after_receipt(done, auto_close=False) is POStatus.RECEIVED
    assert status_after_receipt([LineState(10, 10), LineState(5, 4, 1)], True) is POStatus.PARTIALLY_RECEIVED


@pytest.mark.parametrize(("current", "wanted", "allowed"), [
    ("draft", POStatus.SENT, True), ("draft", POStatus.PARTIALLY_RECEIVED, False),
    ("sent", POStatus.CANCELLED, True), ("partially_received", POStatus.CANCELLED, False),
    ("partially_received", POStatus.CLOSED, True), ("closed", POStatus.SENT, False),
    ("cancelled", POStatus.CLOSED, False), ("received", POStatus.CLOSED, True),
])
def test_transitions(current, wanted, allowed):
    if allowed:
        assert check_transition(current, wanted, "x") is wanted
    else:
        with pytest.raises(DomainError) as refused:
            check_transition(current, wanted, "x")
        assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION
