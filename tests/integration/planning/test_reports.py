"""Reports and KPIs against values worked out by hand on a small fixed data set (SQLite and
PostgreSQL). Orders are placed through the handlers, then moved to fixed dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from conveyor.channels.handlers import create_channel
from conveyor.orders.commands import LineInput, PlaceOrder
from conveyor.orders.handlers import cancel_order, place_order, ship_order
from conveyor.planning import reports
from conveyor.planning.kpis import SalesPoint
from conveyor.returns import handlers as returns
from conveyor.returns.service import ReturnItem
from tests.helpers import order_cmd, seed_world


def fixed_rate(amount: Decimal, currency: str, to: str, day: date) -> Decimal:
    """1 EUR = 1.10 USD, every day (so the expected figures can be worked out by hand)."""
    assert (currency, to) == ("EUR", "USD")
    return amount * Decimal("1.10")


def at(c, order_id: str, when: datetime) -> None:
    with c.uow() as uow:
        uow.session.execute(text("UPDATE orders SET created_at = :t WHERE id = :o"), {"t": when, "o": order_id})
        uow.commit()


def shipped_at(c, order_id: str, when: datetime) -> None:
    with c.uow() as uow:
        uow.session.execute(text("UPDATE shipments SET created_at = :t WHERE id = :s"),
                            {"t": when, "s": _last_shipment(uow, order_id)})
        uow.commit()


def _last_shipment(uow, order_id: str) -> str:
    return uow.session.execute(text("SELECT MAX(id) FROM shipments WHERE order_id = :o"), {"o": order_id}).scalar()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def sales_world(container):
    c = container
    seed_world(c, {"SKU-A": 50, "SKU-B": 50}, channel="web")
    create_channel(c, code="market", name="Marketplace", backorder_policy="backorder")
    o1 = place_order(c, order_cmd({"SKU-A": 2}), actor="t").order  # 20.00
    o2 = place_order(c, order_cmd({"SKU-B": 1}), actor="t").order  # 10.00
    o3 = place_order(c, order_cmd({"SKU-A": 1, "SKU-B": 3}, channel="market"), actor="t").order  # 40.00
    euro = PlaceOrder(channel="market", currency="EUR", lines=[LineInput("SKU-A", 1, unit_price_minor=1000)])
    o4 = place_order(c, euro, actor="t").order  # 10.00 EUR
    o5 = place_order(c, order_cmd({"SKU-A": 5}), actor="t").order
    cancel_order(c, o5.id, reason="test", actor="t")
    for order, when in [(o1, utc(2026, 11, 2, 10)), (o2, utc(2026, 11, 2, 23, 59)), (o3, utc(2026, 11, 9, 0, 0)),
                        (o4, utc(2026, 12, 1, 8)), (o5, utc(2026, 11, 3, 12))]:
        at(c, order.id, when)
    ship_order(c, o1.id, location="WH1", actor="t")
    shipped_at(c, o1.id, utc(2026, 11, 3, 10))  # 24 h
    line_a, line_b = (li.id for li in o3.lines)
    ship_order(c, o3.id, location="WH1", lines={line_a: 1}, actor="t")
    shipped_at(c, o3.id, utc(2026, 11, 9, 10))  # first of two shipments: 10 h
    ship_order(c, o3.id, location="WH1", lines={line_b: 3}, actor="t")
    shipped_at(c, o3.id, utc(2026, 11, 11, 12))  # 60 h
    return c


def test_sales_by_channel_and_month_in_the_base_currency(sales_world):
    with sales_world.reader() as uow:
        points = reports.sales(uow, date(2026, 11, 1), date(2027, 1, 1), by="channel", grain="month",
                               convert=fixed_rate)
    assert points == [SalesPoint("2026-11", "market", 1, 0, 4000, "USD"),
                      SalesPoint("2026-11", "web", 2, 0, 3000, "USD"),  # the cancelled order is not a sale
                      SalesPoint("2026-12", "market", 1, 0, 1100, "USD")]  # 10.00 EUR × 1.10
    assert points[1].average_order_minor == 1500


def test_sales_by_week_day_sku_and_location(sales_world):
    with sales_world.reader() as uow:
        weeks = reports.sales(uow, date(2026, 11, 1), date(2026, 12, 1), grain="week", convert=fixed_rate)
        day = reports.sales(uow, date(2026, 11, 2), date(2026, 11, 3), convert=fixed_rate)
        skus = reports.sales(uow, date(2026, 11, 1), date(2026, 12, 1), by="sku", grain="month", convert=fixed_rate)
        places = reports.sales(uow, date(2026, 11, 1), date(2026, 12, 1), by="location", grain="month",
                               convert=fixed_rate)
    assert [(p.period, p.orders, p.revenue_minor) for p in weeks] == [("2026-W45", 2, 3000), ("2026-W46", 1, 4000)]
    assert [(p.period, p.orders, p.revenue_minor) for p in day] == [("2026-11-02", 2, 3000)]  # 23:59 UTC counts
    assert [(p.key, p.orders, p.units, p.revenue_minor) for p in skus] == [("SKU-A", 2, 3, 3000),
                                                                           ("SKU-B", 2, 4, 4000)]
    assert [(p.key, p.orders, p.units, p.revenue_minor) for p in places] == [("WH1", 3, 7, 7000)]


def test_fulfilment_kpis(sales_world):
    with sales_world.reader() as uow:
        kpis = reports.fulfilment(uow, date(2026, 11, 1), date(2026, 12, 1), promise_hours=48)
    assert kpis["orders_placed"] == 3 and kpis["orders_shipped"] == 2
    assert kpis["order_to_ship_hours_p50"] == pytest.approx(17.0)  # first shipments after 24 h and 10 h
    assert kpis["order_to_ship_hours_p90"] == pytest.approx(22.6)
    assert kpis["on_time_ship_rate"] == 1.0 and kpis["split_rate"] == 0.5
    assert kpis["shipping_cost_per_order_minor"] is None


def test_return_rate_counts_units_of_orders_in_the_period(sales_world):
    with sales_world.reader() as uow:
        found = reports.returns(uow, date(2026, 11, 1), date(2026, 12, 1))
    assert found == {"units_shipped": 6, "units_returned": 0, "return_rate": 0.0, "reasons": []}


def test_return_reasons_count_units_per_reason_of_live_rmas(sales_world):
    c = sales_world
    with c.reader() as uow:
        o1, o3 = (uow.session.execute(text("SELECT id FROM orders WHERE created_at = :t"), {"t": when}).scalar()
                  for when in (utc(2026, 11, 2, 10), utc(2026, 11, 9, 0, 0)))
    returns.request_return(c, o1, [ReturnItem("1", 2, "too_small")], actor="t", staff_override=True)
    returns.request_return(c, o3, [ReturnItem("1", 1, "defective"), ReturnItem("2", 1, "too_small")],
                           actor="t", staff_override=True)
    withdrawn = returns.request_return(c, o3, [ReturnItem("2", 2, "changed_mind")], actor="t",
                                       staff_override=True)
    returns.cancel_return(c, withdrawn.id, reason="changed their mind again", actor="t")
    with c.reader() as uow:
        found = reports.returns(uow, date(2026, 11, 1), date(2026, 12, 1))
    assert found["reasons"] == [{"reason": "too_small", "units": 3, "returns": 2},
                                {"reason": "defective", "units": 1, "returns": 1}]
    assert found["units_returned"] == 0  # asked for, not yet received


def test_a_period_must_be_forward_and_bounded(sales_world):
    with sales_world.reader() as uow, pytest.raises(Exception, match="period"):
        reports.sales(uow, date(2026, 11, 1), date(2026, 11, 1) - timedelta(days=1))
