"""What a sales channel may change on an order it sent, after placement: the payment state it
reports, its totals as sent, contact details and addresses while nothing has shipped, and the
holds it set (awaiting payment, unmapped SKU, cancelled on the channel).

A hold may have several reasons at once ("awaiting_payment: pending; unmapped_sku: X"), joined
with "; ". Each is lifted on its own (`lift_hold`): the order is released only when none is left,
so paying for an order never ships it while a SKU is still unmapped, and mapping the SKU never
ships an unpaid order. Operations never commit: the channel intake's handler does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from conveyor.orders import reallocation, service
from conveyor.orders.commands import LineInput, PlaceOrder
from conveyor.orders.lifecycle import Status
from conveyor.orders.model import Order, OrderLine
from conveyor.orders.reallocation import RoutingChoice
from conveyor.orders.timeline import EventType
from conveyor.orders.validation import totals
from conveyor.shared.clock import utcnow
from conveyor.shared.uow import UnitOfWork

SEPARATOR = "; "
MAX_REASON = 200  # orders.hold_reason
# Details a channel may still change while nothing has left the warehouse.
NOT_SHIPPED = frozenset({Status.PENDING, Status.ALLOCATED, Status.BACKORDERED, Status.ON_HOLD})


def hold_parts(reason: str | None) -> list[str]:
    return [part.strip() for part in (reason or "").split(SEPARATOR) if part.strip()]


def add_hold(uow: UnitOfWork, order: Order, reason: str, actor: str) -> None:
    """Hold the order for `reason` as well (first, so a long stock detail is what gets cut)."""
    if order.status != Status.ON_HOLD:
        service.hold_order(uow, order.id, reason, actor)
        return
    parts = hold_parts(order.hold_reason)
    if reason in parts:
        return
    order.hold_reason = SEPARATOR.join([reason, *parts])[:MAX_REASON]
    order.updated_at = utcnow()
    service.announce(uow, order, EventType.HELD, actor, {"reason": reason})


def lift_hold(uow: UnitOfWork, order: Order, prefixes: tuple[str, ...], actor: str, routing: RoutingChoice,
              instead: str | None = None) -> bool:
    """Drop the hold reasons starting with one of `prefixes` (putting `instead` in their place, if
    given). With none left the hold is released, and an order held before it was routed is
    allocated now. True when the order is no longer held.

    The caller maps what it can first: an order with a line still unmapped is not allocated."""
    if order.status != Status.ON_HOLD:
        return True
    parts = hold_parts(order.hold_reason)
    kept = [part for part in parts if not part.startswith(prefixes)] + ([instead] if instead else [])
    if set(kept) == set(parts):
        return False
    if kept:
        order.hold_reason = SEPARATOR.join(kept)[:MAX_REASON]
        order.updated_at = utcnow()
        service.announce(uow, order, EventType.HOLD_CHANGED, actor, {"lifted": [p for p in parts if p not in kept],
                                                                     "reason": order.hold_reason})
        return False
    service.release_hold(uow, order.id, actor)
    if order.status == Status.PENDING:
        reallocation.allocate_open_lines(uow, order, routing, actor)
    return True


def record_payment(uow: UnitOfWork, order: Order, state: str, actor: str) -> bool:
    """The payment state the channel reports now ("unknown" says nothing and changes nothing)."""
    if not state or state == "unknown" or order.channel_payment == state:
        return False
    before, order.channel_payment, order.updated_at = order.channel_payment, state, utcnow()
    service.announce(uow, order, EventType.CHANNEL_PAYMENT, actor, {"from": before, "to": state})
    return True


def keep_channel_totals(order: Order, document: Mapping[str, Any] | None) -> None:
    """The channel's latest figures as sent (a newer delivery of the same order replaces them)."""
    if document is not None and order.channel_totals != document:
        order.channel_totals = dict(document)


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """What a channel update may change; None leaves a field as it is."""

    customer_name: str | None = None
    customer_email: str | None = None
    customer_phone: str | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None


