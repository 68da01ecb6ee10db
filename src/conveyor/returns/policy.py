"""May these units be returned? Eligibility per line under a channel's return policy.

A line is returnable when it shipped, the return window (days from delivery, or from shipment when
the policy says so or no delivery was recorded) is still open, its SKU is not on the channel's
non-returnable list and it was not sold as final sale; and only up to what shipped minus what was
already returned or requested. A kit comes back whole, or — when the channel allows it — in parts.

Every refusal has a stable code and a message for people. A request is checked as a whole and all
refusals are reported together. Staff may waive the window, the SKU list and final sale (the waiver
is recorded), never the quantities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from conveyor.billing.financials import KitComponent
from conveyor.shared.errors import ErrorCode, ValidationFailed


class ReturnReason(StrEnum):
    CHANGED_MIND = "changed_mind"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    DEFECTIVE = "defective"
    WRONG_ITEM_SENT = "wrong_item_sent"
    ARRIVED_LATE = "arrived_late"
    OTHER = "other"


# Our fault, not the customer's choice: no restocking fee for these.
FAULT_REASONS = frozenset({ReturnReason.DAMAGED_IN_TRANSIT, ReturnReason.DEFECTIVE, ReturnReason.WRONG_ITEM_SENT})


class Refusal(StrEnum):
    UNKNOWN_LINE = "unknown_line"
    NOT_SHIPPED = "not_shipped"
    WINDOW_CLOSED = "return_window_closed"
    NON_RETURNABLE_SKU = "non_returnable_sku"
    FINAL_SALE = "final_sale"
    QUANTITY_EXCEEDED = "quantity_exceeds_returnable"
    KIT_WHOLE_ONLY = "kit_returns_whole_only"
    UNKNOWN_COMPONENT = "unknown_kit_component"
    NOTE_REQUIRED = "note_required"


WAIVABLE = frozenset({Refusal.WINDOW_CLOSED, Refusal.NON_RETURNABLE_SKU, Refusal.FINAL_SALE})


class WindowStart(StrEnum):
    DELIVERY = "delivery"
    SHIPMENT = "shipment"


class ShippingRefund(StrEnum):
    NEVER = "never"
    WHEN_ALL_RETURNED = "when_all_returned"  # the order's shipping, once everything shipped has come back


@dataclass(frozen=True, slots=True)
class ReturnPolicy:
    """A channel's return policy."""

    window_days: int = 30
    window_starts: WindowStart = WindowStart.DELIVERY
    non_returnable_skus: frozenset[str] = frozenset()
    kit_parts_returnable: bool = False
    restocking_fee_fixed: int = 0  # minor units per return
    restocking_fee_percent: Decimal = Decimal(0)  # of the refunded goods, e.g. Decimal("15")
    fee_waived_for: frozenset[ReturnReason] = FAULT_REASONS
    refund_shipping: ShippingRefund = ShippingRefund.NEVER
    refund_damaged: bool = True  # refund units the customer damaged (graded `damaged`)


@dataclass(frozen=True, slots=True)
class ShippedLine:
    """What the order says about a line, for return checks."""

    line_id: str
    sku: str
    shipped: int
    returned: int = 0  # whole units already returned or requested on open returns (not used for kits)
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    final_sale: bool = False
    components: tuple[KitComponent, ...] = ()  # set for a kit line
    component_returned: Mapping[str, int] = field(default_factory=dict)  # kit part units returned or requested


@dataclass(frozen=True, slots=True)
class RequestedLine:
    line_id: str
    quantity: int  # units of the line (kits for a kit line), or of `component_sku`
    reason: ReturnReason
    component_sku: str | None = None  # return only this part of a kit
    note: str = ""


@dataclass(frozen=True, slots=True)
class LineProblem:
    line_id: str
    code: Refusal
    message: str


@dataclass(frozen=True, slots=True)
class ApprovedLine:
    request: RequestedLine
    waived: tuple[Refusal, ...] = ()


def fee_waived(reason: ReturnReason, policy: ReturnPolicy) -> bool:
    """Whether a unit returned for `reason` is spared the restocking fee (our fault, not a choice)."""
    return reason in policy.fee_waived_for


def window_closes_at(line: ShippedLine, policy: ReturnPolicy) -> datetime | None:
    """When the return window ends; None when the line has not shipped."""
    start = line.delivered_at if policy.window_starts is WindowStart.DELIVERY else None
    start = start or line.shipped_at
    return None if start is None else start + timedelta(days=policy.window_days)


