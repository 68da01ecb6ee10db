"""Low-stock and overstock alerts, each with the reason a buyer can act on.

  out_of_stock  nothing available to sell (on hand − committed ≤ 0)
  low_stock     the position is at the policy's trigger (below min / at or below the reorder
                point), or the forecast says stock runs out before an order placed today could
                arrive (the supplier's lead time), counting the on-order arrivals
  overstock     available stock above the policy's ceiling (max / order-up-to) by more than a
                margin, or lasting longer than `overstock_days` at the forecast rate
An item can raise several alerts; each names its own reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from conveyor.planning.safety import MAX_PROJECTION_DAYS, days_of_supply, project_stock
from conveyor.purchasing.replenishment import ReplenishmentItem, choose_supplier
from conveyor.shared.errors import ValidationFailed


class AlertKind(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    LOW_STOCK = "low_stock"
    OVERSTOCK = "overstock"


@dataclass(frozen=True, slots=True)
class AlertSettings:
    overstock_days: float = 180.0  # more than this many days of supply is overstock
    overstock_margin: float = 0.5  # available above ceiling × (1 + margin) is overstock

    def __post_init__(self) -> None:
        if self.overstock_days <= 0 or self.overstock_margin < 0:
            raise ValidationFailed("overstock days must be positive and the margin zero or more")


@dataclass(frozen=True, slots=True)
class StockAlert:
    sku_id: str
    location_id: str
    kind: AlertKind
    reason: str
    available: int
    position: int
    stockout_on: date | None = None
    days_of_supply: float | None = None


def stock_alerts(
    items: Iterable[ReplenishmentItem], today: date, settings: AlertSettings | None = None
) -> list[StockAlert]:
    """All alerts for the given items, in input order (out of stock, low, over for each item)."""
    settings = settings or AlertSettings()
    alerts: list[StockAlert] = []
    for item in items:
        alerts.extend(_item_alerts(item, today, settings))
    return alerts


def _item_alerts(item: ReplenishmentItem, today: date, settings: AlertSettings) -> list[StockAlert]:
    stock = item.stock
    # With arrivals for low stock (what will happen); on hand alone for overstock (what is there).
    projection = project_stock(stock.available, item.daily, today, item.arrivals) if item.daily else None
    on_hand_lasts = days_of_supply(stock.available, item.daily) if item.daily else None
    found: list[tuple[AlertKind, str]] = []
    if stock.available <= 0:
        found.append((AlertKind.OUT_OF_STOCK, f"nothing available to sell ({stock.available})"))
    low = _low_reason(item, today, projection.stockout_on if projection else None)
    if low:
        found.append((AlertKind.LOW_STOCK, low))
    over = _over_reason(item, settings, on_hand_lasts)
    if over:
        found.append((AlertKind.OVERSTOCK, over))
    return [
        StockAlert(
            stock.sku_id,
            stock.location_id,
            kind,
            reason,
            stock.available,
            stock.position,
            projection.stockout_on if projection else None,
            projection.days_of_supply if projection else None,
        )
        for kind, reason in found
    ]


def _low_reason(item: ReplenishmentItem, today: date, stockout_on: date | None) -> str:
    reasons = []
    if item.policy.below_trigger(item.stock.position):
        reasons.append(f"position {item.stock.position} {item.policy.condition()}")
    supplier = choose_supplier(item.suppliers)
    if stockout_on is not None and supplier is not None:
        arrives = today + timedelta(days=supplier.lead_time_days)
        if stockout_on < arrives:
            reasons.append(
                f"projected to run out on {stockout_on.isoformat()}, before an order placed today "
                f"arrives ({supplier.lead_time_days} days lead time, {arrives.isoformat()})"
            )
    return "; ".join(reasons)


def _over_reason(item: ReplenishmentItem, settings: AlertSettings, supply: float | None) -> str:
    reasons = []
    ceiling = item.policy.ceiling
    if item.stock.available > ceiling * (1 + settings.overstock_margin):
        reasons.append(
            f"{item.stock.available} available, more than {1 + settings.overstock_margin:.0%} of the policy's {ceiling}"
        )
    if item.daily and item.stock.available > 0 and (supply is None or supply > settings.overstock_days):
        if not any(item.daily):
            reasons.append(f"{item.stock.available} available and no demand forecast")
        else:
            lasts = f"more than {MAX_PROJECTION_DAYS}" if supply is None else f"{supply:.0f}"
            reasons.append(f"lasts {lasts} days at the forecast rate (limit {settings.overstock_days:.0f})")
    return "; ".join(reasons)
