"""Replenishment: policies, rounding to packs and MOQ, grouping into POs, alerts."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conveyor.planning.forecast import Forecast, Method
from conveyor.planning.metrics import DemandClass
from conveyor.planning.safety import Arrival, LeadTime, reorder_levels
from conveyor.purchasing.alerts import AlertKind, AlertSettings, stock_alerts
from conveyor.purchasing.policies import MinMax, PeriodicReview, ReorderPoint, StockPosition, reorder_point_policy
from conveyor.purchasing.replenishment import (
    ReplenishmentItem,
    SupplierItem,
    Unsourced,
    choose_supplier,
    order_quantity,
    suggest_line,
    suggest_purchase_orders,
)
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.money import Money

TODAY = date(2026, 3, 2)


def supplier(sku: str, who: str = "sup_acme", cost: str = "2.50", currency: str = "USD", **kw) -> SupplierItem:
    kw.setdefault("lead_time_days", 7)
    return SupplierItem(who, sku, Money.parse(cost, currency), **kw)


def item(sku: str, on_hand: int, policy, *suppliers: SupplierItem, loc: str = "loc_east", **kw) -> ReplenishmentItem:
    stock = StockPosition(sku, loc, on_hand, kw.pop("committed", 0), kw.pop("on_order", 0))
    return ReplenishmentItem(stock, policy, suppliers, **kw)


@pytest.mark.parametrize(
    ("needed", "pack", "moq", "expected"),
    [
        (0, 12, 0, 0),  # nothing needed, nothing ordered (even with an MOQ)
        (1, 1, 0, 1),
        (13, 12, 0, 24),  # two packs
        (24, 12, 0, 24),  # exactly two packs
        (5, 1, 50, 50),  # raised to the MOQ
        (30, 12, 50, 60),  # 36 in packs, MOQ 50 → five packs
        (70, 12, 50, 72),  # packs already above the MOQ
        (7, 10, 25, 30),  # MOQ that is not whole packs rounds up to packs
    ],
)
def test_order_quantity_rounds_up_to_packs_then_to_the_moq(needed, pack, moq, expected):
    assert order_quantity(needed, pack, moq) == expected


def test_pack_sizes_below_one_are_refused():
    with pytest.raises(ValidationFailed) as caught:
        supplier("sku_a", pack_size=0)
    assert caught.value.code is ErrorCode.INVALID_QUANTITY


def test_position_counts_committed_and_on_order_stock():
    stock = StockPosition("sku_a", "loc_east", on_hand=40, committed=15, on_order=20)
    assert stock.available == 25 and stock.position == 45


def test_min_max_orders_up_to_max_only_below_min():
    policy = MinMax(20, 100)
    assert policy.needed(20, TODAY) == 0  # at the minimum: not below it
    assert policy.needed(19, TODAY) == 81
    assert policy.needed(-5, TODAY) == 105  # backorders are made up too


def test_reorder_point_orders_at_the_point():
    policy = ReorderPoint(30, 90)
    assert policy.needed(31, TODAY) == 0
    assert policy.needed(30, TODAY) == 60


def test_periodic_review_orders_only_on_review_days():
    policy = PeriodicReview(order_up_to=50, review_every_days=7, next_review_on=date(2026, 3, 4))
    assert policy.needed(10, TODAY) == 0
    assert policy.needed(10, date(2026, 3, 4)) == 40
    assert policy.needed(60, date(2026, 3, 4)) == 0
    assert policy.following_review(date(2026, 3, 4)) == date(2026, 3, 11)


@pytest.mark.parametrize("make", [lambda: MinMax(10, 5), lambda: ReorderPoint(-1, 5), lambda: ReorderPoint(9, 3)])
def test_inconsistent_policies_are_refused(make):
    with pytest.raises(ValidationFailed):
        make()


def test_reorder_point_policy_from_a_forecast():
    forecast = Forecast(Method.SES, (10.0,) * 28, 4.0, 364, 0.2, 0.7, DemandClass.SMOOTH)
    levels = reorder_levels(forecast, LeadTime(7, 1), service_level=0.95)
    # SS = 1.645 × sqrt(7 × 16 + 100 × 1) = 23.95; ROP = 70 + 23.95 → 94; plus 14 days' cover (140).
    policy = reorder_point_policy(levels, forecast, cover_days=14)
    assert policy == ReorderPoint(94, 234)


def test_a_line_is_priced_and_explains_its_rounding():
    line = suggest_line(item("sku_a", 5, MinMax(20, 100), supplier("sku_a", pack_size=12, min_order_qty=120)), TODAY)
    assert line.needed == 95 and line.quantity == 120 and line.packs == 10
    assert line.line_total == Money.parse("300.00", "USD")
    assert "below the minimum of 20" in line.reason and "rounded up to 120" in line.reason
    assert "packs of 12" in line.reason and "minimum order 120" in line.reason


def test_nothing_is_suggested_when_stock_is_sufficient_or_no_supplier_is_set_up():
    assert suggest_line(item("sku_a", 50, MinMax(20, 100), supplier("sku_a")), TODAY) is None
    assert suggest_line(item("sku_b", 0, MinMax(20, 100)), TODAY) == Unsourced("sku_b", "loc_east", 100)


def test_the_preferred_supplier_wins_then_the_shortest_lead_time():
    slow = supplier("sku_a", "sup_slow", "1.00", lead_time_days=30)
    fast = supplier("sku_a", "sup_fast", "3.00", lead_time_days=5)
    preferred = supplier("sku_a", "sup_pref", "4.00", lead_time_days=10, preferred=True)
    assert choose_supplier([slow, fast]).supplier_id == "sup_fast"
    assert choose_supplier([slow, fast, preferred]).supplier_id == "sup_pref"


def test_lines_are_grouped_per_supplier_location_and_currency():
    items = [
        item("sku_b", 0, MinMax(5, 10), supplier("sku_b", cost="1.00")),
        item("sku_a", 0, MinMax(5, 10), supplier("sku_a", cost="2.00", lead_time_days=12)),
        item("sku_a", 0, MinMax(5, 10), supplier("sku_a", cost="2.00"), loc="loc_west"),
        item("sku_c", 0, MinMax(5, 10), supplier("sku_c", "sup_euro", cost="3.00", currency="EUR")),
        item("sku_d", 50, MinMax(5, 10), supplier("sku_d")),  # enough stock: no line
        item("sku_e", 0, MinMax(5, 10)),  # no supplier
    ]
    suggestions = suggest_purchase_orders(items, TODAY)
    orders = [(o.supplier_id, o.location_id, o.currency, [line.sku_id for line in o.lines]) for o in suggestions.orders]
    assert orders == [
        ("sup_acme", "loc_east", "USD", ["sku_a", "sku_b"]),
        ("sup_acme", "loc_west", "USD", ["sku_a"]),
        ("sup_euro", "loc_east", "EUR", ["sku_c"]),
    ]
    east = suggestions.orders[0]
    assert east.total == Money.parse("30.00", "USD")  # 10 × 2.00 + 10 × 1.00
    assert east.lead_time_days == 12 and east.expected_on == date(2026, 3, 14)
    assert suggestions.orders[2].total == Money.parse("30.00", "EUR")
    assert [u.sku_id for u in suggestions.unsourced] == ["sku_e"]


def test_currencies_without_minor_units_are_priced_exactly():
    line = suggest_line(item("sku_a", 0, MinMax(1, 7), supplier("sku_a", cost="1250", currency="JPY")), TODAY)
    assert line.line_total == Money(8750, "JPY") and str(line.line_total) == "8750 JPY"


def kinds(alerts) -> list[AlertKind]:
    return [a.kind for a in alerts]


def test_out_of_stock_and_low_stock_alerts_name_their_reasons():
    alerts = stock_alerts([item("sku_a", 3, MinMax(10, 50), supplier("sku_a"), committed=3)], TODAY)
    assert kinds(alerts) == [AlertKind.OUT_OF_STOCK, AlertKind.LOW_STOCK]
    assert "nothing available" in alerts[0].reason
    assert "position 0 below the minimum of 10" in alerts[1].reason


def test_low_stock_when_the_forecast_runs_out_before_a_new_order_could_arrive():
    daily = (5.0,) * 28
    ok_policy = MinMax(0, 200)  # the policy alone would not complain
    late = item("sku_a", 30, ok_policy, supplier("sku_a", lead_time_days=10), daily=daily)
    alerts = stock_alerts([late], TODAY)
    assert kinds(alerts) == [AlertKind.LOW_STOCK]
    assert alerts[0].stockout_on == date(2026, 3, 8) and alerts[0].days_of_supply == pytest.approx(6.0)
    assert "run out on 2026-03-08" in alerts[0].reason and "10 days lead time" in alerts[0].reason
    # The same stock with 60 units arriving on day 4 lasts past the lead time: no alert.
    covered = item(
        "sku_a",
        30,
        ok_policy,
        supplier("sku_a", lead_time_days=10),
        daily=daily,
        on_order=60,
        arrivals=(Arrival(60, date(2026, 3, 6)),),
    )
    assert stock_alerts([covered], TODAY) == []


def test_overstock_by_ceiling_and_by_days_of_supply():
    over_max = item("sku_a", 200, MinMax(10, 100), supplier("sku_a"))
    slow_seller = item("sku_b", 120, MinMax(10, 150), supplier("sku_b"), daily=(0.5,) * 28)
    dead = item("sku_c", 5, MinMax(0, 10), supplier("sku_c"), daily=(0.0,) * 28)
    fine = item("sku_d", 120, MinMax(10, 150), supplier("sku_d"), daily=(2.0,) * 28)
    alerts = stock_alerts([over_max, slow_seller, dead, fine], TODAY, AlertSettings(overstock_days=180))
    assert [(a.sku_id, a.kind) for a in alerts] == [
        ("sku_a", AlertKind.OVERSTOCK),
        ("sku_b", AlertKind.OVERSTOCK),
        ("sku_c", AlertKind.OVERSTOCK),
    ]
    assert "200 available, more than 150% of the policy's 100" in alerts[0].reason
    assert "lasts 240 days" in alerts[1].reason
    assert "no demand forecast" in alerts[2].reason


@given(
    needed=st.integers(min_value=1, max_value=10_000),
    pack=st.integers(min_value=1, max_value=500),
    moq=st.integers(min_value=0, max_value=5_000),
)
def test_order_quantity_is_the_smallest_whole_pack_count_covering_need_and_moq(needed, pack, moq):
    quantity = order_quantity(needed, pack, moq)
    assert quantity % pack == 0
    assert quantity >= needed and quantity >= moq
    assert quantity - pack < max(needed, moq)  # one pack fewer would fall short