def returnable_units(line: ShippedLine, component_sku: str | None = None) -> int:
    """Units (or kits) that may still come back: shipped minus returned or requested."""
    if not line.components:
        return max(line.shipped - line.returned, 0)
    left = {p.sku: p.per_kit * line.shipped - line.component_returned.get(p.sku, 0) for p in line.components}
    if component_sku is not None:
        return max(left.get(component_sku, 0), 0)
    return max(min(left[p.sku] // p.per_kit for p in line.components), 0)


def _policy_problems(line: ShippedLine, policy: ReturnPolicy, now: datetime) -> list[LineProblem]:
    problems = []
    closes = window_closes_at(line, policy)
    if closes is not None and now > closes:
        problems.append(
            LineProblem(
                line.line_id,
                Refusal.WINDOW_CLOSED,
                f"the {policy.window_days}-day return window closed on {closes:%Y-%m-%d}",
            )
        )
    if line.sku in policy.non_returnable_skus:
        problems.append(LineProblem(line.line_id, Refusal.NON_RETURNABLE_SKU, f"{line.sku} cannot be returned"))
    if line.final_sale:
        problems.append(LineProblem(line.line_id, Refusal.FINAL_SALE, f"{line.sku} was sold as final sale"))
    return problems


def _quantity_problems(line: ShippedLine, request: RequestedLine, policy: ReturnPolicy) -> list[LineProblem]:
    def problem(code: Refusal, message: str) -> list[LineProblem]:
        return [LineProblem(line.line_id, code, message)]

    if line.shipped <= 0:
        return problem(Refusal.NOT_SHIPPED, f"{line.sku} has not shipped yet")
    if request.component_sku is not None:
        if not line.components:
            return problem(Refusal.UNKNOWN_COMPONENT, f"{line.sku} is not a kit")
        if request.component_sku not in {p.sku for p in line.components}:
            return problem(Refusal.UNKNOWN_COMPONENT, f"{request.component_sku} is not part of {line.sku}")
        if not policy.kit_parts_returnable:
            return problem(Refusal.KIT_WHOLE_ONLY, f"{line.sku} can only be returned as a whole kit")
    left = returnable_units(line, request.component_sku)
    what = request.component_sku or line.sku
    if request.quantity <= 0 or request.quantity > left:
        return problem(Refusal.QUANTITY_EXCEEDED, f"{request.quantity} × {what} requested, {left} can be returned")
    return []


def check_return_request(
    lines: Mapping[str, ShippedLine],
    request: Sequence[RequestedLine],
    policy: ReturnPolicy,
    now: datetime,
    *,
    staff_override: bool = False,
) -> list[ApprovedLine]:
    """Approve every requested line or refuse the request with all its problems (`return_not_allowed`,
    `extra["problems"]` lists each line's code and message). Requests for the same units count
    together, so splitting a request (say, to give each unit its own reason) cannot beat the limit."""
    problems: list[LineProblem] = []
    waived: dict[str, tuple[Refusal, ...]] = {}
    for wanted in _totals(request):
        line = lines.get(wanted.line_id)
        if line is None:
            problems.append(LineProblem(wanted.line_id, Refusal.UNKNOWN_LINE, "no such line on this order"))
            continue
        problems += _quantity_problems(line, wanted, policy)
        if line.line_id not in waived:
            policy_problems = _policy_problems(line, policy, now)
            waived[line.line_id] = tuple(p.code for p in policy_problems if staff_override and p.code in WAIVABLE)
            problems += [p for p in policy_problems if p.code not in waived[line.line_id]]
    for item in request:
        if item.quantity <= 0:
            problems.append(LineProblem(item.line_id, Refusal.QUANTITY_EXCEEDED, "return at least one unit"))
        if item.reason is ReturnReason.OTHER and not item.note.strip():
            problems.append(LineProblem(item.line_id, Refusal.NOTE_REQUIRED, "say why when the reason is 'other'"))
    if problems:
        summary = "; ".join(f"{p.line_id}: {p.message}" for p in problems)
        details = [{"line_id": p.line_id, "code": p.code.value, "message": p.message} for p in problems]
        raise ValidationFailed(
            f"this return cannot be accepted — {summary}", ErrorCode.RETURN_NOT_ALLOWED, problems=details
        )
    return [ApprovedLine(item, waived.get(item.line_id, ())) for item in request]


def _totals(request: Sequence[RequestedLine]) -> list[RequestedLine]:
    """One request per (line, kit part) with the quantities added up."""
    totals: dict[tuple[str, str | None], RequestedLine] = {}
    for item in request:
        key = (item.line_id, item.component_sku)
        before = totals.get(key)
        quantity = item.quantity + (before.quantity if before else 0)
        totals[key] = RequestedLine(item.line_id, quantity, item.reason, item.component_sku, item.note)
    return list(totals.values())
