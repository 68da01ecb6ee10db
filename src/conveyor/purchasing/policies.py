"""Replenishment policies per SKU×location and the stock position they look at.

All three compare the inventory position (on hand − committed to orders + on order) with a
trigger and, when it fires, order up to a ceiling:

  MinMax(minimum, maximum)               order up to `maximum` when the position is below `minimum`
  ReorderPoint(reorder_point, order_up_to)  the same when the position is at or below the reorder
                                         point — usually computed from the forecast
                                         (`reorder_point_policy`), where min/max are set by hand
  PeriodicReview(order_up_to, every, next)  on review days only, order up to `order_up_to`

"Below the minimum" and "at or below the reorder point" follow the usual wording of each method:
a minimum of 0 orders only once stock is committed beyond what is on hand, a reorder point of 0
orders as soon as nothing is left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from conveyor.planning.forecast import Forecast
from conveyor.planning.safety import ReorderLevels
from conveyor.shared.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class StockPosition:
    sku_id: str
    location_id: str
    on_hand: int
    committed: int = 0  # allocated + reserved for orders
    on_order: int = 0  # open purchase order lines and transfers not yet received

    @property
    def available(self) -> int:
        return self.on_hand - self.committed

    @property
    def position(self) -> int:
        return self.on_hand - self.committed + self.on_order


@dataclass(frozen=True, slots=True)
class MinMax:
    minimum: int
    maximum: int

    def __post_init__(self) -> None:
        if not 0 <= self.minimum <= self.maximum:
            raise ValidationFailed("min/max needs 0 ≤ minimum ≤ maximum", minimum=self.minimum, maximum=self.maximum)

    def below_trigger(self, position: int) -> bool:
        return position < self.minimum

    @property
    def ceiling(self) -> int:
        return self.maximum

    def needed(self, position: int, today: date) -> int:
        return self.maximum - position if self.below_trigger(position) else 0

    def condition(self) -> str:
        return f"below the minimum of {self.minimum}"

    def describe(self) -> str:
        return f"{self.condition()}: order up to the maximum of {self.maximum}"


@dataclass(frozen=True, slots=True)
class ReorderPoint:
    reorder_point: int
    order_up_to: int

    def __post_init__(self) -> None:
        if not 0 <= self.reorder_point <= self.order_up_to:
            raise ValidationFailed(
                "a reorder point policy needs 0 ≤ reorder point ≤ order-up-to level",
                reorder_point=self.reorder_point,
                order_up_to=self.order_up_to,
            )

    def below_trigger(self, position: int) -> bool:
        return position <= self.reorder_point

    @property
    def ceiling(self) -> int:
        return self.order_up_to

    def needed(self, position: int, today: date) -> int:
        return self.order_up_to - position if self.below_trigger(position) else 0

    def condition(self) -> str:
        return f"at or below the reorder point of {self.reorder_point}"

    def describe(self) -> str:
        return f"{self.condition()}: order up to {self.order_up_to}"


@dataclass(frozen=True, slots=True)
class PeriodicReview:
    order_up_to: int
    review_every_days: int
    next_review_on: date

    def __post_init__(self) -> None:
        if self.order_up_to < 0 or self.review_every_days < 1:
            raise ValidationFailed(
                "periodic review needs an order-up-to level ≥ 0 and a review period of at least one day",
                order_up_to=self.order_up_to,
                review_every_days=self.review_every_days,
            )

    def below_trigger(self, position: int) -> bool:
        return False  # no trigger level: low stock shows in the projection (alerts) instead

    @property
    def ceiling(self) -> int:
        return self.order_up_to

    def due(self, today: date) -> bool:
        return today >= self.next_review_on

    def needed(self, position: int, today: date) -> int:
        return max(self.order_up_to - position, 0) if self.due(today) else 0

    def following_review(self, today: date) -> date:
        """The next review date after reviewing on `today` (for the caller to store)."""
        return today + timedelta(days=self.review_every_days)

    def condition(self) -> str:
        return f"on a review day (every {self.review_every_days} days)"

    def describe(self) -> str:
        return f"{self.condition()}: order up to {self.order_up_to}"


Policy = MinMax | ReorderPoint | PeriodicReview


def reorder_point_policy(levels: ReorderLevels, forecast: Forecast, cover_days: float) -> ReorderPoint:
    """Reorder at the computed reorder point; order enough to cover `cover_days` more of forecast
    demand on top of it (the order cycle: e.g. 14 days between orders). Rounded up to units."""
    if cover_days < 0:
        raise ValidationFailed("cover days must be zero or more", cover_days=cover_days)
    reorder_at = levels.reorder_point_units
    cycle = forecast.total(levels.protection_days + cover_days) - forecast.total(levels.protection_days)
    return ReorderPoint(reorder_at, reorder_at + math.ceil(cycle - 1e-9))
