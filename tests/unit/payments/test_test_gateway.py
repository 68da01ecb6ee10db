"""The built-in test gateway behaves like a card processor: declines by card, expiring
authorizations, partial captures, refunds up to captured, idempotent replays and lost answers."""

import pytest

from conveyor.payments.gateway import AuthorizeRequest, Operation, Outcome, PaymentSource
from conveyor.payments.providers.store import InMemoryGatewayStore
from conveyor.payments.providers.test_gateway import TIMEOUT_CARD, TestGateway, luhn_valid
from conveyor.shared.money import Money
from tests.unit.payments.helpers import Clock, card, eur

VISA = "4242424242424242"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def gateway(clock):
    return TestGateway(clock=clock)


def authorized(gateway, minor=10_000, key="auth-1"):
    result = gateway.authorize(card(VISA, minor), idempotency_key=key)
    assert result.outcome is Outcome.SUCCEEDED
    return result.provider_reference


@pytest.mark.parametrize(
    ("number", "outcome", "code", "message"),
    [
        ("4000000000000002", Outcome.DECLINED, "generic_decline", "Your card was declined."),
        ("4000000000009995", Outcome.DECLINED, "insufficient_funds", "Your card has insufficient funds."),
        ("4000000000009987", Outcome.DECLINED, "lost_card", "Your card was declined."),
        ("4000000000009979", Outcome.DECLINED, "stolen_card", "Your card was declined."),
        ("4000000000000069", Outcome.DECLINED, "expired_card", "Your card has expired."),
        ("4000000000000127", Outcome.DECLINED, "incorrect_cvc", "Your card's security code is incorrect."),
        ("4000000000000119", Outcome.FAILED, "processing_error", "An error occurred while processing your card"),
        ("4242424242424241", Outcome.FAILED, "incorrect_number", "Your card number is incorrect."),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", Outcome.DECLINED, "insufficient_funds", "insufficient"),
    ],
)
def test_stripe_test_cards_decline_with_stripes_codes(gateway, number, outcome, code, message):
    result = gateway.authorize(card(number), idempotency_key=f"k-{number}")
    assert result.outcome is outcome
    assert result.error_code == code
    assert message in result.message
    assert result.provider_reference is None  # nothing was authorized


def test_processing_error_is_retryable_but_a_decline_is_not(gateway):
    assert gateway.authorize(card("4000000000000119"), idempotency_key="a").retryable
    assert not gateway.authorize(card("4000000000000002"), idempotency_key="b").retryable


def test_successful_authorization_expires_after_seven_days(gateway, clock):
    result = gateway.authorize(card(VISA, 12_345), idempotency_key="k")
    assert result.amount == eur(12_345)
    assert result.authorization_expires_at == clock.now.replace(day=clock.now.day + 7)
    assert result.provider_reference.startswith("tst_")


def test_partial_captures_add_up_to_the_authorized_amount_and_no_further(gateway):
    ref = authorized(gateway, 10_000)
    assert gateway.capture(ref, eur(3_000), idempotency_key="c1").outcome is Outcome.SUCCEEDED
    assert gateway.capture(ref, eur(7_000), idempotency_key="c2").outcome is Outcome.SUCCEEDED
    over = gateway.capture(ref, eur(1), idempotency_key="c3")
    assert over.outcome is Outcome.FAILED and over.error_code == "payment_intent_unexpected_state"
    assert gateway.payment(ref)["captured"] == 10_000


def test_capture_beyond_what_is_left_is_refused_with_the_capturable_amount(gateway):
    ref = authorized(gateway, 10_000)
    gateway.capture(ref, eur(6_000), idempotency_key="c1")
    over = gateway.capture(ref, eur(4_001), idempotency_key="c2")
    assert over.outcome is Outcome.FAILED and over.error_code == "amount_too_large"
    assert "40.00 EUR is capturable" in over.message


def test_final_capture_releases_the_rest(gateway):
    ref = authorized(gateway, 10_000)
    gateway.capture(ref, eur(4_000), idempotency_key="c1", final=True)
    again = gateway.capture(ref, eur(1_000), idempotency_key="c2")
    assert again.outcome is Outcome.FAILED


def test_capture_after_the_authorization_expired_is_refused(gateway, clock):
    ref = authorized(gateway)
    clock.advance(days=7)
    result = gateway.capture(ref, eur(1_000), idempotency_key="late")
    assert result.outcome is Outcome.FAILED
    assert result.error_code == "authorization_expired"
    assert "authorize again" in result.message


def test_capture_just_before_expiry_still_works(gateway, clock):
    ref = authorized(gateway)
    clock.advance(days=6, hours=23)
    assert gateway.capture(ref, eur(1_000), idempotency_key="in-time").succeeded


def test_voiding_an_expired_authorization_releases_nothing_but_succeeds(gateway, clock):
    ref = authorized(gateway)
    clock.advance(days=8)
    result = gateway.void(ref, idempotency_key="v")
    assert result.succeeded and result.amount == eur(0)


