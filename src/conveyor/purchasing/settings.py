"""Replenishment settings per SKU×location, and the policy (`purchasing.policies`) each one means.

Methods: `min_max`, `reorder_point`, `periodic`, and `forecast` — the reorder point and
order-up-to level computed from the stored demand forecast, the supplier's lead time (and its
spread), the service level and the review period (`planning.safety`). A `forecast` setting
whose SKU has no forecast yet falls back to its hand-set reorder point and order-up-to level."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from conveyor.catalog.service import get_sku
from conveyor.inventory.locations import resolve_location
from conveyor.inventory.service import THRESHOLDS_CACHE
from conveyor.planning.forecast import Forecast
from conveyor.planning.safety import LeadTime, reorder_levels
from conveyor.purchasing.model import ReplenishmentSetting
from conveyor.purchasing.policies import MinMax, PeriodicReview, Policy, ReorderPoint, reorder_point_policy
from conveyor.purchasing.replenishment import SupplierItem, choose_supplier
from conveyor.shared import ids
from conveyor.shared.errors import NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork

METHODS = ("min_max", "reorder_point", "periodic", "forecast")


@dataclass(slots=True)
class SettingData:
    method: str = "min_max"
    minimum: int = 0
    maximum: int = 0
    reorder_point: int = 0
    order_up_to: int = 0
    service_level: float = 0.95
    review_days: int = 0
    next_review_on: date | None = None
    cover_days: int = 14
    promise_incoming: bool = False


def _check(data: SettingData) -> None:
    if data.method not in METHODS:
        raise ValidationFailed(f"method must be one of {', '.join(METHODS)}", method=data.method)
    if not 0 < data.service_level < 1:
        raise ValidationFailed("the service level must lie between 0 and 1 (e.g. 0.95)")
    if min(data.review_days, data.cover_days) < 0:
        raise ValidationFailed("review and cover days must be zero or more")
    if data.method == "periodic" and data.review_days < 1:
        raise ValidationFailed("a periodic review needs review_days of at least 1")
    # Building the policy checks the levels (0 ≤ min ≤ max, 0 ≤ reorder point ≤ order-up-to).
    manual_policy(data, date(2000, 1, 1))


def manual_policy(data: SettingData | ReplenishmentSetting, today: date) -> Policy:
    """The policy from the hand-set levels (a `forecast` setting: its fallback)."""
    if data.method == "min_max":
        return MinMax(data.minimum, data.maximum)
    if data.method == "periodic":
        return PeriodicReview(data.order_up_to, max(1, data.review_days), data.next_review_on or today)
    return ReorderPoint(data.reorder_point, data.order_up_to)


def policy_for(setting: ReplenishmentSetting, today: date, forecast: Forecast | None,
               suppliers: tuple[SupplierItem, ...]) -> Policy:
    """The policy a setting means today (see the module docstring)."""
    supplier = choose_supplier(suppliers)
    if setting.method != "forecast" or forecast is None or supplier is None:
        return manual_policy(setting, today)
    levels = reorder_levels(forecast, LeadTime(supplier.lead_time_days, supplier.lead_time_sigma_days),
                            setting.service_level, setting.review_days)
    return reorder_point_policy(levels, forecast, setting.cover_days)


def aligned(forecast: Forecast, starts_on: date, today: date) -> Forecast:
    """The forecast as seen from `today` (days already past are dropped; it may be a few days old)."""
    skip = (today - starts_on).days
    if skip <= 0 or skip >= len(forecast.daily):
        return forecast
    return Forecast(forecast.method, forecast.daily[skip:], forecast.sigma, forecast.fitted_days, forecast.wape,
                    forecast.mase, forecast.demand_class, forecast.backtest_days)


def set_setting(uow: UnitOfWork, sku: str, location: str, data: SettingData) -> ReplenishmentSetting:
    """Create or replace the setting of one SKU at one location."""
    _check(data)
    s, loc = get_sku(uow, sku), resolve_location(uow, location)
    if s.is_kit:
        raise ValidationFailed(f"{s.code!r} is a kit: replenish its components", sku=s.code)
    row = uow.session.scalar(select(ReplenishmentSetting).where(ReplenishmentSetting.sku_id == s.id,
                                                                ReplenishmentSetting.location_id == loc.id))
    if row is None:
        row = ReplenishmentSetting(id=ids.new_id("replenishment"), sku_id=s.id, location_id=loc.id)
        uow.session.add(row)
    for name, value in asdict(data).items():
        setattr(row, name, value)
    uow.session.flush()
    uow.after_commit(uow.caches.named(THRESHOLDS_CACHE).invalidate)  # the low-stock watch reads them
    return row


def remove_setting(uow: UnitOfWork, sku: str, location: str) -> None:
    s, loc = get_sku(uow, sku), resolve_location(uow, location)
    row = uow.session.scalar(select(ReplenishmentSetting).where(ReplenishmentSetting.sku_id == s.id,
                                                                ReplenishmentSetting.location_id == loc.id))
    if row is None:
        raise NotFound("replenishment setting", f"{sku}@{location}")
    uow.session.delete(row)
    uow.after_commit(uow.caches.named(THRESHOLDS_CACHE).invalidate)


def list_settings(uow: UnitOfWork, sku_ids: list[str] | None = None,
                  location_ids: list[str] | None = None) -> list[ReplenishmentSetting]:
    query = select(ReplenishmentSetting).order_by(ReplenishmentSetting.id)
    if sku_ids is not None:
        query = query.where(ReplenishmentSetting.sku_id.in_(sku_ids))
    if location_ids is not None:
        query = query.where(ReplenishmentSetting.location_id.in_(location_ids))
    return list(uow.session.scalars(query))


def advance_reviews(uow: UnitOfWork, setting_ids: set[str], today: date) -> None:
    """Periodic settings reviewed today: the next review is one period on."""
    for row in uow.session.scalars(select(ReplenishmentSetting).where(ReplenishmentSetting.id.in_(setting_ids))):
        if row.method == "periodic":
            row.next_review_on = today + timedelta(days=max(1, row.review_days))


def setting_out(row: ReplenishmentSetting) -> dict[str, Any]:
    return {"id": row.id, "sku_id": row.sku_id, "location_id": row.location_id,
            **{k: getattr(row, k) for k in SettingData.__dataclass_fields__}}
