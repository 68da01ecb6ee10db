"""Return operations: request, approve, reject, cancel, label, receive, grade — and reads.

They never commit (`returns/handlers.py` does). Every change starts by locking the order row
(`orders.service.get_order(..., for_update=True)`), because a return's quantities count against
the order's shipped units: two requests for the same units at once are serialised there, and the
second sees the first. Each change appends the order's timeline event and its outbox message in
the same transaction. Money (resolving a graded return) lives in `returns/resolution.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from conveyor.billing.financials import KitComponent
from conveyor.catalog.service import resolve_skus, sku_codes, sku_facts
from conveyor.inventory.locations import resolve_location
from conveyor.messaging.outbox import Topic
from conveyor.orders.queries import line_shipping
from conveyor.orders.service import announce, get_order
from conveyor.orders.timeline import EventType
from conveyor.returns.lifecycle import ReturnEvent, ReturnStatus, next_status
from conveyor.returns.model import Return, ReturnLine
from conveyor.returns.policy import (
    RequestedLine,
    ReturnReason,
    ShippedLine,
    check_return_request,
    returnable_units,
    window_closes_at,
)
from conveyor.returns.refunds import Resolution
from conveyor.returns.settings import ReturnSettings
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import ErrorCode, NotFound, ValidationFailed
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork

CLOSED = (ReturnStatus.REJECTED, ReturnStatus.CANCELLED)
GRADED = (ReturnStatus.GRADED, ReturnStatus.RESOLVED)
SOURCES = ("staff", "customer", "in_store")


@dataclass(frozen=True, slots=True)
class ReturnItem:
    """One thing the customer sends back: units of an order line (by id or line number), or of
    one part of a kit line, and what they want for it."""
    line: str
    quantity: int
    reason: str
    component_sku: str | None = None
    note: str = ""
    outcome: str = Resolution.REFUND
    exchange_sku: str | None = None  # the replacement (default: the same SKU)
    exchange_quantity: int | None = None  # default: as many as come back


@dataclass(frozen=True, slots=True)
class Grading:
    return_line_id: str
    grade: str
    quantity: int
    note: str = ""


# --- reads -------------------------------------------------------------------------------------------

def get_return(uow: UnitOfWork, return_id: str, scope_channel_id: str | None = None,
               for_update: bool = False) -> Return:
    query = select(Return).where(Return.id == return_id)
    if for_update and uow.dialect == "postgresql":
        query = query.with_for_update()
    found = uow.session.scalar(query)
    if found is None or (scope_channel_id and found.channel_id != scope_channel_id):
        raise NotFound("return", return_id)
    return found


def list_returns(uow: UnitOfWork, *, limit: int = 50, cursor: str | None = None, order_id: str | None = None,
                 status: str | None = None, scope_channel_id: str | None = None) -> Page[Return]:
    query = select(Return)
    if order_id:
        query = query.where(Return.order_id == order_id)
    if status:
        query = query.where(Return.status == status)
    if scope_channel_id:
        query = query.where(Return.channel_id == scope_channel_id)
    return paginate(uow.session, query, Return.id, limit, cursor)


def returns_of_order(uow: UnitOfWork, order_id: str) -> list[Return]:
    return list(uow.session.scalars(select(Return).where(Return.order_id == order_id).order_by(Return.id)))


def came_back(line: ReturnLine, status: str) -> int:
    """Units of a return line that count against what may still be returned: everything asked for
    while the return is open, what actually came back once it is graded (missing or wrong units
    may be asked for again)."""
    if status in CLOSED:
        return 0
    if status in GRADED:
        return line.resellable + line.damaged + line.defective
    return line.requested


# --- requesting --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Line:
    """An order line as returns see it: its kit parts (code, per kit, value weight) and part ids."""
    line: Any
    components: tuple[KitComponent, ...]
    part_ids: Mapping[str, str]


def order_lines_of(uow: UnitOfWork, order: Any) -> dict[str, _Line]:
    mapped = [li for li in order.lines if li.sku_id]
    facts = sku_facts(uow, [li.sku_code for li in mapped])
    part_ids = sorted({part for f in facts.values() if f.is_kit for part, _ in f.components})
    codes = sku_codes(uow, part_ids)
    prices = {s.code: s.price_minor for s in resolve_skus(uow, list(codes.values())).values()} if codes else {}
    lines = {}
    for li in order.lines:
        f = facts.get(li.sku_code) if li.sku_id else None
        if f is None or not f.is_kit:
            lines[li.id] = _Line(li, (), {li.sku_code: li.sku_id} if li.sku_id else {})
            continue
        parts = tuple(KitComponent(codes[pid], per, max(prices.get(codes[pid], 0), 1)) for pid, per in f.components)
        lines[li.id] = _Line(li, parts, {codes[pid]: pid for pid, _ in f.components})
    return lines


def _counted(uow: UnitOfWork, order_id: str, skip: str | None = None) -> dict[tuple[str, str], int]:
    """Units per (order line, SKU) that earlier returns hold (see `came_back`)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for ret in returns_of_order(uow, order_id):
        if ret.id != skip:
            for rl in ret.lines:
                counts[(rl.order_line_id, rl.sku_code)] += came_back(rl, ret.status)
    return counts


