"""Channel payment policy: what happens at placement and shipment, after a gateway answer, and as
authorizations age. Includes the three failure stories end to end on the test gateway: a declined
payment, an expired authorization and a gateway timeout — each with a clear outcome."""

from datetime import timedelta

from conveyor.payments.gateway import GatewayResult, Operation, Outcome
from conveyor.payments.policy import (
    PAYMENT_FAILED_HOLD,
    AuthorizationAction,
    CaptureMode,
    ExpiringAuthorization,
    PaymentPolicy,
    Reaction,
    auto_cancel_at,
    check_authorization,
    placement_step,
    react_to,
    shipment_steps,
    should_auto_cancel,
)
from conveyor.payments.providers.test_gateway import TIMEOUT_CARD, TestGateway
from conveyor.payments.state import PaymentAttempt, check_capture, payment_totals
from conveyor.shared.errors import DomainError, ErrorCode
from tests.unit.payments.helpers import START, Clock, card, eur

DEFAULT = PaymentPolicy()
CHARGE_NOW = PaymentPolicy(capture_mode=CaptureMode.CHARGE_AT_PLACEMENT)


def run(gateway, clock, attempts, op, key, call, amount, final=False):
    """Record an attempt, call the gateway, record the result — as the lead's handler will."""
    attempts.append(PaymentAttempt(op, key, amount, clock.now, None, final))
    result = call()
    attempts[-1] = attempts[-1].resolved(result)
    return result


def test_default_policy_authorizes_at_placement_and_charge_policy_charges():
    assert placement_step(DEFAULT, eur(5_000)).operation is Operation.AUTHORIZE
    assert placement_step(CHARGE_NOW, eur(5_000)).operation is Operation.CHARGE
    assert placement_step(DEFAULT, eur(0)) is None


def test_each_shipment_captures_exactly_its_units_and_the_last_releases_the_rest():
    clock, attempts = Clock(), []
    gateway = TestGateway(clock=clock)
    auth = run(
        gateway,
        clock,
        attempts,
        Operation.AUTHORIZE,
        "a",
        lambda: gateway.authorize(card("4242424242424242", 10_000), idempotency_key="a"),
        eur(10_000),
    )
    first = shipment_steps(DEFAULT, payment_totals(attempts, "EUR"), eur(3_000), last_shipment=False)
    assert [(s.operation, s.amount, s.final) for s in first.steps] == [(Operation.CAPTURE, eur(3_000), False)]
    run(
        gateway,
        clock,
        attempts,
        Operation.CAPTURE,
        "c1",
        lambda: gateway.capture(auth.provider_reference, eur(3_000), idempotency_key="c1"),
        eur(3_000),
    )
    # a line was cancelled: the second and last shipment is worth 5 000, not the 7 000 still held
    last = shipment_steps(DEFAULT, payment_totals(attempts, "EUR"), eur(5_000), last_shipment=True)
    assert [(s.operation, s.amount, s.final) for s in last.steps] == [(Operation.CAPTURE, eur(5_000), True)]
    run(
        gateway,
        clock,
        attempts,
        Operation.CAPTURE,
        "c2",
        lambda: gateway.capture(auth.provider_reference, eur(5_000), idempotency_key="c2", final=True),
        eur(5_000),
        final=True,
    )
    totals = payment_totals(attempts, "EUR")
    assert (totals.captured, totals.released, totals.held) == (8_000, 2_000, 0)


def test_last_shipment_with_nothing_to_capture_voids_the_hold():
    totals = payment_totals(
        [PaymentAttempt(Operation.AUTHORIZE, "a", eur(4_000), START, _ok(Operation.AUTHORIZE, 4_000))], "EUR"
    )
    plan = shipment_steps(DEFAULT, totals, eur(0), last_shipment=True)
    assert [s.operation for s in plan.steps] == [Operation.VOID]


def test_charge_at_placement_moves_no_money_at_shipment():
    plan = shipment_steps(CHARGE_NOW, payment_totals([], "EUR"), eur(3_000), last_shipment=True)
    assert plan.steps == () and plan.shortfall == eur(0)


def test_declined_payment_puts_the_order_on_hold_and_cancels_it_after_the_configured_time():
    clock = Clock()
    gateway = TestGateway(clock=clock)
    result = gateway.authorize(card("4000000000009995"), idempotency_key="a")
    reaction = react_to(result)
    assert reaction.reaction is Reaction.HOLD and reaction.hold_reason == PAYMENT_FAILED_HOLD == "payment_failed"
    assert reaction.detail == "payment declined (insufficient_funds): Your card has insufficient funds."
    policy = PaymentPolicy(cancel_unpaid_after=timedelta(hours=48))
    assert auto_cancel_at(START, policy) == START + timedelta(hours=48)
    assert not should_auto_cancel(START, START + timedelta(hours=47, minutes=59), policy)
    assert should_auto_cancel(START, START + timedelta(hours=48), policy)