def update_details(uow: UnitOfWork, order: Order, details: ContactDetails, actor: str) -> list[str]:
    """Apply the channel's contact and address changes while nothing has shipped; the changed
    fields (or, once shipped, the ones that could no longer change) go on the timeline."""
    changed = [name for name in ContactDetails.__slots__
               if (value := getattr(details, name)) is not None and value != getattr(order, name)]
    if not changed:
        return []
    shipped = order.status not in NOT_SHIPPED or any(li.shipped for li in order.lines)
    if shipped:
        service.announce(uow, order, EventType.CHANNEL_UPDATED, actor, {"not_applied": changed,
                                                                        "why": f"the order is {order.status}"})
        return []
    for name in changed:
        setattr(order, name, getattr(details, name))
    order.updated_at = utcnow()
    service.announce(uow, order, EventType.CHANNEL_UPDATED, actor, {"changed": changed})
    return changed


def refresh_amounts(uow: UnitOfWork, order: Order, cmd: PlaceOrder, actor: str) -> list[str]:
    """Take the channel's current amounts when its lines are still ours one for one (same platform
    line ids and quantities) and nothing has shipped: an Amazon order first seen Pending has no
    prices yet. Lines that changed on the channel are not rewritten here: the returned problem
    (`lines_changed_on_channel`) and a tag ask a person to look."""
    ours = {li.platform_line_id: li for li in order.lines if li.platform_line_id}
    if not ours or not cmd.lines:
        return []
    theirs = {li.platform_line_id: li for li in cmd.lines if li.platform_line_id}
    if {k: li.quantity for k, li in ours.items()} != {k: li.quantity for k, li in theirs.items()}:
        return _lines_changed(uow, order, ours, theirs, actor)
    new_totals = totals(cmd)
    before = {name: getattr(order, name) for name in new_totals}
    lines_before = [(li.unit_price_minor, li.discount_minor, li.tax_minor) for li in ours.values()]
    lines_after = [(theirs[k].unit_price_minor, theirs[k].discount_minor, theirs[k].tax_minor) for k in ours]
    if before == new_totals and lines_before == lines_after:
        return []
    if order.status not in NOT_SHIPPED or any(li.shipped for li in order.lines):
        return [f"amounts_changed_on_channel: the order is {order.status}; amounts kept"]
    for key, line in ours.items():
        given = theirs[key]
        line.unit_price_minor, line.discount_minor, line.tax_minor = (
            given.unit_price_minor, given.discount_minor, given.tax_minor)
        line.total_minor = line.unit_price_minor * line.quantity - line.discount_minor + line.tax_minor
    for name, value in new_totals.items():
        setattr(order, name, value)
    order.updated_at = utcnow()
    service.announce(uow, order, EventType.CHANNEL_UPDATED, actor, {
        "changed": ["amounts"], "total_minor": {"from": before["total_minor"], "to": new_totals["total_minor"]}})
    return []


def _lines_changed(uow: UnitOfWork, order: Order, ours: Mapping[str, OrderLine], theirs: Mapping[str, LineInput],
                   actor: str) -> list[str]:
    change = {"ours": {k: li.quantity for k, li in ours.items()},
              "theirs": {k: li.quantity for k, li in theirs.items()}}
    if "changed_on_channel" not in order.tags:
        service.announce(uow, order, EventType.CHANNEL_UPDATED, actor, {"lines_changed": change})
        order.tags = [*order.tags, "changed_on_channel"]
    return [f"lines_changed_on_channel: platform line quantities {change['theirs']}, ours {change['ours']}"]


def held_for_unmapped(uow: UnitOfWork, channel_id: str, channel_sku: str) -> list[Order]:
    """The channel's orders on hold with a line stored under `channel_sku` (no SKU mapped yet)."""
    waiting = select(OrderLine.order_id).where(OrderLine.sku_id.is_(None), OrderLine.sku_code == channel_sku)
    query = select(Order).where(Order.channel_id == channel_id, Order.status == Status.ON_HOLD,
                                Order.id.in_(waiting)).order_by(Order.id)
    if uow.dialect == "postgresql":
        query = query.with_for_update(of=Order)
    return list(uow.session.scalars(query))


def platform_line_ids(uow: UnitOfWork, order_id: str) -> dict[str, str]:
    """Our line id → the platform's line id, for lines that have one."""
    rows = uow.session.execute(select(OrderLine.id, OrderLine.platform_line_id).where(
        OrderLine.order_id == order_id, OrderLine.platform_line_id.is_not(None)))
    return {row.id: row.platform_line_id for row in rows}
