"""The fulfilment order's state machine (pure).

    pending ──► released ──► picking ──► packed ──► shipped ──► delivered
       │           │            │          │           │
       └───────────┴────────────┴──────────┴──► cancelled   (before it leaves)
                   └────────────┴──────────┴───────┴──► exception ──► back where it was / cancelled

`released → shipped` is the 3PL's path: the 3PL picks and packs on its own and confirms the
shipment. A fulfilment order whose units all moved elsewhere (cancelled, re-routed) is
`cancelled`; one whose units left with a shipment recorded outside the pick/pack flow is
`shipped`.
"""

from __future__ import annotations

from enum import StrEnum

from conveyor.shared.errors import DomainError, ErrorCode


class FoStatus(StrEnum):
    PENDING = "pending"
    RELEASED = "released"
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    CANCELLED = "cancelled"


S = FoStatus
TRANSITIONS: dict[FoStatus, frozenset[FoStatus]] = {
    S.PENDING: frozenset({S.RELEASED, S.CANCELLED, S.SHIPPED}),
    S.RELEASED: frozenset({S.PENDING, S.PICKING, S.SHIPPED, S.EXCEPTION, S.CANCELLED}),
    S.PICKING: frozenset({S.PACKED, S.SHIPPED, S.EXCEPTION, S.CANCELLED, S.RELEASED}),
    S.PACKED: frozenset({S.PICKING, S.SHIPPED, S.EXCEPTION, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.EXCEPTION}),
    S.EXCEPTION: frozenset({S.RELEASED, S.PICKING, S.PACKED, S.SHIPPED, S.DELIVERED, S.CANCELLED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Still to leave the building: these hold units of the order's allocation rows.
OPEN = frozenset({S.PENDING, S.RELEASED, S.PICKING, S.PACKED})
# An exception before shipping still holds its units; after shipping it does not.
HOLDING = OPEN | {S.EXCEPTION}
# Least progress first: where units are taken from when the order gives some back.
PROGRESS = (S.PENDING, S.RELEASED, S.EXCEPTION, S.PICKING, S.PACKED)


class IllegalFulfilmentTransition(DomainError):
    def __init__(self, current: str, target: str, action: str) -> None:
        super().__init__(ErrorCode.ILLEGAL_TRANSITION,
                         f"cannot {action} a fulfilment order that is {current}",
                         current_status=current, target_status=target)


def can_move(current: str, target: str) -> bool:
    try:
        return FoStatus(target) in TRANSITIONS[FoStatus(current)]
    except ValueError:
        return False


def check_move(current: str, target: str, action: str) -> None:
    if not can_move(current, target):
        raise IllegalFulfilmentTransition(current, target, action)


def holds_units(status: str, shipped: bool) -> bool:
    """Whether a fulfilment order in `status` still holds allocated units (an exception holds
    them only while nothing has shipped)."""
    return status in OPEN or (status == S.EXCEPTION and not shipped)
