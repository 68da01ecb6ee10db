"""Return eligibility: window per channel, non-returnable SKUs, final sale, quantities, kits —
each refusal with a stable code and a clear message, all of a request's problems at once."""

from datetime import UTC, datetime, timedelta

import pytest

from conveyor.billing.financials import KitComponent
from conveyor.returns.policy import (
    RequestedLine,
    ReturnPolicy,
    ReturnReason,
    ShippedLine,
    WindowStart,
    check_return_request,
    returnable_units,
    window_closes_at,
)
from conveyor.shared.errors import ErrorCode, ValidationFailed

SHIPPED = datetime(2026, 10, 1, 12, tzinfo=UTC)
DELIVERED = SHIPPED + timedelta(days=3)
POLICY = ReturnPolicy(window_days=30, non_returnable_skus=frozenset({"GIFTCARD"}))
KIT = (KitComponent("CAM", 1, 300), KitComponent("LENS", 2, 100))


def line(line_id="l1", sku="SHIRT", shipped=3, **kw):
    return ShippedLine(line_id, sku, shipped, shipped_at=SHIPPED, delivered_at=DELIVERED, **kw)


def ask(line_id="l1", quantity=1, reason=ReturnReason.TOO_SMALL, **kw):
    return RequestedLine(line_id, quantity, reason, **kw)


def refusal(lines, request, now=DELIVERED, policy=POLICY, **kw):
    with pytest.raises(ValidationFailed) as refused:
        check_return_request({x.line_id: x for x in lines}, request, policy, now, **kw)
    assert refused.value.code is ErrorCode.RETURN_NOT_ALLOWED
    return refused.value


def test_a_shipped_line_within_the_window_is_approved():
    approved = check_return_request({"l1": line()}, [ask(quantity=2)], POLICY, DELIVERED + timedelta(days=29))
    assert [(a.request.line_id, a.request.quantity, a.waived) for a in approved] == [("l1", 2, ())]


def test_window_counts_from_delivery_or_from_shipment():
    assert window_closes_at(line(), POLICY) == DELIVERED + timedelta(days=30)
    by_shipment = ReturnPolicy(window_days=14, window_starts=WindowStart.SHIPMENT)
    assert window_closes_at(line(), by_shipment) == SHIPPED + timedelta(days=14)
    never_scanned = ShippedLine("l1", "SHIRT", 1, shipped_at=SHIPPED)
    assert window_closes_at(never_scanned, POLICY) == SHIPPED + timedelta(days=30)


def test_closed_window_is_refused_with_the_date():
    error = refusal([line()], [ask()], now=DELIVERED + timedelta(days=30, seconds=1))
    assert error.extra["problems"] == [
        {"line_id": "l1", "code": "return_window_closed", "message": "the 30-day return window closed on 2026-11-03"}
    ]


def test_staff_may_waive_the_window_and_final_sale_but_it_is_recorded():
    late = DELIVERED + timedelta(days=45)
    approved = check_return_request({"l1": line(final_sale=True)}, [ask()], POLICY, late, staff_override=True)
    assert {code.value for code in approved[0].waived} == {"return_window_closed", "final_sale"}


def test_staff_cannot_waive_quantities():
    error = refusal([line(shipped=1)], [ask(quantity=2)], staff_override=True)
    assert error.extra["problems"][0]["code"] == "quantity_exceeds_returnable"


def test_all_problems_are_reported_together():
    lines = [line("l1", "GIFTCARD"), line("l2", final_sale=True), line("l3", shipped=0), line("l4", returned=3)]
    error = refusal(lines, [ask("l1"), ask("l2"), ask("l3"), ask("l4"), ask("l9")])
    codes = {(p["line_id"], p["code"]) for p in error.extra["problems"]}
    assert codes == {
        ("l1", "non_returnable_sku"),
        ("l2", "final_sale"),
        ("l3", "not_shipped"),
        ("l4", "quantity_exceeds_returnable"),
        ("l9", "unknown_line"),
    }
    assert "GIFTCARD cannot be returned" in error.detail


def test_already_returned_or_requested_units_count_and_split_requests_add_up():
    assert returnable_units(line(shipped=3, returned=1)) == 2
    error = refusal([line(shipped=3, returned=1)], [ask(quantity=1), ask(quantity=2, reason=ReturnReason.DEFECTIVE)])
    assert error.extra["problems"][0]["message"] == "3 × SHIRT requested, 2 can be returned"
    approved = check_return_request(
        {"l1": line()}, [ask(quantity=1), ask(quantity=2, reason=ReturnReason.DEFECTIVE)], POLICY, DELIVERED
    )
    assert [a.request.reason for a in approved] == [ReturnReason.TOO_SMALL, ReturnReason.DEFECTIVE]


def test_other_needs_a_note_and_zero_units_are_refused():
    error = refusal([line()], [ask(reason=ReturnReason.OTHER), ask(quantity=0)])
    assert {p["code"] for p in error.extra["problems"]} == {"note_required", "quantity_exceeds_returnable"}
    check_return_request({"l1": line()}, [ask(reason=ReturnReason.OTHER, note="gift duplicate")], POLICY, DELIVERED)


def test_kit_returns_whole_by_default():
    kit = line("k", "CAMKIT", 2, components=KIT)
    assert returnable_units(kit) == 2
    check_return_request({"k": kit}, [ask("k", 2)], POLICY, DELIVERED)
    error = refusal([kit], [ask("k", 1, component_sku="LENS")])
    assert error.extra["problems"][0]["code"] == "kit_returns_whole_only"


def test_kit_parts_when_the_channel_allows_them():
    parts = ReturnPolicy(kit_parts_returnable=True)
    kit = line("k", "CAMKIT", 2, components=KIT, component_returned={"LENS": 3})
    assert returnable_units(kit, "LENS") == 1 and returnable_units(kit, "CAM") == 2
    assert returnable_units(kit) == 0  # no whole kit is left: three of four lenses came back
    check_return_request({"k": kit}, [ask("k", 1, component_sku="LENS")], parts, DELIVERED)
    error = refusal([kit], [ask("k", 2, component_sku="LENS"), ask("k", 1, component_sku="TRIPOD")], policy=parts)
    assert {p["code"] for p in error.extra["problems"]} == {"quantity_exceeds_returnable", "unknown_kit_component"}