def shipped_lines(uow: UnitOfWork, order: Any, lines: Mapping[str, _Line],
                  settings: ReturnSettings) -> dict[str, ShippedLine]:
    """What the policy checks a request against: each line's shipped units, dates and earlier returns."""
    dates, counts = line_shipping(uow, order.id), _counted(uow, order.id)
    final_order = "final_sale" in (order.tags or [])
    shipped = {}
    for line_id, facts in lines.items():
        li = facts.line
        when = dates.get(line_id)
        shipped[line_id] = ShippedLine(
            line_id, li.sku_code, li.shipped, counts.get((line_id, li.sku_code), 0),
            when.shipped_at if when else None, when.delivered_at if when else None,
            final_order or li.sku_code in settings.final_sale_skus, facts.components,
            {part.sku: counts.get((line_id, part.sku), 0) for part in facts.components})
    return shipped


def returnable_summary(uow: UnitOfWork, order_id: str, settings: ReturnSettings) -> dict[str, Any]:
    """What the customer's return page shows: each shipped line, how many units (or kit parts)
    can still be returned, until when, and the reasons to choose from."""
    order = get_order(uow, order_id)
    lines = order_lines_of(uow, order)
    shipped = shipped_lines(uow, order, lines, settings)
    items = []
    for line_id, facts in lines.items():
        line, closes = shipped[line_id], window_closes_at(shipped[line_id], settings.policy)
        items.append({
            "line_id": line_id, "line_no": facts.line.line_no, "sku": facts.line.sku_code, "name": facts.line.name,
            "shipped": line.shipped, "returnable": returnable_units(line),
            "window_closes_at": closes.isoformat() if closes else None,
            "final_sale": line.final_sale, "non_returnable": line.sku in settings.policy.non_returnable_skus,
            "parts": [{"sku": p.sku, "per_kit": p.per_kit, "returnable": returnable_units(line, p.sku)}
                      for p in facts.components] if settings.policy.kit_parts_returnable else []})
    return {"order_id": order.id, "order_number": order.order_number or order.external_id or order.id,
            "currency": order.currency, "lines": items, "reasons": [r.value for r in ReturnReason]}


def _line_of(order: Any, key: str) -> Any:
    by_key = {li.id: li for li in order.lines} | {str(li.line_no): li for li in order.lines}
    line = by_key.get(str(key))
    if line is None:
        raise ValidationFailed(f"order {order.id} has no line {key!r}", ErrorCode.RETURN_NOT_ALLOWED,
                               problems=[{"line_id": key, "code": "unknown_line", "message": "no such line"}])
    return line


def _requested(order: Any, items: Sequence[ReturnItem]) -> list[RequestedLine]:
    requested = []
    for item in items:
        try:
            reason = ReturnReason(item.reason)
        except ValueError:
            raise ValidationFailed(f"unknown return reason {item.reason!r}; use one of "
                                   + ", ".join(r.value for r in ReturnReason)) from None
        requested.append(RequestedLine(_line_of(order, item.line).id, item.quantity, reason, item.component_sku,
                                       item.note))
    return requested


def _check_outcomes(uow: UnitOfWork, items: Sequence[ReturnItem], requested: Sequence[RequestedLine],
                    lines: Mapping[str, _Line], customer: bool) -> None:
    chosen: dict[str, str] = {}
    for item, wanted in zip(items, requested, strict=True):
        if item.outcome not in tuple(Resolution):
            raise ValidationFailed(f"outcome must be one of {', '.join(Resolution)}, not {item.outcome!r}")
        if chosen.setdefault(wanted.line_id, item.outcome) != item.outcome:
            raise ValidationFailed(f"line {lines[wanted.line_id].line.line_no}: one outcome per line and return")
        if item.outcome == Resolution.EXCHANGE:
            _check_exchange(uow, item, lines[wanted.line_id], customer)


