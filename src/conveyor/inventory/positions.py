"""Stock levels as plain rows, for planning and purchasing (which must not read the stock tables)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from conveyor.inventory.model import StockLevel
from conveyor.shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class LevelRow:
    sku_id: str
    location_id: str
    on_hand: int
    allocated: int
    reserved: int
    incoming: int
    safety_stock: int

    @property
    def committed(self) -> int:
        return self.allocated + self.reserved

    @property
    def available(self) -> int:
        """Available-to-promise from stock on hand (never below zero)."""
        return max(0, self.on_hand - self.allocated - self.reserved - self.safety_stock)


def level_rows(uow: UnitOfWork, sku_ids: Collection[str] | None = None,
               location_ids: Collection[str] | None = None) -> dict[tuple[str, str], LevelRow]:
    """{(sku id, location id): levels}, optionally narrowed to some SKUs and/or locations."""
    query = select(StockLevel.sku_id, StockLevel.location_id, StockLevel.on_hand, StockLevel.allocated,
                   StockLevel.reserved, StockLevel.incoming, StockLevel.safety_stock)
    if sku_ids is not None:
        query = query.where(StockLevel.sku_id.in_(list(sku_ids)))
    if location_ids is not None:
        query = query.where(StockLevel.location_id.in_(list(location_ids)))
    return {(r[0], r[1]): LevelRow(*r) for r in uow.session.execute(query)}
