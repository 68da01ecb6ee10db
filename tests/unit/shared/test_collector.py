"""`bulk_work`: the collector's young threshold raised while inside, put back when the last of
overlapping callers (threads) leaves - even when one leaves by an exception."""

from __future__ import annotations

import gc
import threading

import pytest

from conveyor.shared.collector import BULK_YOUNG_THRESHOLD, bulk_work


@pytest.fixture(autouse=True)
def _known_threshold():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_raised_inside_and_restored_after_even_on_an_error():
    with pytest.raises(RuntimeError), bulk_work():
        assert gc.get_threshold() == (BULK_YOUNG_THRESHOLD, 10, 10)
        raise RuntimeError("the import failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_callers_restore_once_the_last_one_leaves():
    first_inside, second_done = threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def other_import() -> None:
        with bulk_work():
            first_inside.set()
            second_done.wait(5)
        seen.append(gc.get_threshold())  # the first caller left already: restored now

    thread = threading.Thread(target=other_import)
    thread.start()
    assert first_inside.wait(5)
    with bulk_work():
        pass
    assert gc.get_threshold() == (BULK_YOUNG_THRESHOLD, 10, 10)  # the other is still inside
    second_done.set()
    thread.join(5)
    assert seen == [(700, 10, 10)]
