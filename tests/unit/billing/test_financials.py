"""An order's financial view stays consistent with its lines: parts add up exactly to the whole,
captures are exactly the shipped units, and a full return gives back exactly what was paid."""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conveyor.billing.allocation import Spread, split_by_weight
from conveyor.billing.financials import (
    Adjustments,
    OrderLine,
    OrderMoney,
    allocate,
    financial_view,
    shipment_amount,
)
from conveyor.shared.errors import DomainError


def order(*lines, **kw):
    return OrderMoney("EUR", tuple(lines), **kw)


SHIRT = OrderLine("l1", "SHIRT", 3, 1_000, line_discount=100, line_tax=171, tax_rate=Decimal(19))
MUG = OrderLine("l2", "MUG", 1, 1_299, line_tax=247, tax_rate=Decimal(19))


def test_split_by_weight_uses_largest_remainders():
    assert split_by_weight(100, [1, 1, 1]) == [34, 33, 33]
    assert split_by_weight(10, [3, 3, 4]) == [3, 3, 4]
    assert split_by_weight(7, [0, 0]) == [4, 3]
    assert split_by_weight(-5, [1, 1]) == [-3, -2]
    assert split_by_weight(1_000, [2_900, 1_299]) == [691, 309]  # 690.6 → 691, 309.4 → 309


def test_spread_puts_odd_cents_on_the_first_units():
    spread = Spread(1_000, 3)
    assert [spread.for_units(i, 1) for i in range(3)] == [334, 333, 333]
    assert spread.for_units(1, 2) == 666 and spread.for_units(0, 3) == 1_000
    with pytest.raises(ValueError):
        spread.for_units(2, 2)


def test_view_of_a_fresh_order_with_a_coupon():
    view = financial_view(order(SHIRT, MUG, order_discount=500, shipping=495, shipping_tax=94))
    assert view.subtotal == 4_299 and view.discounts == 600 and view.tax == 171 + 247 + 94
    assert view.shipping == 589
    assert view.ordered == 4_299 - 600 + 418 + 589 == 4_706
    assert view.net == view.ordered and view.due == view.ordered and view.paid == 0


def test_order_level_tax_is_spread_over_the_lines_by_value():
    view = financial_view(order(OrderLine("a", "A", 1, 3_000), OrderLine("b", "B", 2, 500), order_tax=400))
    assert [line.tax for line in view.lines] == [300, 100] and view.tax == 400 and view.ordered == 4_400


def test_prices_including_tax_do_not_add_tax_again():
    view = financial_view(order(MUG, shipping=495, shipping_tax=79, prices_include_tax=True))
    assert view.ordered == 1_299 + 495 and view.tax == 247 + 79


def test_cancelled_units_lower_what_is_due_and_capture_matches_shipped():
    placed = order(SHIRT, MUG, shipping=500)
    first = shipment_amount(placed, {"l1": 2})
    # two shirts: the 1.00 discount over 3 units is 0.34 + 0.33 + 0.33, the 1.71 tax 0.57 each; plus shipping
    assert first.minor == (2_000 - 67 + 114) + 500
    shipped = order(replace(SHIRT, shipped=2, cancelled=1), MUG, shipping=500)
    second = shipment_amount(shipped, {"l2": 1})
    assert second.minor == 1_299 + 247  # no second shipping charge
    view = financial_view(shipped, captured=first.minor)
    assert view.cancelled == 1_000 - 33 + 57
    assert view.net == view.ordered - view.cancelled and view.due == second.minor


def test_whole_order_cancelled_cancels_shipping_too():
    everything = order(OrderLine("l", "X", 2, 500, cancelled=2), shipping=300)
    view = financial_view(everything)
    assert view.cancelled == view.ordered == 1_300 and view.net == 0


def test_charged_then_partly_returned_and_refunded_is_settled():
    charged = order(SHIRT, MUG, shipping=500)
    paid = financial_view(charged).ordered
    returned = order(
        replace(SHIRT, shipped=3, returned=1),
        replace(MUG, shipped=1),
        shipping=500,
    )
    line = allocate(returned).lines["l1"]
    refund = line.total(0, 1) - 100  # minus a 1.00 restocking fee
    view = financial_view(returned, captured=paid, refunded=refund, adjustments=Adjustments(restocking_fees=100))
    assert view.due == 0


