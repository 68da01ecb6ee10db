"""Splitting an amount of minor units into parts that always add up to the whole.

Two tools: `split_by_weight` (largest-remainder method: each part gets its proportional share
rounded down, and the units left over go to the largest fractional remainders, ties to the earlier
part) and `Spread` (an amount spread evenly over the units of a line, the first units carrying the
odd cents). Both are exact in integers: no rounding error can appear or vanish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def split_by_weight(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (non-negative); equal parts when all weights are zero."""
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if not weights:
        if total:
            raise ValueError(f"cannot split {total} over nothing")
        return []
    sign, total = (-1, -total) if total < 0 else (1, total)
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights, weight_sum = [1] * len(weights), len(weights)
    shares = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    leftover = total - sum(shares)
    # The largest remainders get one more unit each; on ties the earlier part wins (stable sort).
    for index in sorted(range(len(weights)), key=lambda i: -remainders[i])[:leftover]:
        shares[index] += 1
    return [sign * share for share in shares]


@dataclass(frozen=True, slots=True)
class Spread:
    """`total` minor units over `units` units: each unit carries `total // units`, and the first
    `total % units` units one more. Units are numbered from 0; a range of them has an exact amount."""

    total: int
    units: int

    def __post_init__(self) -> None:
        if self.units < 0 or self.total < 0:
            raise ValueError("a spread needs a non-negative total over a non-negative number of units")
        if self.units == 0 and self.total:
            raise ValueError(f"cannot spread {self.total} over zero units")

    def for_units(self, start: int, count: int) -> int:
        """The amount carried by units start, start+1, …, start+count-1."""
        if count <= 0:
            return 0
        if start < 0 or start + count > self.units:
            raise ValueError(f"units {start}..{start + count - 1} are outside 0..{self.units - 1}")
        base, extra = divmod(self.total, self.units)
        with_extra = max(0, min(extra, start + count) - min(extra, start))
        return base * count + with_extra
