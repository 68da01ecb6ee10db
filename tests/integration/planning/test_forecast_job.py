"""The forecast job reads demand from order history, stores one forecast per SKU×location with its
accuracy, and a `forecast` replenishment setting turns it into a reorder point."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from conveyor.orders.handlers import place_order
from conveyor.planning.handlers import run_forecasts
from conveyor.planning.service import forecasts_for
from conveyor.purchasing import handlers as buy
from conveyor.purchasing.review import review
from conveyor.purchasing.settings import SettingData
from conveyor.purchasing.suppliers import ItemData, SupplierData
from tests.helpers import order_cmd, seed_world

TODAY = date(2026, 11, 1)
DAYS = 56


def _history(c) -> None:
    """Eight weeks of 3 units a day of SKU-A (placed one order a day, then dated back)."""
    ids = [place_order(c, order_cmd({"SKU-A": 3}), actor="t").order.id for _ in range(DAYS)]
    with c.uow() as uow:
        for n, order_id in enumerate(ids):
            when = datetime.combine(TODAY - timedelta(days=DAYS - n), datetime.min.time(), tzinfo=UTC)
            uow.session.execute(text("UPDATE orders SET created_at = :t WHERE id = :o"),
                                {"t": when + timedelta(hours=12), "o": order_id})
        uow.commit()


def test_forecasts_are_stored_with_accuracy_and_drive_the_reorder_point(container):
    c = container
    seed_world(c, {"SKU-A": 500}, channel="web")
    _history(c)
    run = run_forecasts(c, today=TODAY)
    assert run.series == 1 and run.starts_on == TODAY
    with c.reader() as uow:
        stored = forecasts_for(uow)
    (key, found), = stored.items()
    assert found.starts_on == TODAY and found.history_days == DAYS
    assert found.forecast.mean_daily == pytest.approx(3.0, abs=0.01)
    assert found.forecast.wape == pytest.approx(0.0, abs=0.01) and found.forecast.sigma < 0.05

    buy.create_supplier(c, SupplierData(code="ACME", name="Acme", lead_time_days=10))
    buy.set_supplier_item(c, "ACME", ItemData(sku="SKU-A", unit_cost_minor=100))
    buy.set_replenishment(c, "SKU-A", "WH1", SettingData(method="forecast", service_level=0.95, cover_days=14))
    with c.reader() as uow:
        (item,) = review(uow, TODAY).items
    # 10 days of 3 a day (no error to buffer against) → reorder at 30; order up to 30 + 14 × 3 = 72.
    assert (item.policy.reorder_point, item.policy.order_up_to) == (30, 72)

    assert run_forecasts(c, today=TODAY + timedelta(days=1)).series == 1  # re-running replaces, not adds
    with c.reader() as uow:
        assert len(forecasts_for(uow)) == 1