def test_store_credit_instead_of_refund_also_settles():
    returned = order(OrderLine("l", "X", 2, 1_000, shipped=2, returned=1))
    view = financial_view(returned, captured=2_000, adjustments=Adjustments(credited=1_000))
    assert view.due == 0 and view.paid == 1_000


def test_charge_at_placement_then_cancellation_shows_money_owed_to_the_customer():
    view = financial_view(order(OrderLine("l", "X", 2, 1_000, cancelled=1)), captured=2_000)
    assert view.due == -1_000


def test_goodwill_refund_without_a_return_lowers_what_is_owed():
    view = financial_view(
        order(OrderLine("l", "X", 1, 1_000, shipped=1)),
        captured=1_000,
        refunded=200,
        adjustments=Adjustments(goodwill=200),
    )
    assert view.due == 0


@pytest.mark.parametrize(
    "line",
    [
        OrderLine("l", "X", 2, 100, shipped=2, cancelled=1),
        OrderLine("l", "X", 2, 100, shipped=1, returned=2),
        OrderLine("l", "X", 1, 100, line_discount=101),
        OrderLine("l", "X", -1, 100),
    ],
)
def test_impossible_lines_are_refused(line):
    with pytest.raises(DomainError):
        financial_view(order(line))


def test_order_discount_cannot_exceed_the_goods():
    with pytest.raises(DomainError):
        financial_view(order(MUG, order_discount=1_300))


@st.composite
def orders(draw):
    lines = []
    for n in range(draw(st.integers(1, 4))):
        quantity = draw(st.integers(1, 7))
        price = draw(st.integers(0, 50_000))
        shipped = draw(st.integers(0, quantity))
        lines.append(
            OrderLine(
                f"l{n}",
                f"SKU{n}",
                quantity,
                price,
                line_discount=draw(st.integers(0, price * quantity)),
                line_tax=draw(st.integers(0, 20_000)),
                cancelled=draw(st.integers(0, quantity - shipped)),
                shipped=shipped,
                returned=draw(st.integers(0, shipped)),
            )
        )
    goods = sum(line.unit_price * line.quantity - line.line_discount for line in lines)
    return OrderMoney(
        "EUR",
        tuple(lines),
        order_discount=draw(st.integers(0, goods)),
        order_tax=draw(st.sampled_from([0, 0, draw(st.integers(0, 5_000))])),
        shipping=draw(st.integers(0, 2_000)),
        shipping_tax=draw(st.integers(0, 400)),
        prices_include_tax=draw(st.booleans()),
    )


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders())
def test_parts_always_add_up_to_the_whole(placed):
    view = financial_view(placed)
    for line in view.lines:
        assert line.cancelled + line.shipped + line.open == line.ordered
    lines_total = sum(line.ordered for line in view.lines)
    assert view.ordered == lines_total + view.shipping
    tax_on_top = 0 if placed.prices_include_tax else view.tax - placed.shipping_tax
    assert lines_total == view.subtotal - view.discounts + tax_on_top


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders(), st.data())
def test_unit_by_unit_amounts_add_up_to_the_line(placed, data):
    for amounts in allocate(placed).lines.values():
        quantity = amounts.line.quantity
        cut = data.draw(st.integers(0, quantity))
        assert amounts.total(0, cut) + amounts.total(cut, quantity - cut) == amounts.total(0, quantity)
        assert sum(amounts.tax_of(i, 1) for i in range(quantity)) == amounts.tax_of(0, quantity)
    line_taxes = sum(amounts.tax_of(0, amounts.line.quantity) for amounts in allocate(placed).lines.values())
    assert line_taxes == sum(line.line_tax for line in placed.lines) + placed.order_tax


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders())
def test_shipping_everything_in_steps_captures_exactly_the_order(placed):
    fresh = replace(placed, lines=tuple(replace(x, shipped=0, cancelled=0, returned=0) for x in placed.lines))
    captured, current = 0, fresh
    for line in fresh.lines:
        for _ in range(line.quantity):
            captured += shipment_amount(current, {line.line_id: 1}).minor
            shipped_one = tuple(replace(x, shipped=x.shipped + (x.line_id == line.line_id)) for x in current.lines)
            current = replace(current, lines=shipped_one)
    assert captured == financial_view(fresh).ordered
    assert financial_view(current, captured=captured).due == 0
