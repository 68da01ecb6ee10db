"""Receiving a return and grading its units: stock comes back through the ledger (resellable units
onto the shelf, damaged and defective ones into quarantine), and the order's `returned` bucket
counts the units given back to the customer. Operations only; `returns/handlers.py` commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from conveyor.inventory.locations import resolve_location
from conveyor.inventory.service import ReturnedStock, take_back
from conveyor.messaging.outbox import Topic
from conveyor.orders import operations as order_operations
from conveyor.orders.service import get_order
from conveyor.orders.timeline import EventType
from conveyor.returns.grading import (
    Disposition,
    Grade,
    GradedUnits,
    GradingResult,
    ReceivingLocation,
    StockBucket,
    disposition,
    grade_receipt,
)
from conveyor.returns.lifecycle import ReturnEvent
from conveyor.returns.model import Return, ReturnLine
from conveyor.returns.policy import ReturnReason, fee_waived
from conveyor.returns.service import (
    GRADED,
    Grading,
    advance,
    announce_return,
    order_lines_of,
    returns_location,
    returns_of_order,
)
from conveyor.returns.settings import ReturnSettings
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.uow import UnitOfWork


def receive(uow: UnitOfWork, ret: Return, location: str, received: Mapping[str, int] | None, actor: str) -> Return:
    """The parcel arrived at `location` (which must accept returns); `received` counts units per
    return line (None: everything approved). Stock moves when the units are graded."""
    order = get_order(uow, ret.order_id, for_update=True)
    loc = returns_location(uow, location)
    counts = received if received is not None else {rl.id: rl.approved for rl in ret.lines}
    by_id = {rl.id: rl for rl in ret.lines}
    for line_id, count in counts.items():
        if line_id not in by_id:
            raise ValidationFailed(f"return {ret.number} has no line {line_id!r}", line=line_id)
        if not isinstance(count, int) or not 0 <= count <= by_id[line_id].approved:
            raise ValidationFailed(f"{by_id[line_id].sku_code}: received must be 0 to {by_id[line_id].approved}",
                                   ErrorCode.INVALID_QUANTITY, line=line_id)
    advance(ret, ReturnEvent.RECEIVE)
    for rl in ret.lines:
        rl.received = counts.get(rl.id, 0)
    ret.location_id, ret.received_at = loc.id, utcnow()
    announce_return(uow, order, ret, EventType.RETURN_RECEIVED, actor, Topic.RETURN_RECEIVED, {
        "location_id": loc.id, "received": {rl.sku_code: rl.received for rl in ret.lines}})
    return ret


def _graded_units(ret: Return, grades: Sequence[Grading], settings: ReturnSettings) -> list[GradedUnits]:
    """The grades given, plus every unit nobody graded as `missing` (it was not in the parcel)."""
    by_id = {rl.id: rl for rl in ret.lines}
    given: dict[str, int] = defaultdict(int)
    units = []
    for g in grades:
        rl = by_id.get(g.return_line_id)
        if rl is None:
            raise ValidationFailed(f"return {ret.number} has no line {g.return_line_id!r}", line=g.return_line_id)
        try:
            grade = Grade(g.grade)
        except ValueError:
            raise ValidationFailed(f"grade must be one of {', '.join(Grade)}, not {g.grade!r}") from None
        if grade is not Grade.MISSING:
            given[rl.id] += g.quantity
        waived = fee_waived(ReturnReason(rl.reason), settings.policy)
        units.append(GradedUnits(rl.id, rl.sku_code, grade, g.quantity, waived, g.note))
    for rl in ret.lines:
        if given[rl.id] > rl.received:
            raise ValidationFailed(f"{rl.sku_code}: {given[rl.id]} graded but {rl.received} received",
                                   ErrorCode.INVALID_QUANTITY, line=rl.id)
        left = rl.approved - sum(u.quantity for u in units if u.line_id == rl.id)
        if left > 0:
            units.append(GradedUnits(rl.id, rl.sku_code, Grade.MISSING, left, note="not in the parcel"))
    return units


def grade(uow: UnitOfWork, ret: Return, grades: Sequence[Grading], settings: ReturnSettings,
          actor: str) -> GradingResult:
    """Grade every unit once: resellable units back on the shelf, damaged and defective ones into
    quarantine (both through the stock ledger), and the order's `returned` bucket for the units
    given back to the customer."""
    order = get_order(uow, ret.order_id, for_update=True)
    advance(ret, ReturnEvent.GRADE)
    assert ret.location_id is not None  # received
    loc = resolve_location(uow, ret.location_id)
    units = _graded_units(ret, grades, settings)
    expected = {(rl.id, rl.sku_code): rl.approved for rl in ret.lines}
    result = grade_receipt(ret.id, ReceivingLocation(loc.id, loc.can_return), expected, units, settings.policy)
    _record_grades(ret, units)
    _into_stock(uow, ret, result, actor)
    order_operations.record_returned(uow, order.id, _whole_units_back(uow, order, ret, settings))
    announce_return(uow, order, ret, EventType.RETURN_GRADED, actor, Topic.RETURN_GRADED, {
        "location_id": loc.id, "notes": list(result.notes),
        "grades": {rl.sku_code: _grades_of(rl) for rl in ret.lines}})
    return result


def _grades_of(rl: ReturnLine) -> dict[str, int]:
    return {g.value: getattr(rl, g.value) for g in Grade if getattr(rl, g.value)}


def _record_grades(ret: Return, units: Sequence[GradedUnits]) -> None:
    by_id = {rl.id: rl for rl in ret.lines}
    for u in units:
        rl = by_id[u.line_id]
        setattr(rl, u.grade.value, getattr(rl, u.grade.value) + u.quantity)
    for rl in ret.lines:
        rl.graded = True


def _into_stock(uow: UnitOfWork, ret: Return, result: GradingResult, actor: str) -> None:
    sku_ids = {rl.sku_code: rl.sku_id for rl in ret.lines}
    moves: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for change in result.stock_changes:
        moves[(sku_ids[change.sku], change.location_id)][change.bucket is StockBucket.QUARANTINE] += change.quantity
    take_back(uow, [ReturnedStock(sku_id, location_id, to_stock, to_quarantine, f"return {ret.number}")
                    for (sku_id, location_id), (to_stock, to_quarantine) in sorted(moves.items())], ret.id, actor)


def refundable_by_grade(rl: ReturnLine, settings: ReturnSettings) -> list[tuple[Disposition, int]]:
    """The graded units of a line that are given back, with what their grade means."""
    found = []
    for g in (Grade.RESELLABLE, Grade.DAMAGED, Grade.DEFECTIVE):
        count = getattr(rl, g.value)
        outcome = disposition(g, settings.policy)
        if count and outcome.refundable:
            found.append((outcome, count))
    return found


def _whole_units_back(uow: UnitOfWork, order: Any, ret: Return, settings: ReturnSettings) -> dict[str, int]:
    """How many more whole units of each order line are now given back: a plain line's refundable
    units; a kit's whole kits, counted over every graded return of the line (parts add up)."""
    lines = order_lines_of(uow, order)
    back: dict[tuple[str, str], int] = defaultdict(int)
    for other in returns_of_order(uow, order.id):
        if other.status in GRADED:
            for rl in other.lines:
                back[(rl.order_line_id, rl.sku_code)] += sum(n for _, n in refundable_by_grade(rl, settings))
    more = {}
    for line_id in {rl.order_line_id for rl in ret.lines}:
        facts = lines[line_id]
        if facts.components:
            whole = min(back[(line_id, p.sku)] // p.per_kit for p in facts.components)
        else:
            whole = back[(line_id, facts.line.sku_code)]
        if whole > facts.line.returned:
            more[line_id] = whole - facts.line.returned
    return more
