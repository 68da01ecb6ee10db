"""A payment's totals from its attempts, and the capture/refund/void rules — including money
spoken for by attempts still in flight, which is what stops concurrent refunds over-refunding."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conveyor.payments.gateway import GatewayResult, Operation, Outcome
from conveyor.payments.state import (
    PaymentAttempt,
    attempt_key,
    check_capture,
    check_refund,
    check_void,
    latest_per_key,
    payment_totals,
)
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.money import Money
from tests.unit.payments.helpers import START, eur

EXPIRES = START + timedelta(days=7)


def attempt(op, minor, key, outcome=Outcome.SUCCEEDED, minutes=0, final=False, expires=None):
    at = START + timedelta(minutes=minutes)
    result = None
    if outcome is not None:
        result = GatewayResult(
            op, outcome, eur(minor), "test", provider_reference="tst_1", authorization_expires_at=expires
        )
    return PaymentAttempt(op, key, eur(minor), at, result, final)


def authorized(minor=10_000):
    return attempt(Operation.AUTHORIZE, minor, "auth", expires=EXPIRES)


def test_totals_follow_authorize_capture_refund():
    totals = payment_totals(
        [
            authorized(10_000),
            attempt(Operation.CAPTURE, 6_000, "cap1", minutes=1),
            attempt(Operation.REFUND, 1_500, "ref1", minutes=2),
        ],
        "EUR",
    )
    assert (totals.authorized, totals.captured, totals.refunded) == (10_000, 6_000, 1_500)
    assert totals.capturable == 4_000 and totals.refundable == 4_500 and totals.net_paid == 4_500
    assert totals.provider_reference == "tst_1" and totals.authorization_expires_at == EXPIRES


def test_declined_and_failed_attempts_move_nothing():
    totals = payment_totals(
        [
            authorized(),
            attempt(Operation.CAPTURE, 5_000, "c", Outcome.FAILED, minutes=1),
            attempt(Operation.REFUND, 100, "r", Outcome.DECLINED, minutes=2),
        ],
        "EUR",
    )
    assert totals.captured == 0 and totals.refunded == 0 and totals.capturable == 10_000


def test_final_capture_and_void_release_what_is_held():
    final = payment_totals([authorized(), attempt(Operation.CAPTURE, 3_000, "c", minutes=1, final=True)], "EUR")
    assert final.released == 7_000 and final.capturable == 0 and final.held == 0
    voided = payment_totals([authorized(), attempt(Operation.VOID, 0, "v", minutes=1)], "EUR")
    assert voided.released == 10_000 and voided.capturable == 0


def test_charge_counts_as_authorized_and_captured():
    totals = payment_totals([attempt(Operation.CHARGE, 4_000, "ch")], "EUR")
    assert totals.captured == 4_000 and totals.refundable == 4_000 and totals.capturable == 0


def test_in_flight_and_unknown_refunds_are_spoken_for():
    totals = payment_totals(
        [
            attempt(Operation.CHARGE, 10_000, "ch"),
            attempt(Operation.REFUND, 3_000, "r1", outcome=None, minutes=1),  # recorded before the call
            attempt(Operation.REFUND, 2_000, "r2", outcome=Outcome.TIMEOUT, minutes=2),
        ],
        "EUR",
    )
    assert totals.refund_pending == 5_000 and totals.refundable == 5_000 and totals.outcome_unknown
    with pytest.raises(DomainError) as refused:
        check_refund(totals, eur(5_001))
    assert refused.value.code is ErrorCode.REFUND_EXCEEDS_CAPTURED
    assert "50.00 EUR of refunds still in flight" in refused.value.detail
    check_refund(totals, eur(5_000))


def test_a_retry_with_the_same_key_replaces_the_unknown_attempt():
    lost = attempt(Operation.REFUND, 3_000, "r1", outcome=Outcome.TIMEOUT, minutes=1)
    retried = attempt(Operation.REFUND, 3_000, "r1", minutes=2)
    totals = payment_totals([attempt(Operation.CHARGE, 10_000, "ch"), lost, retried], "EUR")
    assert totals.refunded == 3_000 and totals.refund_pending == 0 and not totals.outcome_unknown


def test_latest_per_key_keeps_the_newest():
    a, b = attempt(Operation.REFUND, 1, "k", Outcome.TIMEOUT, 1), attempt(Operation.REFUND, 1, "k", minutes=5)
    assert latest_per_key([b, a]) == [b]


def test_expired_authorization_has_nothing_capturable():
    totals = payment_totals([authorized(), attempt(Operation.CAPTURE, 2_000, "c", minutes=1)], "EUR", now=EXPIRES)
    assert totals.expired == 8_000 and totals.capturable == 0 and totals.refundable == 2_000
    with pytest.raises(DomainError) as refused:
        check_capture(totals, eur(100))
    assert refused.value.code is ErrorCode.AUTHORIZATION_EXPIRED
    assert "authorize again" in refused.value.detail


def test_check_capture_with_now_refuses_even_if_totals_were_folded_earlier():
    totals = payment_totals([authorized()], "EUR")
    check_capture(totals, eur(10_000), now=EXPIRES - timedelta(seconds=1))
    with pytest.raises(DomainError):
        check_capture(totals, eur(100), now=EXPIRES)


def test_capture_beyond_capturable_names_the_amount():
    totals = payment_totals([authorized(), attempt(Operation.CAPTURE, 7_000, "c", outcome=None, minutes=1)], "EUR")
    with pytest.raises(DomainError) as refused:
        check_capture(totals, eur(3_001))
    assert refused.value.code is ErrorCode.CAPTURE_EXCEEDS_AUTHORIZED
    assert refused.value.extra["capturable"] == "30.00"


def test_refund_and_capture_must_be_positive_and_same_currency():
    totals = payment_totals([attempt(Operation.CHARGE, 1_000, "ch")], "EUR")
    with pytest.raises(DomainError) as wrong:
        check_refund(totals, Money(100, "USD"))
    assert wrong.value.code is ErrorCode.CURRENCY_MISMATCH
    with pytest.raises(DomainError):
        check_refund(totals, eur(0))


def test_void_needs_something_held_and_no_capture_in_flight():
    with pytest.raises(DomainError) as nothing:
        check_void(payment_totals([attempt(Operation.CHARGE, 1_000, "ch")], "EUR"))
    assert nothing.value.code is ErrorCode.PAYMENT_STATE
    with pytest.raises(DomainError):
        check_void(payment_totals([authorized(), attempt(Operation.CAPTURE, 10, "c", None, 1)], "EUR"))
    check_void(payment_totals([authorized()], "EUR"))


def test_attempt_keys_are_deterministic():
    assert attempt_key("pay_1", Operation.REFUND, 2) == "pay_1:refund:2" == attempt_key("pay_1", Operation.REFUND, 2)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["capture", "refund"]),
            st.integers(1, 4_000),
            st.sampled_from([Outcome.SUCCEEDED, Outcome.TIMEOUT, None]),
        ),
        max_size=30,
    )
)
def test_checked_attempts_never_capture_more_than_authorized_nor_refund_more_than_captured(steps):
    """Any sequence of attempts admitted by the checks keeps the invariants, whatever their outcome."""
    attempts = [authorized(10_000)]
    for n, (kind, minor, outcome) in enumerate(steps, start=1):
        totals = payment_totals(attempts, "EUR")
        op = Operation.CAPTURE if kind == "capture" else Operation.REFUND
        try:
            (check_capture if op is Operation.CAPTURE else check_refund)(totals, eur(minor))
        except DomainError:
            continue
        attempts.append(attempt(op, minor, f"k{n}", outcome, minutes=n))
    totals = payment_totals(attempts, "EUR")
    assert totals.captured + totals.capture_pending <= totals.authorized
    assert totals.refunded + totals.refund_pending <= totals.captured
