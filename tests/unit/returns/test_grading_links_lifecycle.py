"""Grading decides where each returned unit goes and whether it is refunded; signed links let a
customer start a return; the RMA moves only along allowed steps."""

from datetime import UTC, datetime, timedelta

import pytest

from conveyor.returns.grading import Grade, GradedUnits, ReceivingLocation, StockBucket, grade_receipt
from conveyor.returns.lifecycle import ReturnEvent, ReturnStatus, allowed_events, next_status
from conveyor.returns.links import sign_return_link, verify_return_link
from conveyor.returns.policy import ReturnPolicy
from conveyor.shared.errors import DomainError, ErrorCode, ValidationFailed

STORE = ReceivingLocation("loc_returns", accepts_returns=True)
EXPECTED = {("l1", "SHIRT"): 5, ("l2", "MUG"): 2}


def test_each_grade_has_its_stock_and_refund_outcome():
    graded = [
        GradedUnits("l1", "SHIRT", Grade.RESELLABLE, 2),
        GradedUnits("l1", "SHIRT", Grade.DAMAGED, 1),
        GradedUnits("l1", "SHIRT", Grade.DEFECTIVE, 1, fee_waived=True),
        GradedUnits("l1", "SHIRT", Grade.MISSING, 1),
        GradedUnits("l2", "MUG", Grade.WRONG_ITEM, 2),
    ]
    result = grade_receipt("rma_1", STORE, EXPECTED, graded, ReturnPolicy())
    stock = {(c.sku, c.bucket, c.reason): c.quantity for c in result.stock_changes}
    assert stock == {
        ("SHIRT", StockBucket.AVAILABLE, "return_resellable"): 2,
        ("SHIRT", StockBucket.QUARANTINE, "return_damaged"): 1,
        ("SHIRT", StockBucket.QUARANTINE, "return_defective"): 1,
    }
    assert all(c.location_id == "loc_returns" and c.reference == "rma_1" for c in result.stock_changes)
    refundable = [(u.line_id, u.quantity, u.fee_applies) for u in result.refundable]
    assert refundable == [("l1", 2, True), ("l1", 1, True), ("l1", 1, False)]  # not missing, not wrong item
    assert any("hold it for the customer" in note for note in result.notes)


def test_damaged_units_are_not_refunded_when_the_policy_says_so():
    result = grade_receipt(
        "rma_1",
        STORE,
        {("l1", "SHIRT"): 1},
        [GradedUnits("l1", "SHIRT", Grade.DAMAGED, 1)],
        ReturnPolicy(refund_damaged=False),
    )
    assert result.refundable == () and result.stock_changes[0].bucket is StockBucket.QUARANTINE


def test_every_unit_must_be_graded_exactly_once():
    with pytest.raises(ValidationFailed) as short:
        grade_receipt("rma_1", STORE, EXPECTED, [GradedUnits("l1", "SHIRT", Grade.RESELLABLE, 5)], ReturnPolicy())
    assert "MUG on line l2: 0 graded, 2 expected" in short.value.detail
    with pytest.raises(ValidationFailed):
        grade_receipt(
            "rma_1",
            STORE,
            {("l1", "SHIRT"): 1},
            [GradedUnits("l1", "HAT", Grade.RESELLABLE, 1), GradedUnits("l1", "SHIRT", Grade.RESELLABLE, 1)],
            ReturnPolicy(),
        )


def test_only_a_returns_capable_location_receives():
    warehouse = ReceivingLocation("loc_dc", accepts_returns=False)
    with pytest.raises(ValidationFailed) as refused:
        grade_receipt("rma_1", warehouse, {}, [], ReturnPolicy())
    assert refused.value.extra["reason"] == "location_not_returns_capable"


NOW = datetime(2026, 11, 1, tzinfo=UTC)
SECRET = b"k" * 32


def test_signed_link_round_trips_until_it_expires():
    token = sign_return_link("ord_01jd3k", NOW + timedelta(days=30), SECRET)
    assert verify_return_link(token, SECRET, NOW) == "ord_01jd3k"
    with pytest.raises(ValidationFailed) as expired:
        verify_return_link(token, SECRET, NOW + timedelta(days=30))
    assert expired.value.code is ErrorCode.RETURN_LINK_EXPIRED


@pytest.mark.parametrize("tamper", ["other-key", "order", "expiry", "garbage"])
def test_tampered_links_are_refused(tamper):
    token = sign_return_link("ord_1", NOW + timedelta(days=1), SECRET)
    order, expires, signature = token.split(".")
    forged = {
        "other-key": sign_return_link("ord_1", NOW + timedelta(days=1), b"x" * 32),
        "order": f"{sign_return_link('ord_2', NOW + timedelta(days=1), SECRET).split('.')[0]}.{expires}.{signature}",
        "expiry": f"{order}.{int(expires) + 86_400 * 365}.{signature}",
        "garbage": "not-a-token",
    }[tamper]
    with pytest.raises(ValidationFailed) as refused:
        verify_return_link(forged, SECRET, NOW)
    assert refused.value.code is ErrorCode.INVALID_SIGNATURE


def test_rma_moves_with_and_without_a_label():
    shipped_back = ReturnStatus.REQUESTED
    for event in (
        ReturnEvent.APPROVE,
        ReturnEvent.CREATE_LABEL,
        ReturnEvent.RECEIVE,
        ReturnEvent.GRADE,
        ReturnEvent.RESOLVE,
    ):
        shipped_back = next_status(shipped_back, event)
    assert shipped_back is ReturnStatus.RESOLVED
    in_store = next_status(next_status(ReturnStatus.REQUESTED, ReturnEvent.APPROVE), ReturnEvent.RECEIVE)
    assert in_store is ReturnStatus.RECEIVED


def test_rma_refuses_skipping_steps_and_says_what_is_possible():
    with pytest.raises(DomainError) as refused:
        next_status(ReturnStatus.REQUESTED, ReturnEvent.GRADE)
    assert refused.value.code is ErrorCode.ILLEGAL_TRANSITION
    assert "it can: approve, reject, cancel" in refused.value.detail
    assert allowed_events(ReturnStatus.RESOLVED) == []