def _check_exchange(uow: UnitOfWork, item: ReturnItem, facts: _Line, customer: bool) -> None:
    """An exchange names a SKU that exists. A customer (through the link) may swap only for a
    variant of the same product, no more units than come back: the replacement is priced as the
    returned units, so anything else needs staff."""
    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed(message, ErrorCode.RETURN_NOT_ALLOWED, problems=[{
            "line_id": facts.line.id, "code": "exchange_not_possible", "message": message}])

    if facts.components:
        raise refuse("a kit cannot be exchanged; refund it or give store credit")
    quantity = item.exchange_quantity or item.quantity
    if quantity <= 0:
        raise ValidationFailed("exchange_quantity must be positive", ErrorCode.INVALID_QUANTITY)
    wanted = item.exchange_sku or facts.line.sku_code
    skus = resolve_skus(uow, sorted({wanted, facts.line.sku_code}))
    if customer and (skus[wanted].product_id != skus[facts.line.sku_code].product_id or quantity > item.quantity):
        raise refuse(f"{wanted} is not a variant of {facts.line.sku_code}, or more units are asked than come back: "
                     "ask the shop for this exchange")


def returns_location(uow: UnitOfWork, location: str) -> Any:
    loc = resolve_location(uow, location)
    if not loc.can_return or not loc.active:
        raise ValidationFailed(f"location {loc.code} does not accept returns", location=loc.code,
                               reason="location_not_returns_capable")
    return loc


def request_return(uow: UnitOfWork, order_id: str, items: Sequence[ReturnItem], settings: ReturnSettings, *,
                   source: str, actor: str, now: datetime | None = None, staff_override: bool = False,
                   location: str | None = None, note: str = "", scope_channel_id: str | None = None) -> Return:
    """Open a return, or refuse it with every problem (`return_not_allowed`). In store (`source`
    `in_store`) it is received where it is handed over: `location` is required."""
    if source not in SOURCES:
        raise ValidationFailed(f"source must be one of {', '.join(SOURCES)}")
    if not items:
        raise ValidationFailed("a return needs at least one line")
    order = get_order(uow, order_id, scope_channel_id, for_update=True)
    lines = order_lines_of(uow, order)
    requested = _requested(order, items)
    accepted = check_return_request(shipped_lines(uow, order, lines, settings), requested, settings.policy,
                                    now or utcnow(), staff_override=staff_override)
    _check_outcomes(uow, items, requested, lines, customer=source == "customer")
    in_store = source == "in_store"
    if in_store and not location:
        raise ValidationFailed("an in-store return names the store that takes it (location)")
    loc = returns_location(uow, location) if location else None
    waived = sorted({code.value for line in accepted for code in line.waived})
    ret = Return(id=ids.new_id("return"), number=_number(uow, order), order_id=order.id, channel_id=order.channel_id,
                 status=ReturnStatus.REQUESTED, source=source, in_store=in_store,
                 location_id=loc.id if loc else None, currency=order.currency, customer_key=customer_key(order),
                 note=note, waived=waived, created_by=actor, created_at=utcnow(), updated_at=utcnow())
    uow.session.add(ret)
    for item, wanted in zip(items, requested, strict=True):
        for row in _lines_for(ret.id, lines[wanted.line_id], wanted, item):
            uow.session.add(row)
    uow.session.flush()
    uow.session.refresh(ret)
    announce_return(uow, order, ret, EventType.RETURN_REQUESTED, actor, Topic.RETURN_REQUESTED,
              {"source": source, "waived": waived, "items": _items(ret)})
    return ret


def customer_key(order: Any) -> str:
    """Whose store credit this is: the order's e-mail address (lower case), else the order itself."""
    return (order.customer_email or "").strip().lower() or f"order:{order.id}"


def _number(uow: UnitOfWork, order: Any) -> str:
    base = order.order_number or order.external_id or order.id
    return f"{base}-R{len(returns_of_order(uow, order.id)) + 1}"


