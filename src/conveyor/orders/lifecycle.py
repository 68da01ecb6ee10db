"""The order state machine (pure logic).

An order's status follows from its lines' quantity buckets (`derive_status`), except for the
hold, which is a flag laid over it. Every change goes through `check_transition`, so a status can
only move along the edges below; anything else is an `illegal_transition` (HTTP 409).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from conveyor.shared.errors import DomainError, ErrorCode


class Status(StrEnum):
    PENDING = "pending"
    ALLOCATED = "allocated"
    BACKORDERED = "backordered"
    ON_HOLD = "on_hold"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.PENDING: frozenset({S.ALLOCATED, S.BACKORDERED, S.ON_HOLD, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.BACKORDERED, S.ON_HOLD, S.PARTIALLY_FULFILLED, S.FULFILLED, S.DELIVERED,
                            S.CANCELLED, S.PENDING}),
    S.BACKORDERED: frozenset({S.ALLOCATED, S.ON_HOLD, S.PARTIALLY_FULFILLED, S.FULFILLED, S.DELIVERED,
                              S.CANCELLED}),
    S.ON_HOLD: frozenset({S.PENDING, S.ALLOCATED, S.BACKORDERED, S.PARTIALLY_FULFILLED, S.CANCELLED}),
    S.PARTIALLY_FULFILLED: frozenset({S.FULFILLED, S.DELIVERED, S.ON_HOLD, S.BACKORDERED}),
    S.FULFILLED: frozenset({S.DELIVERED, S.COMPLETED}),
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
HOLDABLE = frozenset({S.PENDING, S.ALLOCATED, S.BACKORDERED, S.PARTIALLY_FULFILLED})
CANCELLABLE = frozenset({S.PENDING, S.ALLOCATED, S.BACKORDERED, S.ON_HOLD, S.PARTIALLY_FULFILLED})


class IllegalTransition(DomainError):
    def __init__(self, current: str, wanted: str, action: str) -> None:
        super().__init__(
            ErrorCode.ILLEGAL_TRANSITION,
            f"cannot {action} an order that is {current}",
            current_status=current, wanted_status=wanted, action=action,
        )


def check_transition(current: str, wanted: str, action: str) -> None:
    if current == wanted:
        return
    if Status(wanted) not in TRANSITIONS[Status(current)]:
        raise IllegalTransition(current, wanted, action)


@dataclass(frozen=True, slots=True)
class Buckets:
    quantity: int
    allocated: int = 0
    backordered: int = 0
    shipped: int = 0
    delivered: int = 0
    cancelled: int = 0

    @property
    def unassigned(self) -> int:
        return self.quantity - self.allocated - self.backordered - self.shipped - self.cancelled


def derive_status(lines: Iterable[Buckets]) -> Status:
    """The status an order's lines put it in (ignoring holds)."""
    lines = list(lines)
    if all(b.cancelled == b.quantity for b in lines):
        return S.CANCELLED
    shipped = sum(b.shipped for b in lines)
    open_units = sum(b.allocated + b.backordered + b.unassigned for b in lines)
    if shipped == 0:
        if any(b.unassigned for b in lines):
            return S.PENDING
        return S.BACKORDERED if any(b.backordered for b in lines) else S.ALLOCATED
    if open_units:
        return S.PARTIALLY_FULFILLED
    delivered = sum(b.delivered for b in lines)
    return S.DELIVERED if delivered == shipped else S.FULFILLED
