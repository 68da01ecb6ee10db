"""The life of a return (RMA), as a table of allowed moves.

  requested ─approve─► approved ─label─► label_created ─receive─► received ─grade─► graded ─resolve─► resolved
      │                    │  └──────────────receive (in store, no label)──┘
      └─reject─► rejected  └─cancel─► cancelled   (cancel also from requested and label_created)

An in-store return skips the label: it is received where it is handed over. The exchange's
replacement is reserved at approval (the lead's handler does that in the same transaction).
"""

from __future__ import annotations

from enum import StrEnum

from conveyor.shared.errors import DomainError, ErrorCode


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    LABEL_CREATED = "label_created"
    RECEIVED = "received"
    GRADED = "graded"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


class ReturnEvent(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CREATE_LABEL = "create_label"
    RECEIVE = "receive"
    GRADE = "grade"
    RESOLVE = "resolve"
    CANCEL = "cancel"


_MOVES: dict[tuple[ReturnStatus, ReturnEvent], ReturnStatus] = {
    (ReturnStatus.REQUESTED, ReturnEvent.APPROVE): ReturnStatus.APPROVED,
    (ReturnStatus.REQUESTED, ReturnEvent.REJECT): ReturnStatus.REJECTED,
    (ReturnStatus.REQUESTED, ReturnEvent.CANCEL): ReturnStatus.CANCELLED,
    (ReturnStatus.APPROVED, ReturnEvent.CREATE_LABEL): ReturnStatus.LABEL_CREATED,
    (ReturnStatus.APPROVED, ReturnEvent.RECEIVE): ReturnStatus.RECEIVED,  # in store, no label
    (ReturnStatus.APPROVED, ReturnEvent.CANCEL): ReturnStatus.CANCELLED,
    (ReturnStatus.LABEL_CREATED, ReturnEvent.RECEIVE): ReturnStatus.RECEIVED,
    (ReturnStatus.LABEL_CREATED, ReturnEvent.CANCEL): ReturnStatus.CANCELLED,
    (ReturnStatus.RECEIVED, ReturnEvent.GRADE): ReturnStatus.GRADED,
    (ReturnStatus.GRADED, ReturnEvent.RESOLVE): ReturnStatus.RESOLVED,
}


def next_status(current: ReturnStatus, event: ReturnEvent) -> ReturnStatus:
    try:
        return _MOVES[(current, event)]
    except KeyError:
        allowed = ", ".join(e.value for (s, e) in _MOVES if s is current) or "nothing"
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"a return that is {current.value} cannot {event.value} (it can: {allowed})",
            status=current.value,
            event=event.value,
        ) from None


def allowed_events(current: ReturnStatus) -> list[ReturnEvent]:
    return [event for (status, event) in _MOVES if status is current]