def _lines_for(return_id: str, facts: _Line, wanted: RequestedLine, item: ReturnItem) -> list[ReturnLine]:
    """A plain line or one kit part: one row; a whole kit: one row per part (kits × per kit)."""
    li = facts.line
    if facts.components and wanted.component_sku is None:
        parts = [(p.sku, wanted.quantity * p.per_kit) for p in facts.components]
    else:
        parts = [(wanted.component_sku or li.sku_code, wanted.quantity)]
    exchange = item.outcome == Resolution.EXCHANGE
    return [ReturnLine(
        id=ids.new_id("return_line"), return_id=return_id, order_line_id=li.id, line_no=li.line_no,
        sku_id=facts.part_ids[code], sku_code=code, name=li.name or code, kit_part=bool(facts.components),
        reason=wanted.reason.value, note=wanted.note, requested=quantity, approved=0, received=0,
        resellable=0, damaged=0, defective=0, wrong_item=0, missing=0, graded=False, outcome=item.outcome,
        exchange_sku=(item.exchange_sku or li.sku_code) if exchange else None,
        exchange_quantity=(item.exchange_quantity or quantity) if exchange else 0, refundable_units=0,
        amount_minor=0, fee_minor=0, tax_minor=0, unit_price_minor=li.unit_price_minor)
        for code, quantity in parts]


def _items(ret: Return) -> list[dict[str, Any]]:
    return [{"line_id": rl.order_line_id, "sku": rl.sku_code, "name": rl.name, "quantity": rl.requested,
             "unit_price_minor": rl.unit_price_minor, "reason": rl.reason, "outcome": rl.outcome}
            for rl in ret.lines]


def announce_return(uow: UnitOfWork, order: Any, ret: Return, event: EventType, actor: str, topic: Topic | None,
              data: dict[str, Any] | None = None) -> None:
    announce(uow, order, event, actor, {"return_id": ret.id, "return_number": ret.number,
                                        "return_status": ret.status, **(data or {})}, topic)


def advance(ret: Return, event: ReturnEvent) -> None:
    ret.status = next_status(ReturnStatus(ret.status), event)
    ret.updated_at = utcnow()


# --- approving, rejecting, cancelling, the label -----------------------------------------------------

def approve(uow: UnitOfWork, ret: Return, actor: str, ship_back_days: int, *,
            exchange_order_id: str | None = None) -> Return:
    order = get_order(uow, ret.order_id, for_update=True)
    advance(ret, ReturnEvent.APPROVE)
    ret.approved_at = utcnow()
    ret.return_by = None if ret.in_store else (ret.approved_at + timedelta(days=ship_back_days)).date()
    ret.exchange_order_id = exchange_order_id
    for rl in ret.lines:
        rl.approved = rl.requested
    announce_return(uow, order, ret, EventType.RETURN_APPROVED, actor, Topic.RETURN_APPROVED, {
        "items": [{k: item[k] for k in ("name", "sku", "quantity", "unit_price_minor")} for item in _items(ret)],
        "return_by": ret.return_by.isoformat() if ret.return_by else None, "label_url": "",
        "in_store": ret.in_store, "exchange_order_id": exchange_order_id})
    return ret


def reject(uow: UnitOfWork, ret: Return, reason: str, actor: str) -> Return:
    order = get_order(uow, ret.order_id, for_update=True)
    advance(ret, ReturnEvent.REJECT)
    announce_return(uow, order, ret, EventType.RETURN_REJECTED, actor, Topic.RETURN_REJECTED, {"reason": reason})
    return ret


def cancel(uow: UnitOfWork, ret: Return, reason: str, actor: str) -> Return:
    """Cancel an open return (the handler cancels its replacement order first)."""
    order = get_order(uow, ret.order_id, for_update=True)
    advance(ret, ReturnEvent.CANCEL)
    announce_return(uow, order, ret, EventType.RETURN_CANCELLED, actor, Topic.RETURN_CANCELLED, {"reason": reason})
    return ret


def attach_label(uow: UnitOfWork, ret: Return, label: Any, actor: str) -> Return:
    """Store the return label bought for this return (a `shipping` PurchasedLabel)."""
    order = get_order(uow, ret.order_id, for_update=True)
    advance(ret, ReturnEvent.CREATE_LABEL)
    ret.label_provider, ret.label_provider_ref = label.provider, label.provider_ref
    ret.label_carrier, ret.label_service, ret.tracking_number = label.carrier, label.service, label.tracking_number
    ret.label_cost_minor, ret.label_pdf = label.cost.minor, label.label_pdf
    announce_return(uow, order, ret, EventType.RETURN_LABEL_CREATED, actor, None, {
        "carrier": label.carrier, "service": label.service, "tracking_number": label.tracking_number})
    return ret
