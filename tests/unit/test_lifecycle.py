from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conveyor.orders.lifecycle import (
    TRANSITIONS,
    Buckets,
    IllegalTransition,
    Status,
    check_transition,
    derive_status,
)


@pytest.mark.parametrize(("lines", "status"), [
    ([Buckets(2, allocated=2)], Status.ALLOCATED),
    ([Buckets(2, allocated=1, backordered=1)], Status.BACKORDERED),
    ([Buckets(2)], Status.PENDING),
    ([Buckets(2, allocated=1, shipped=1)], Status.PARTIALLY_FULFILLED),
    ([Buckets(2, shipped=2)], Status.FULFILLED),
    ([Buckets(2, shipped=2, delivered=2)], Status.DELIVERED),
    ([Buckets(2, cancelled=2)], Status.CANCELLED),
    ([Buckets(2, shipped=1, cancelled=1)], Status.FULFILLED),
])
def test_status_follows_from_the_line_buckets(lines, status):
    assert derive_status(lines) == status


def test_illegal_transition_names_the_current_status():
    with pytest.raises(IllegalTransition) as err:
        check_transition(Status.FULFILLED, Status.CANCELLED, "cancel")
    assert err.value.extra["current_status"] == Status.FULFILLED


def test_terminal_states_go_nowhere():
    assert TRANSITIONS[Status.CANCELLED] == frozenset() and TRANSITIONS[Status.COMPLETED] == frozenset()


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
                min_size=1, max_size=4))
def test_derived_status_is_always_a_known_state(raw):
    lines = []
    for quantity, a, s, c in raw:
        a, s = min(a, quantity), min(s, quantity - min(a, quantity))
        c = min(c, quantity - a - s)
        lines.append(Buckets(quantity, allocated=a, shipped=s, cancelled=c, backordered=quantity - a - s - c))
    assert derive_status(lines) in set(Status) - {Status.ON_HOLD, Status.COMPLETED}
