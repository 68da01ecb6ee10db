"""What happens to each unit that comes back, by its grade.

  resellable  back to available stock at the receiving location (a ledger entry)
  damaged     the customer damaged it: quarantine, not sellable; refunded unless the policy says not
  defective   it was faulty: quarantine, not sellable; refunded without restocking fee
  wrong_item  the customer sent something else: nothing enters our stock; no refund; hold it for them
  missing     the unit was not in the parcel: nothing received, no refund

Units are received only at a location that accepts returns. Every unit on the return is graded
exactly once (a unit not found is graded `missing`), so nothing is silently left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from conveyor.returns.policy import ReturnPolicy
from conveyor.shared.errors import ErrorCode, ValidationFailed


class Grade(StrEnum):
    RESELLABLE = "resellable"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    MISSING = "missing"


class StockBucket(StrEnum):
    AVAILABLE = "available"
    QUARANTINE = "quarantine"


@dataclass(frozen=True, slots=True)
class Disposition:
    bucket: StockBucket | None  # where the unit goes in our stock; None: it does not enter our stock
    refundable: bool
    fee_applies: bool  # whether a restocking fee may be charged for it
    note: str


def disposition(grade: Grade, policy: ReturnPolicy) -> Disposition:
    if grade is Grade.RESELLABLE:
        return Disposition(StockBucket.AVAILABLE, True, True, "back in available stock")
    if grade is Grade.DAMAGED:
        note = "quarantined: damaged" + ("" if policy.refund_damaged else "; not refunded under this policy")
        return Disposition(StockBucket.QUARANTINE, policy.refund_damaged, True, note)
    if grade is Grade.DEFECTIVE:
        return Disposition(StockBucket.QUARANTINE, True, False, "quarantined: defective")
    if grade is Grade.WRONG_ITEM:
        return Disposition(None, False, False, "not our item: hold it for the customer and contact them")
    return Disposition(None, False, False, "not in the parcel: nothing received")


@dataclass(frozen=True, slots=True)
class ReceivingLocation:
    location_id: str
    accepts_returns: bool


@dataclass(frozen=True, slots=True)
class GradedUnits:
    line_id: str
    sku: str  # the SKU that came back (a kit's component SKU when a kit is graded part by part)
    grade: Grade
    quantity: int
    fee_waived: bool = False  # the return reason was our fault (see ReturnPolicy.fee_waived_for)
    note: str = ""


@dataclass(frozen=True, slots=True)
class StockChange:
    """One ledger entry for the inventory area to apply: `quantity` of `sku` into `bucket`."""

    sku: str
    location_id: str
    bucket: StockBucket
    quantity: int
    reason: str  # e.g. "return_resellable"
    reference: str  # the return's id


@dataclass(frozen=True, slots=True)
class RefundableUnits:
    line_id: str
    sku: str
    quantity: int
    fee_applies: bool


@dataclass(frozen=True, slots=True)
class GradingResult:
    stock_changes: tuple[StockChange, ...]
    refundable: tuple[RefundableUnits, ...]
    notes: tuple[str, ...]


def grade_receipt(
    return_id: str,
    location: ReceivingLocation,
    expected: Mapping[tuple[str, str], int],
    graded: Sequence[GradedUnits],
    policy: ReturnPolicy,
) -> GradingResult:
    """Turn graded units into stock changes and refundable units. `expected` maps (line id, SKU) to
    the units on the return; every one of them must be graded, and no more."""
    if not location.accepts_returns:
        raise ValidationFailed(
            f"location {location.location_id} does not accept returns",
            location_id=location.location_id,
            reason="location_not_returns_capable",
        )
    _check_counts(expected, graded)
    changes: dict[tuple[str, StockBucket, str], int] = {}
    refundable: list[RefundableUnits] = []
    notes = []
    for units in graded:
        if units.quantity == 0:
            continue
        outcome = disposition(units.grade, policy)
        if outcome.bucket is not None:
            key = (units.sku, outcome.bucket, f"return_{units.grade.value}")
            changes[key] = changes.get(key, 0) + units.quantity
        if outcome.refundable:
            fee = outcome.fee_applies and not units.fee_waived
            refundable.append(RefundableUnits(units.line_id, units.sku, units.quantity, fee))
        notes.append(f"{units.quantity} × {units.sku}: {outcome.note}")
    stock = tuple(
        StockChange(sku, location.location_id, bucket, quantity, reason, return_id)
        for (sku, bucket, reason), quantity in changes.items()
    )
    return GradingResult(stock, tuple(refundable), tuple(notes))


def _check_counts(expected: Mapping[tuple[str, str], int], graded: Sequence[GradedUnits]) -> None:
    counted: dict[tuple[str, str], int] = {}
    for units in graded:
        if units.quantity < 0:
            raise ValidationFailed(f"{units.sku}: a negative quantity cannot be graded", ErrorCode.INVALID_QUANTITY)
        key = (units.line_id, units.sku)
        counted[key] = counted.get(key, 0) + units.quantity
    wrong = [
        f"{sku} on line {line_id}: {counted.get((line_id, sku), 0)} graded, {count} expected"
        for (line_id, sku), count in expected.items()
        if counted.get((line_id, sku), 0) != count
    ]
    wrong += [f"{sku} on line {line_id} is not on this return" for line_id, sku in counted.keys() - expected.keys()]
    if wrong:
        raise ValidationFailed(
            "grade every unit on the return exactly once (missing ones as 'missing'): " + "; ".join(wrong),
            ErrorCode.INVALID_QUANTITY,
        )
