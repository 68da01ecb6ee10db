"""Which level makes a SKU at a location "low" (purchasing/low_stock.py `threshold_of`)."""

from __future__ import annotations

import pytest

from conveyor.purchasing.low_stock import threshold_of


@pytest.mark.parametrize(("method", "minimum", "reorder_point", "safety", "available", "low"), [
    ("min_max", 3, 0, 0, 3, False), ("min_max", 3, 0, 0, 2, True),  # below the minimum
    ("reorder_point", 0, 5, 0, 6, False), ("reorder_point", 0, 5, 0, 5, True),  # at or below
    ("forecast", 0, 5, 0, 5, True),  # the hand-set reorder point
    (None, 0, 0, 2, 1, False), (None, 0, 0, 2, 0, True),  # nothing left above the safety stock
    ("periodic", 0, 0, 2, 0, True),  # no trigger level of its own: the safety stock's
])
def test_thresholds(method, minimum, reorder_point, safety, available, low):
    threshold = threshold_of(method, minimum, reorder_point, safety)
    assert threshold is not None and threshold.is_low(available) is low


def test_a_pair_without_a_level_is_not_watched():
    assert threshold_of(None, 0, 0, 0) is None and threshold_of("periodic", 0, 0, 0) is None
