"""Inventory KPIs rebuilt from the ledger, against hand-worked figures (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from conveyor.inventory.handlers import receive
from conveyor.orders.handlers import place_order, ship_order
from conveyor.planning.stock_reports import inventory
from conveyor.purchasing import handlers as buy
from conveyor.purchasing.suppliers import ItemData, SupplierData
from tests.helpers import order_cmd, seed_world

D = date(2026, 10, 5)  # the period is D .. D+3 (four days)


def _date_ledger(c, reference: str | None, when: datetime, reason: str | None = None) -> None:
    """Move ledger entries (of one reference, or with one reason and no order reference) to a fixed time."""
    with c.uow() as uow:
        if reference:
            uow.session.execute(text("UPDATE stock_ledger SET created_at = :t WHERE reference_id = :r"),
                                {"t": when, "r": reference})
        else:
            uow.session.execute(text("UPDATE stock_ledger SET created_at = :t WHERE reason = :why"),
                                {"t": when, "why": reason})
        uow.commit()


@pytest.fixture
def stock_world(container):
    c = container
    seed_world(c, {"SKU-A": 0, "SKU-B": 0}, channel="web")
    buy.create_supplier(c, SupplierData(code="ACME", name="Acme", currency="USD"))
    buy.set_supplier_item(c, "ACME", ItemData(sku="SKU-A", unit_cost_minor=400))
    receive(c, "SKU-A", "WH1", 10, actor="t")
    receive(c, "SKU-B", "WH1", 1, actor="t")
    _date_ledger(c, None, datetime(2026, 10, 5, 9, tzinfo=UTC), reason="receipt")
    sale = place_order(c, order_cmd({"SKU-A": 4}), actor="t").order
    ship_order(c, sale.id, location="WH1", actor="t")
    _date_ledger(c, sale.id, datetime(2026, 10, 7, 15, tzinfo=UTC))  # allocated and shipped on D+2
    held = place_order(c, order_cmd({"SKU-B": 1}), actor="t").order  # allocated, not shipped
    _date_ledger(c, held.id, datetime(2026, 10, 6, 11, tzinfo=UTC))  # on D+1
    return c


def test_inventory_value_turnover_days_of_supply_and_stock_outs(stock_world):
    with stock_world.reader() as uow:
        kpis = inventory(uow, D, date(2026, 10, 9), base="USD")
    # SKU-A: 0 before D, 10 from D, 6 from D+2; cost 4.00. SKU-B has no supplier cost (1 unit).
    assert kpis["inventory_value_start_minor"] == 0
    assert kpis["inventory_value_minor"] == 6 * 400
    assert kpis["cost_of_goods_shipped_minor"] == 4 * 400 and kpis["units_shipped"] == 4
    assert kpis["turnover"] == pytest.approx(1600 / ((0 + 2400) / 2), abs=1e-4)
    assert kpis["days_of_supply"] == pytest.approx((6 + 1) / (4 / 4))  # on hand at the end ÷ shipped a day
    assert kpis["unvalued_units"] == 1
    # SKU-B: 1 available on D, allocated to an order from D+1: three days closed with nothing to sell.
    assert kpis["stock_outs"] == [{"sku": "SKU-B", "location": "WH1", "stock_out_days": 3}]
    assert kpis["stock_out_days"] == 3
