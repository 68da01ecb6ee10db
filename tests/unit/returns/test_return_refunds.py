"""Refunds for returned units: exactly what was paid for them (discount and tax shares), shipping
when the policy says, minus the restocking fee, capped at captured − refunded; and the split into
refund, store credit and exchange."""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conveyor.billing.financials import KitComponent, OrderLine, OrderMoney, financial_view
from conveyor.returns.grading import Grade, GradedUnits, ReceivingLocation, grade_receipt
from conveyor.returns.policy import ReturnPolicy, ReturnReason, ShippingRefund, fee_waived
from conveyor.returns.refunds import (
    Replacement,
    Resolution,
    ReturningUnits,
    plan_resolution,
    refund_for_return,
    restocking_fee,
    returning_from_grading,
)
from conveyor.shared.errors import DomainError

SHIRT = OrderLine("l1", "SHIRT", 3, 1_000, line_discount=100, line_tax=171, shipped=3)
MUG = OrderLine("l2", "MUG", 1, 1_299, line_tax=247, shipped=1)
PLACED = OrderMoney("EUR", (SHIRT, MUG), order_discount=500, shipping=495, shipping_tax=94)
PAID = financial_view(PLACED).ordered
NO_FEE = ReturnPolicy()


def test_one_unit_gives_back_its_price_minus_discount_shares_plus_tax():
    refund = refund_for_return(PLACED, [ReturningUnits("l1", 1)], NO_FEE, refundable=PAID)
    (line,) = refund.lines
    # The 5.00 coupon splits 2 900 : 1 299 by line value → 3.45 on the shirts, 1.55 on the mug. With the
    # shirts' own 1.00 discount that is 4.45 over 3 units: 1.49 on the first. Tax 1.71 → 0.57 a unit.
    assert line.goods == 1_000 - 149 + 57 == 908 and line.tax == 57 and line.fee == 0
    assert refund.amount == refund.total == line.goods and refund.shipping == 0


def test_returning_everything_in_several_returns_gives_back_exactly_what_was_paid():
    everything_but_shipping = ReturnPolicy(refund_shipping=ShippingRefund.WHEN_ALL_RETURNED)
    order, refunded, shipping_back = PLACED, 0, 0
    for units in (
        [ReturningUnits("l1", 1)],
        [ReturningUnits("l2", 1), ReturningUnits("l1", 1)],
        [ReturningUnits("l1", 1)],
    ):
        refund = refund_for_return(
            order, units, everything_but_shipping, refundable=PAID - refunded, shipping_refunded_before=shipping_back
        )
        refunded += refund.amount
        shipping_back += refund.shipping
        order = _after(order, units)
    assert refunded == PAID and shipping_back == 589


def test_shipping_only_when_asked_and_only_once():
    all_units = [ReturningUnits("l1", 3), ReturningUnits("l2", 1)]
    assert refund_for_return(PLACED, all_units, NO_FEE, refundable=PAID).shipping == 0
    staff = refund_for_return(PLACED, [ReturningUnits("l2", 1)], NO_FEE, refundable=PAID, include_shipping=True)
    assert staff.shipping == 589 and staff.shipping_tax == 94
    again = refund_for_return(
        PLACED, [ReturningUnits("l1", 1)], NO_FEE, refundable=PAID, include_shipping=True, shipping_refunded_before=589
    )
    assert again.shipping == 0


def test_percent_restocking_fee_is_kept_from_fee_bearing_units_and_lowers_the_tax():
    policy = ReturnPolicy(restocking_fee_percent=Decimal(15))
    refund = refund_for_return(
        PLACED, [ReturningUnits("l2", 1), ReturningUnits("l1", 1, fee_applies=False)], policy, refundable=PAID
    )
    mug, shirt = refund.lines
    assert mug.fee == restocking_fee(policy, mug.goods) == round(mug.goods * 0.15) and shirt.fee == 0
    assert mug.tax_refunded == mug.tax - round(mug.tax * mug.fee / mug.goods)
    assert refund.total == mug.goods + shirt.goods - mug.fee


def test_fixed_fee_per_return_never_exceeds_the_goods():
    policy = ReturnPolicy(restocking_fee_fixed=500)
    refund = refund_for_return(PLACED, [ReturningUnits("l1", 1)], policy, refundable=PAID)
    assert refund.restocking_fee == 500
    assert restocking_fee(ReturnPolicy(restocking_fee_fixed=5_000), 800) == 800


def test_refund_is_capped_at_what_was_captured_and_not_yet_refunded():
    refund = refund_for_return(PLACED, [ReturningUnits("l2", 1)], NO_FEE, refundable=1_000)
    assert refund.total == 1_299 - 155 + 247 and refund.amount == 1_000 and refund.capped


def test_units_beyond_what_shipped_cannot_be_refunded():
    with pytest.raises(DomainError):
        refund_for_return(_after(PLACED, [ReturningUnits("l1", 3)]), [ReturningUnits("l1", 1)], NO_FEE, refundable=PAID)


