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


def test_an_id_starts_with_its_millisecond_and_batches_count_up():
    millis = 1_764_000_000_123
    with mock.patch.object(ids.time, "time_ns", return_value=millis * 1_000_000), \
            mock.patch.object(ids, "_last", [0, 0]):
        one, *batch = [ids.new_id("order"), *ids.new_ids("order", 3)]
    body = one.removeprefix("ord_")
    time_part = 0
    for ch in body[:10]:
        time_part = time_part * 32 + ids._ALPHABET.index(ch)
    assert len(body) == 26 and time_part == millis
    assert [one, *batch] == sorted([one, *batch]) and len({one, *batch}) == 4


def test_the_per_millisecond_digits_are_the_full_encoding():
    """Ids take their time digits from a per-millisecond cache: always the same as encoding the
    whole 130-bit value (time and randomness at their extremes included)."""
    import random

    rng = random.Random(5)
    cases = [(0, 0), (2**50 - 1, ids._MAX_RANDOM), (1_764_000_000_123, 1), (1_764_000_000_123, ids._MAX_RANDOM)]
    cases += [(rng.getrandbits(50), rng.getrandbits(80)) for _ in range(2000)]
    for millis, randomness in cases:
        assert ids._id_digits(millis, randomness) == ids._encode(millis << 80 | randomness)


def test_forked_children_never_make_the_parents_next_ids():
    """Two processes forked in the same millisecond as the parent's last id would both have
    counted on from it (import workers are forked): each child starts from fresh randomness."""
    import os

    millis = 1_764_000_000_777
    with mock.patch.object(ids.time, "time_ns", return_value=millis * 1_000_000):
        ids.new_id("order")
        made = []
        for _ in range(2):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: its next id, to the parent
                os.write(write, ids.new_id("order").encode())
                os._exit(0)
            os.close(write)
            made.append(os.read(read, 100).decode())
            os.close(read)
            os.waitpid(pid, 0)
        parents_next = ids.new_id("order")
    assert len({*made, parents_next}) == 3
