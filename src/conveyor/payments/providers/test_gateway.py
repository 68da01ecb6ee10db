"""The built-in `test` gateway: behaves like a card processor, for demos and tests. No network.

Cards decide the outcome, using Stripe's documented test numbers and decline codes
(https://docs.stripe.com/testing#declined-payments), so a demo that runs here runs the same way
against Stripe in test mode. Stripe's `pm_card_…` test PaymentMethod ids work too.

  4242 4242 4242 4242   succeeds (so does any other valid number)
  4000 0000 0000 0002   declined: generic_decline
  4000 0000 0000 9995   declined: insufficient_funds
  4000 0000 0000 9987   declined: lost_card
  4000 0000 0000 9979   declined: stolen_card
  4000 0000 0000 0069   declined: expired_card
  4000 0000 0000 0127   declined: incorrect_cvc
  4000 0000 0000 6975   declined: card_velocity_exceeded
  4000 0000 0000 0119   failed: processing_error (retryable)
  4242 4242 4242 4241   failed: incorrect_number (fails the Luhn check)
  4000 0000 0000 0408   Conveyor's own (Stripe has none): the authorization happens, but the answer
                        is lost — the caller sees a timeout; a retry with the same key replays success

Like a real processor: authorizations expire after `authorization_days` (Stripe: 7 for online card
payments), a capture after expiry is refused, several partial captures may follow one authorization
up to its amount (`final=True` releases the rest), refunds go up to what was captured, and an
idempotency key replays its first result. State lives in the injected `GatewayStore`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from conveyor.payments.gateway import AuthorizeRequest, Outcome
from conveyor.payments.providers.in_process import InProcessGateway, SourceRefusal
from conveyor.payments.providers.store import GatewayStore
from conveyor.shared.clock import utcnow

TIMEOUT_CARD = "4000000000000408"


_DECLINED = "Your card was declined."
CARD_BEHAVIOUR: dict[str, SourceRefusal] = {
    "4000000000000002": SourceRefusal(Outcome.DECLINED, "generic_decline", _DECLINED),
    "4000000000009995": SourceRefusal(Outcome.DECLINED, "insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": SourceRefusal(Outcome.DECLINED, "lost_card", _DECLINED),
    "4000000000009979": SourceRefusal(Outcome.DECLINED, "stolen_card", _DECLINED),
    "4000000000000069": SourceRefusal(Outcome.DECLINED, "expired_card", "Your card has expired."),
    "4000000000000127": SourceRefusal(Outcome.DECLINED, "incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000006975": SourceRefusal(
        Outcome.DECLINED,
        "card_velocity_exceeded",
        "Your card was declined for making repeated attempts too frequently or exceeding its amount limit.",
    ),
    "4000000000000119": SourceRefusal(
        Outcome.FAILED,
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
        retryable=True,
    ),
}

# Stripe's test PaymentMethods (https://docs.stripe.com/testing), mapped to the cards they stand for.
STRIPE_TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
}


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def card_number(token: str) -> str:
    token = token.strip()
    return STRIPE_TEST_PAYMENT_METHODS.get(token, token.replace(" ", "").replace("-", ""))


class TestGateway(InProcessGateway):
    """A card processor in a box. `simulate_timeout(op)` makes the next `op` happen but lose its answer."""

    __test__ = False  # not a pytest test class, despite its name
    name = "test"
    reference_prefix = "tst"

    def __init__(
        self,
        store: GatewayStore | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        authorization_days: int = 7,
    ) -> None:
        super().__init__(store, clock=clock, authorization_period=timedelta(days=authorization_days))

    def _refusal(self, request: AuthorizeRequest) -> SourceRefusal | None:
        number = card_number(request.source.token)
        if not luhn_valid(number):
            return SourceRefusal(Outcome.FAILED, "incorrect_number", "Your card number is incorrect.")
        return CARD_BEHAVIOUR.get(number)

    def _answer_is_lost(self, request: AuthorizeRequest) -> bool:
        return card_number(request.source.token) == TIMEOUT_CARD

    def _describe_source(self, request: AuthorizeRequest) -> dict[str, Any]:
        return {"source": "card", "card_last4": card_number(request.source.token)[-4:]}
