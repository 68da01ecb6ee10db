"""Money as integer minor units plus an ISO 4217 code. Never floats.

The exponent (how many minor digits) comes from the currency: JPY 0, USD 2, BHD 3.
In the API amounts are decimal strings such as "199.00".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision, list_currencies

from conveyor.shared.errors import ErrorCode, ValidationFailed

AMOUNT_PATTERN = r"^-?\d{1,15}(\.\d{1,4})?$"
# The largest amount in minor units that storage holds (64-bit columns).
MAX_MINOR = 2**63 - 1
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    if not isinstance(code, str) or code.upper() != code or code not in _known_currencies():
        raise ValidationFailed(f"unknown currency {code!r}", ErrorCode.UNKNOWN_CURRENCY, currency=code)
    return code


@lru_cache(maxsize=512)
def exponent(currency: str) -> int:
    check_currency(currency)
    return get_currency_precision(currency)


def to_minor(amount: str | Decimal | int, currency: str) -> int:
    """Parse a decimal amount into minor units, refusing more digits than the currency has."""
    digits = exponent(currency)
    if isinstance(amount, str):
        if not _AMOUNT_RE.match(amount):
            raise ValidationFailed(f"amount {amount!r} is not a decimal string", amount=amount)
        value = Decimal(amount)
    else:
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:  # pragma: no cover - Decimal(int) never fails
            raise ValidationFailed(f"amount {amount!r} is not a number") from exc
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(
            f"amount {amount} has more than {digits} decimal places for {currency}", amount=str(amount)
        )
    return int(scaled)


def to_minor_rounded(amount: Decimal, currency: str) -> int:
    """Round half-even (banker's rounding) to the currency's minor unit; for computed amounts."""
    return int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def format_minor(minor: int, currency: str) -> str:
    digits = exponent(currency)
    if digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    @classmethod
    def parse(cls, amount: str, currency: str) -> Money:
        return cls(to_minor(amount, currency), currency)

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        return Money(self.minor * factor, self.currency)

    @property
    def amount(self) -> str:
        return format_minor(self.minor, self.currency)