def test_void_releases_what_is_held_and_blocks_later_captures(gateway):
    ref = authorized(gateway, 10_000)
    gateway.capture(ref, eur(2_500), idempotency_key="c1")
    voided = gateway.void(ref, idempotency_key="v")
    assert voided.succeeded and voided.amount == eur(7_500)
    assert not gateway.capture(ref, eur(100), idempotency_key="c2").succeeded


def test_refunds_go_up_to_what_was_captured(gateway):
    ref = authorized(gateway, 10_000)
    gateway.capture(ref, eur(6_000), idempotency_key="c1")
    assert gateway.refund(ref, eur(4_000), idempotency_key="r1").succeeded
    over = gateway.refund(ref, eur(2_001), idempotency_key="r2")
    assert over.outcome is Outcome.FAILED and over.error_code == "amount_too_large"
    assert gateway.refund(ref, eur(2_000), idempotency_key="r3").succeeded
    assert gateway.payment(ref)["refunded"] == 6_000


def test_nothing_is_refundable_before_capture(gateway):
    ref = authorized(gateway)
    assert gateway.refund(ref, eur(1), idempotency_key="r").error_code == "amount_too_large"


def test_charge_captures_at_once_and_is_refundable(gateway):
    result = gateway.charge(card(VISA, 5_000), idempotency_key="ch")
    assert result.succeeded and result.authorization_expires_at is None
    assert gateway.refund(result.provider_reference, eur(5_000), idempotency_key="r").succeeded


def test_same_key_replays_the_first_result_without_moving_money_twice(gateway):
    ref = authorized(gateway, 10_000)
    gateway.capture(ref, eur(10_000), idempotency_key="c")
    replayed = gateway.capture(ref, eur(10_000), idempotency_key="c")
    assert replayed.succeeded and replayed.raw["idempotent_replayed"] is True
    assert gateway.payment(ref)["captured"] == 10_000
    gateway.refund(ref, eur(500), idempotency_key="r2")
    again = gateway.refund(ref, eur(500), idempotency_key="r2")
    assert again.succeeded
    assert gateway.payment(ref)["refunded"] == 500


def test_a_decline_is_replayed_too(gateway):
    first = gateway.authorize(card("4000000000000002"), idempotency_key="k")
    second = gateway.authorize(card("4000000000000002"), idempotency_key="k")
    assert second.outcome is Outcome.DECLINED and second.error_code == first.error_code


def test_same_key_for_a_different_request_is_refused(gateway):
    gateway.authorize(card(VISA, 1_000), idempotency_key="k")
    reused = gateway.authorize(card(VISA, 2_000), idempotency_key="k")
    assert reused.outcome is Outcome.FAILED and reused.error_code == "idempotency_key_reused"


def test_missing_key_is_refused(gateway):
    assert gateway.authorize(card(VISA), idempotency_key="").error_code == "idempotency_key_missing"


def test_timeout_card_authorizes_but_loses_the_answer_and_a_retry_learns_it(gateway):
    lost = gateway.authorize(card(TIMEOUT_CARD, 4_200), idempotency_key="k")
    assert lost.outcome is Outcome.TIMEOUT and lost.outcome_unknown and lost.retryable
    assert "retry with the same idempotency key" in lost.message
    retried = gateway.authorize(card(TIMEOUT_CARD, 4_200), idempotency_key="k")
    assert retried.succeeded and retried.amount == eur(4_200)


def test_simulated_refund_timeout_happened_exactly_once(gateway):
    ref = authorized(gateway, 10_000)
    gateway.capture(ref, eur(10_000), idempotency_key="c")
    gateway.simulate_timeout(Operation.REFUND)
    assert gateway.refund(ref, eur(3_000), idempotency_key="r").outcome is Outcome.TIMEOUT
    assert gateway.refund(ref, eur(3_000), idempotency_key="r").succeeded
    assert gateway.payment(ref)["refunded"] == 3_000  # the retry did not refund a second time


def test_state_survives_in_the_injected_store(clock):
    store = InMemoryGatewayStore()
    ref = authorized(TestGateway(store, clock=clock), 10_000)
    restarted = TestGateway(store, clock=clock)
    assert restarted.capture(ref, eur(10_000), idempotency_key="c").succeeded
    replay = restarted.authorize(card(VISA, 10_000), idempotency_key="auth-1")
    assert replay.provider_reference == ref


def test_wrong_currency_and_unknown_reference_are_refused(gateway):
    ref = authorized(gateway)
    assert gateway.capture(ref, Money(100, "USD"), idempotency_key="c").error_code == "resource_missing"
    assert gateway.refund("tst_nope", eur(100), idempotency_key="r").error_code == "resource_missing"


def test_zero_amount_is_refused(gateway):
    result = gateway.authorize(AuthorizeRequest(eur(0), PaymentSource("card", VISA), "o"), idempotency_key="z")
    assert result.outcome is Outcome.FAILED and result.error_code == "amount_too_small"


def test_luhn():
    assert luhn_valid("4242424242424242") and luhn_valid(TIMEOUT_CARD)
    assert not luhn_valid("4242424242424241") and not luhn_valid("42") and not luhn_valid("abcd")