KIT_ORDER = OrderMoney(
    "EUR",
    (
        OrderLine(
            "k",
            "CAMKIT",
            2,
            50_000,
            line_tax=9_500,
            shipped=2,
            components=(KitComponent("CAM", 1, 300), KitComponent("LENS", 2, 100)),
        ),
    ),
)


def test_kit_parts_are_priced_by_component_value_and_add_up_to_the_kit():
    cam = refund_for_return(KIT_ORDER, [ReturningUnits("k", 1, "CAM")], NO_FEE, refundable=10**9)
    lens = refund_for_return(KIT_ORDER, [ReturningUnits("k", 1, "LENS")], NO_FEE, refundable=10**9)
    # 109 500 split 300 : 2 × 100 → 65 700 for 2 cameras, 43 800 for 4 lenses
    assert cam.total == 32_850 and lens.total == 10_950
    everything = refund_for_return(
        KIT_ORDER, [ReturningUnits("k", 2, "CAM"), ReturningUnits("k", 4, "LENS")], NO_FEE, refundable=10**9
    )
    assert everything.total == financial_view(KIT_ORDER).ordered


def test_split_between_refund_store_credit_and_exchange():
    refund = refund_for_return(PLACED, [ReturningUnits("l1", 2), ReturningUnits("l2", 1)], NO_FEE, refundable=PAID)
    shirts, mug = refund.lines
    plan = plan_resolution(
        refund,
        {"l1": Resolution.EXCHANGE, "l2": Resolution.STORE_CREDIT},
        [Replacement("l1", "SHIRT-L", 2, shirts.amount + 300)],
    )
    assert plan.exchange_credit == shirts.amount and plan.exchange_charge == 300
    assert plan.store_credit == mug.amount and plan.refund == 0
    cheaper = plan_resolution(refund, {"l1": Resolution.EXCHANGE}, [Replacement("l1", "SOCKS", 1, 500)])
    assert cheaper.exchange_credit == 500 and cheaper.refund == refund.total - 500


def test_resolution_never_gives_back_more_than_the_cap():
    refund = refund_for_return(PLACED, [ReturningUnits("l2", 1)], NO_FEE, refundable=700)
    plan = plan_resolution(refund, {"l2": Resolution.STORE_CREDIT})
    assert plan.store_credit == 700 and plan.refund == 0


def _after(order, units):
    counts = {}
    for u in units:
        counts[u.line_id] = counts.get(u.line_id, 0) + u.quantity
    return replace(order, lines=tuple(replace(x, returned=x.returned + counts.get(x.line_id, 0)) for x in order.lines))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.data())
def test_any_sequence_of_returns_adds_up_to_what_was_paid(quantities, data):
    lines = tuple(
        OrderLine(
            f"l{i}", f"S{i}", q, data.draw(st.integers(1, 9_999)), line_tax=data.draw(st.integers(0, 3_000)), shipped=q
        )
        for i, q in enumerate(quantities)
    )
    goods = sum(x.unit_price * x.quantity for x in lines)
    order = OrderMoney("EUR", lines, order_discount=data.draw(st.integers(0, goods)), shipping=777, shipping_tax=77)
    paid = financial_view(order).ordered
    policy = ReturnPolicy(refund_shipping=ShippingRefund.WHEN_ALL_RETURNED)
    refunded = shipping_back = 0
    while any(x.returned < x.shipped for x in order.lines):
        open_lines = [x for x in order.lines if x.returned < x.shipped]
        pick = data.draw(st.sampled_from(open_lines))
        units = [ReturningUnits(pick.line_id, data.draw(st.integers(1, pick.shipped - pick.returned)))]
        refund = refund_for_return(
            order, units, policy, refundable=paid - refunded, shipping_refunded_before=shipping_back
        )
        assert not refund.capped
        refunded, shipping_back = refunded + refund.amount, shipping_back + refund.shipping
        order = _after(order, units)
    assert refunded == paid


def test_graded_units_flow_into_the_refund_with_fee_waivers():
    policy = ReturnPolicy(restocking_fee_percent=Decimal(10))
    graded = [
        GradedUnits("l1", "SHIRT", Grade.RESELLABLE, 1, fee_waived=fee_waived(ReturnReason.TOO_SMALL, policy)),
        GradedUnits("l1", "SHIRT", Grade.DEFECTIVE, 1, fee_waived=fee_waived(ReturnReason.DEFECTIVE, policy)),
        GradedUnits("l2", "MUG", Grade.MISSING, 1),
    ]
    expected = {("l1", "SHIRT"): 2, ("l2", "MUG"): 1}
    result = grade_receipt("rma_1", ReceivingLocation("loc_1", True), expected, graded, policy)
    units = returning_from_grading(result.refundable, kit_lines=set())
    assert [(u.line_id, u.quantity, u.fee_applies) for u in units] == [("l1", 1, True), ("l1", 1, False)]
    refund = refund_for_return(PLACED, units, policy, refundable=PAID)
    resellable, defective = refund.lines
    assert resellable.fee == round(resellable.goods / 10) and defective.fee == 0
    assert all(line.sku == "SHIRT" for line in refund.lines)  # the missing mug is not refunded
