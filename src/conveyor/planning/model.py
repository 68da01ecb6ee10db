"""Stored demand forecasts: the latest one per SKU×location, with its accuracy in the backtest.

Written by the forecast job (`planning.handlers.run_forecasts`), read by replenishment (reorder
points from the forecast, stock-out dates in alerts) and shown beside each item."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class DemandForecast(Base):
    __tablename__ = "demand_forecasts"
    __table_args__ = (UniqueConstraint("sku_id", "location_id", name="uq_demand_forecasts_sku_location"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    # daily[0] is the forecast for `starts_on` (the day after the last day of history).
    starts_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(30))
    daily: Mapped[list[float]] = mapped_column(JsonDoc, default=list)
    sigma: Mapped[float] = mapped_column(Float, default=0.0)
    wape: Mapped[float | None] = mapped_column(Float, default=None)
    mase: Mapped[float | None] = mapped_column(Float, default=None)
    demand_class: Mapped[str] = mapped_column(String(20), default="")
    history_days: Mapped[int] = mapped_column(Integer, default=0)
    backtest_days: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
