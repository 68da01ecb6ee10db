"""Manual payments (cash, bank transfer): staff mark them paid; refunds are recorded, not sent."""

from conveyor.payments.gateway import AuthorizeRequest, Outcome, PaymentSource
from conveyor.payments.providers.manual import ManualGateway
from tests.unit.payments.helpers import Clock, eur


def transfer(minor=5_000, kind="bank_transfer"):
    return AuthorizeRequest(eur(minor), PaymentSource(kind, "transfer ref 2026-118"), "ord_7")


def test_bank_transfer_is_expected_then_marked_paid_in_parts():
    gateway = ManualGateway(clock=Clock())
    expected = gateway.authorize(transfer(5_000), idempotency_key="a")
    assert expected.succeeded and expected.authorization_expires_at is None  # a promise never expires
    ref = expected.provider_reference
    assert gateway.mark_paid(ref, eur(2_000), idempotency_key="p1").succeeded
    assert gateway.mark_paid(ref, eur(3_000), idempotency_key="p2").succeeded
    assert gateway.mark_paid(ref, eur(1), idempotency_key="p3").outcome is Outcome.FAILED  # more than expected
    assert gateway.payment(ref)["captured"] == 5_000


def test_no_expiry_even_after_months():
    clock = Clock()
    gateway = ManualGateway(clock=clock)
    ref = gateway.authorize(transfer(), idempotency_key="a").provider_reference
    clock.advance(days=120)
    assert gateway.mark_paid(ref, eur(5_000), idempotency_key="p").succeeded


def test_refund_is_recorded_not_sent_and_says_how_to_pay_back():
    gateway = ManualGateway()
    ref = gateway.charge(transfer(3_000, "cash"), idempotency_key="c").provider_reference
    refund = gateway.refund(ref, eur(1_250), idempotency_key="r")
    assert refund.succeeded
    assert refund.raw["sent"] is False and refund.raw["pay_back"] == "12.50"
    assert "recorded, not sent" in refund.message and "by cash" in refund.message
    assert gateway.refund(ref, eur(1_751), idempotency_key="r2").outcome is Outcome.FAILED


def test_cards_are_not_manual_payments():
    result = ManualGateway().authorize(transfer(kind="card"), idempotency_key="a")
    assert result.outcome is Outcome.FAILED and result.error_code == "unsupported_method"


def test_void_when_the_customer_never_pays():
    gateway = ManualGateway()
    ref = gateway.authorize(transfer(5_000), idempotency_key="a").provider_reference
    assert gateway.void(ref, idempotency_key="v").amount == eur(5_000)
    assert not gateway.mark_paid(ref, eur(5_000), idempotency_key="p").succeeded
