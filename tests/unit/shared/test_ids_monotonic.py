"""Ids made one after another in a process sort in the order they were made, even within one
millisecond: a transaction's timeline events (placed, fulfilment created, …) keep their order."""

from __future__ import annotations

from unittest import mock

from conveyor.shared import ids


def test_ids_made_in_the_same_millisecond_keep_their_order():
    with mock.patch.object(ids.time, "time_ns", return_value=1_764_000_000_000_000_000):
        made = [ids.new_id("event") for _ in range(500)]
    assert made == sorted(made)
    assert len(set(made)) == 500


def test_a_clock_going_back_does_not_break_the_order():
    with mock.patch.object(ids.time, "time_ns", return_value=1_764_000_000_500_000_000):
        first = ids.new_id("event")
    with mock.patch.object(ids.time, "time_ns", return_value=1_764_000_000_000_000_000):
        second = ids.new_id("event")
    assert first < second
