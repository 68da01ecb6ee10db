"""Purchase order states and what one delivery does to a PO line (pure logic).

    draft ──send──► sent ──receive──► partially_received ──receive──► received ──close──► closed
      │               │                      │                                        ▲
      └──cancel──► cancelled ◄──cancel───────┘(nothing received yet)                 │
                                  partially_received ──close (short)──────────────────┘

A PO that is fully received closes at once unless the settings keep it open for invoice matching
(`received` then waits for `close`). Closing short stops waiting for the rest: what was still
expected leaves the `incoming` bucket.

A delivery line says how many units arrived and how many of them are damaged. Good units go into
stock; damaged ones are written off (they stay owed by the supplier, so the line stays open).
Good units beyond what was ordered are accepted up to the over-receipt tolerance (a percentage of
the ordered quantity, rounded down); more than that is refused as a whole, so nobody counts
twice by accident.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from conveyor.shared.errors import DomainError, ErrorCode, ValidationFailed


class POStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = POStatus
TRANSITIONS: dict[POStatus, frozenset[POStatus]] = {
    S.DRAFT: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.CLOSED, S.CANCELLED}),
    S.PARTIALLY_RECEIVED: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.CLOSED}),
    S.RECEIVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
RECEIVABLE = frozenset({S.SENT, S.PARTIALLY_RECEIVED})
OPEN = frozenset({S.DRAFT, S.SENT, S.PARTIALLY_RECEIVED})


class IllegalPOTransition(DomainError):
    def __init__(self, current: str, wanted: str, action: str) -> None:
        super().__init__(ErrorCode.ILLEGAL_TRANSITION,
                         f"cannot {action} a purchase order that is {current}",
                         current_status=current, wanted_status=wanted)


def check_transition(current: str, wanted: POStatus, action: str) -> POStatus:
    if wanted not in TRANSITIONS.get(POStatus(current), frozenset()):
        raise IllegalPOTransition(current, wanted, action)
    return wanted


@dataclass(frozen=True, slots=True)
class LineState:
    ordered: int
    received: int  # good units so far
    damaged: int = 0

    @property
    def open(self) -> int:
        return max(0, self.ordered - self.received)


@dataclass(frozen=True, slots=True)
class LineReceipt:
    """What one delivery line does: `accepted` good units into stock, of which `against_order`
    fill what was still open (they leave `incoming`) and `over` are beyond the order."""

    arrived: int
    damaged: int
    accepted: int
    against_order: int
    over: int


def tolerance_units(ordered: int, tolerance_percent: float) -> int:
    """Units a line may be over-received by (rounded down, so 5 % of 10 is 0)."""
    return math.floor(ordered * tolerance_percent / 100 + 1e-9)


def receive_line(state: LineState, arrived: int, damaged: int, tolerance_percent: float) -> LineReceipt:
    """Check one delivery line against its PO line; raise if it is impossible or too much."""
    if not isinstance(arrived, int) or not isinstance(damaged, int) or arrived < 0 or damaged < 0:
        raise ValidationFailed("received and damaged quantities must be whole numbers ≥ 0", ErrorCode.INVALID_QUANTITY)
    if damaged > arrived:
        raise ValidationFailed("more units damaged than arrived", ErrorCode.INVALID_QUANTITY,
                               arrived=arrived, damaged=damaged)
    good = arrived - damaged
    allowed = state.ordered + tolerance_units(state.ordered, tolerance_percent)
    if state.received + good > allowed:
        raise DomainError(ErrorCode.OVER_RECEIPT,
                          f"{state.received + good} good units would exceed the {state.ordered} ordered "
                          f"by more than the tolerance ({allowed} at most)",
                          ordered=state.ordered, already_received=state.received, arriving=good, allowed=allowed)
    against = min(good, state.open)
    return LineReceipt(arrived, damaged, good, against, good - against)


def status_after_receipt(lines: list[LineState], auto_close: bool) -> POStatus:
    """Every line received in full (good units): received, or closed at once; else partially."""
    if all(line.open == 0 for line in lines):
        return S.CLOSED if auto_close else S.RECEIVED
    return S.PARTIALLY_RECEIVED