def test_expired_authorization_refuses_capture_and_is_reauthorized_or_flagged():
    clock = Clock()
    gateway = TestGateway(clock=clock)
    attempts: list[PaymentAttempt] = []
    auth = run(
        gateway,
        clock,
        attempts,
        Operation.AUTHORIZE,
        "a",
        lambda: gateway.authorize(card("4242424242424242", 6_000), idempotency_key="a"),
        eur(6_000),
    )
    clock.advance(days=6, hours=1)  # within a day of expiry: renew
    soon = check_authorization(payment_totals(attempts, "EUR", clock.now), clock.now, DEFAULT, can_reauthorize=True)
    assert soon.action is AuthorizationAction.REAUTHORIZE and soon.amount == eur(6_000)
    clock.advance(days=1)
    totals = payment_totals(attempts, "EUR", clock.now)
    try:
        check_capture(totals, eur(6_000), clock.now)
        raise AssertionError("capture after expiry must be refused")
    except DomainError as refused:
        assert refused.code is ErrorCode.AUTHORIZATION_EXPIRED
    assert (
        gateway.capture(auth.provider_reference, eur(6_000), idempotency_key="c").error_code == "authorization_expired"
    )
    flagged = check_authorization(totals, clock.now, DEFAULT, can_reauthorize=False)
    assert flagged.action is AuthorizationAction.FLAG and "expired" in flagged.detail
    assert "no reusable payment method" in flagged.detail
    plan = shipment_steps(DEFAULT, totals, eur(6_000), last_shipment=True)
    assert plan.steps == () and plan.shortfall == eur(6_000)


def test_policy_may_always_flag_instead_of_reauthorizing():
    policy = PaymentPolicy(on_expiring_authorization=ExpiringAuthorization.FLAG)
    totals = payment_totals(
        [
            PaymentAttempt(
                Operation.AUTHORIZE, "a", eur(1_000), START, _ok(Operation.AUTHORIZE, 1_000, START + timedelta(days=7))
            )
        ],
        "EUR",
    )
    check = check_authorization(totals, START + timedelta(days=6, hours=12), policy, can_reauthorize=True)
    assert check.action is AuthorizationAction.FLAG
    assert (
        check_authorization(totals, START + timedelta(days=1), policy, can_reauthorize=True).action
        is AuthorizationAction.NONE
    )


def test_gateway_timeout_is_retried_with_the_same_key_and_counted_once():
    clock = Clock()
    gateway = TestGateway(clock=clock)
    attempts: list[PaymentAttempt] = []
    lost = run(
        gateway,
        clock,
        attempts,
        Operation.AUTHORIZE,
        "a",
        lambda: gateway.authorize(card(TIMEOUT_CARD, 7_500), idempotency_key="a"),
        eur(7_500),
    )
    assert lost.outcome is Outcome.TIMEOUT
    reaction = react_to(lost)
    assert reaction.reaction is Reaction.RETRY_SAME_KEY and reaction.hold_reason is None
    unknown = payment_totals(attempts, "EUR")
    assert unknown.outcome_unknown and unknown.capturable == 0  # nothing may be captured while unknown
    clock.advance(seconds=30)
    run(
        gateway,
        clock,
        attempts,
        Operation.AUTHORIZE,
        "a",
        lambda: gateway.authorize(card(TIMEOUT_CARD, 7_500), idempotency_key="a"),
        eur(7_500),
    )
    known = payment_totals(attempts, "EUR")
    assert not known.outcome_unknown and known.authorized == 7_500 and known.capturable == 7_500


def test_retryable_failure_asks_for_a_new_attempt_and_pending_waits():
    gateway = TestGateway()
    assert react_to(gateway.authorize(card("4000000000000119"), idempotency_key="p")).reaction is Reaction.RETRY_NEW_KEY
    pending = GatewayResult(Operation.REFUND, Outcome.PENDING, eur(100), "stripe")
    assert react_to(pending).reaction is Reaction.AWAIT
    assert react_to(_ok(Operation.CAPTURE, 100)).reaction is Reaction.PROCEED


def _ok(op, minor, expires=None):
    return GatewayResult(
        op, Outcome.SUCCEEDED, eur(minor), "test", provider_reference="tst_x", authorization_expires_at=expires
    )
