"""A settable clock and short-hands for payment tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conveyor.payments.gateway import AuthorizeRequest, PaymentSource
from conveyor.shared.money import Money

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def card(number: str, minor: int = 10_000, order: str = "ord_1") -> AuthorizeRequest:
    return AuthorizeRequest(eur(minor), PaymentSource("card", number), order)
