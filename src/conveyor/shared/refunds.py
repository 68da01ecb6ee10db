"""What a refunded line is to the modules that act on one without importing returns: payments
splits the money back over captures, billing writes the credit note. `returns.refunds.RefundLine`
is the one implementation."""

from __future__ import annotations

from typing import Protocol


class RefundedLine(Protocol):
    """Amounts in the order's currency, minor units."""

    @property
    def line_id(self) -> str: ...
    @property
    def sku(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def goods(self) -> int: ...
    @property
    def fee(self) -> int: ...
    @property
    def tax_refunded(self) -> int: ...
    @property
    def amount(self) -> int: ...
