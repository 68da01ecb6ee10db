"""Applying one classified channel delivery (`channels.events.ChannelEvent`) to the order it names.

The table "What each delivery does" in docs/channels.md is the rule; in short:
- `created` places the order unless the channel sent it before; then it reads as an update.
  Platforms don't promise delivery order, so a create whose order was cancelled or deleted in an
  earlier delivery is placed held (`cancelled_on_channel`), and one whose payment arrived earlier
  is taken as paid.
- An order the channel has not been paid for is accepted but not shippable, per the channel's
  `config.unpaid_orders`: "hold" (default) keeps it on hold, nothing allocated; "allocate" allocates
  stock, then holds it, so nothing reaches the warehouse before the channel reports payment.
- Every event about a known order records what it says: payment state, totals as sent, new
  refunds (timeline), contact/address changes while nothing shipped, a buyer's cancel request.
  Paid lifts the payment hold; cancelled cancels through the order core (stock released);
  fulfilled, deleted, archived and restored are recorded on the timeline.
- An event about an order never received, other than a create, is stored and acknowledged
  (payload `ignored`) and creates nothing. An unknown topic, or a body we cannot use, is stored
  and flagged for a person (payload `failed`).
Service functions: they take the unit of work and never commit (channels/handlers.py does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conveyor.channels import intake
from conveyor.channels.events import ChannelEvent, EventKind, RefundDetails
from conveyor.channels.mappers.common import UNMAPPED
from conveyor.channels.service import ChannelInfo
from conveyor.channels.skumap import remap_unmapped_lines
from conveyor.channels.statuses import SHIPPABLE_PAYMENT, PaymentState
from conveyor.orders import channel_updates, operations, service, timeline
from conveyor.orders.channel_updates import ContactDetails, add_hold, hold_parts, lift_hold
from conveyor.orders.commands import PlaceOrder
from conveyor.orders.lifecycle import CANCELLABLE, Status
from conveyor.orders.reallocation import RoutingChoice
from conveyor.orders.timeline import EventType
from conveyor.payments import flows as payment_flows
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.languages import first_language
from conveyor.shared.money import format_minor
from conveyor.shared.uow import UnitOfWork

PAYMENT_HOLDS = ("awaiting_payment", "payment_")
CANCELLED_HOLD = "cancelled_on_channel"
DELETED_TAG = "deleted_on_channel"
UNPAID_POLICIES = ("hold", "allocate")
RECORDED = {EventKind.FULFILLED: EventType.CHANNEL_FULFILLED, EventKind.DELETED: EventType.CHANNEL_DELETED,
            EventKind.ARCHIVED: EventType.CHANNEL_ARCHIVED, EventKind.RESTORED: EventType.CHANNEL_RESTORED}


@dataclass(slots=True)
class Applied:
    """What one delivery did. `status` is its payload's (parsed | held | ignored | failed: a
    person should look); `outcome` is the answer's (created, updated, cancelled, ignored, failed)."""

    status: str
    outcome: str
    order_id: str | None = None
    problems: list[str] = field(default_factory=list)
    created: bool = False


def unpaid_policy(channel: ChannelInfo) -> str:
    policy = str(channel.config.get("unpaid_orders") or "hold")
    if policy not in UNPAID_POLICIES:
        raise ValidationFailed(f"config.unpaid_orders must be one of {', '.join(UNPAID_POLICIES)}")
    return policy


def known_order(uow: UnitOfWork, channel: ChannelInfo, event: ChannelEvent) -> Any:
    """The order this event is about, locked for the change, or None if never received."""
    if not event.external_id:
        return None
    return service.find_by_external_id(uow, channel.id, event.external_id, for_update=True)


def creates_order(event: ChannelEvent) -> bool:
    return event.kind == EventKind.CREATED and event.order is not None and not event.needs_fetch


def not_applied(channel: ChannelInfo, event: ChannelEvent) -> Applied:
    """An event with no order to apply to: acknowledged; flagged when nobody could use it."""
    problems = list(event.problems)
    if event.kind == EventKind.UNKNOWN or event.needs_fetch or (event.kind == EventKind.CREATED and not event.order):
        return Applied("failed", "failed", None, problems or [f"unusable {event.kind} delivery"])
    problems.append(f"unknown_order: {channel.type} order {event.external_id or '<no id>'} was never received "
                    f"here; nothing was created")
    return Applied("ignored", "ignored", None, problems)


# --- a new order ----------------------------------------------------------------------------------------

def command_for(uow: UnitOfWork, channel: ChannelInfo, event: ChannelEvent) -> tuple[PlaceOrder, str | None]:
    """The order to place for a `created` event, and the payment hold to add once it is allocated
    (the "allocate" policy). Safe to call again when the transaction is retried."""
    assert event.order is not None
    mapped = event.order
    intake.prepare(mapped)
    cmd = mapped.order
    cmd.order_number = (event.order_number or cmd.order_number or "")[:100] or None
    # A platform that sends no language (WooCommerce without WPML): the store's, set on the channel.
    cmd.locale = first_language(cmd.locale, str(channel.config.get("language") or ""))
    if event.payment_state != PaymentState.UNKNOWN:
        cmd.channel_payment = event.payment_state.value
    parts = hold_parts(cmd.hold_reason)
    earlier = intake.earlier_events(uow, channel.id, event.external_id) if event.external_id else set()
    gone = earlier & {EventKind.CANCELLED, EventKind.DELETED}
    if gone and not any(p.startswith(CANCELLED_HOLD) for p in parts):
        parts.insert(0, f"{CANCELLED_HOLD}: {sorted(gone)[0]} in an earlier delivery")
    if EventKind.PAID in earlier:
        parts, cmd.channel_payment = [p for p in parts if not p.startswith(PAYMENT_HOLDS)], PaymentState.PAID.value
    later_hold = None
    if parts and all(p.startswith(PAYMENT_HOLDS) for p in parts) and unpaid_policy(channel) == "allocate":
        later_hold, parts = "; ".join(parts), []
    cmd.hold_reason = "; ".join(parts)[:200] or None
    return cmd, later_hold


def after_placement(uow: UnitOfWork, event: ChannelEvent, order_id: str, later_hold: str | None,
                    actor: str) -> Applied:
    """Timeline entries and holds that follow a new order's placement, in its transaction."""
    assert event.order is not None
    mapped = event.order
    if mapped.total_mismatch:
        timeline.append(uow, order_id, EventType.CHANNEL_TOTAL_MISMATCH, _mismatch(event), actor)
    order = service.get_order(uow, order_id, for_update=True)
    if order.channel_payment in {state.value for state in SHIPPABLE_PAYMENT}:
        payment_flows.record_channel_payment(uow, order.id, actor)  # the marketplace took the money
    if later_hold:
        add_hold(uow, order, later_hold, actor)
    if event.buyer_cancel_requested:
        _flag_cancel_request(uow, order, event, actor)
    status = "held" if order.status == Status.ON_HOLD else "parsed"
    return Applied(status, "created", order_id, list(event.problems), created=True)


def _mismatch(event: ChannelEvent) -> dict[str, Any]:
    mapped = event.order
    assert mapped is not None and mapped.declared_total_minor is not None
    currency = mapped.order.currency
    return {"note": mapped.mismatch_note, "currency": currency,
            "channel_total": _money(mapped.declared_total_minor, currency),
            "computed_total": _money(mapped.computed_total_minor, currency)}


# --- an order we know ----------------------------------------------------------------------------------

def apply_to_order(uow: UnitOfWork, channel: ChannelInfo, order: Any, event: ChannelEvent, actor: str) -> Applied:
    """Apply an event to the order it names (never creates a second one)."""
    problems = list(event.problems)
    _record_facts(uow, order, event, actor, problems)
    if event.kind == EventKind.CANCELLED or (event.cancelled_on_channel and event.kind == EventKind.UPDATED):
        return _cancel(uow, channel, order, event, actor, problems)
    if event.kind in RECORDED:
        timeline.append(uow, order.id, RECORDED[event.kind], _facts(event), actor)
        if event.kind == EventKind.DELETED and DELETED_TAG not in order.tags:
            service.change_tags(uow, order.id, [DELETED_TAG], [], actor)
        if event.kind == EventKind.RESTORED and DELETED_TAG in order.tags:
            service.change_tags(uow, order.id, [], [DELETED_TAG], actor)
    paid = event.payment_state in SHIPPABLE_PAYMENT or (
        event.kind == EventKind.PAID and event.payment_state == PaymentState.UNKNOWN)
    if paid and not event.cancelled_on_channel:
        lift_hold(uow, order, PAYMENT_HOLDS, actor, RoutingChoice(channel.code, channel.routing_strategy))
        payment_flows.record_channel_payment(uow, order.id, actor)
    status = "failed" if any(p.startswith("lines_changed_on_channel") for p in problems) else "parsed"
    return Applied(status, "updated", order.id, problems)


def _record_facts(uow: UnitOfWork, order: Any, event: ChannelEvent, actor: str, problems: list[str]) -> None:
    """What the delivery says about the order, whatever its kind."""
    channel_updates.record_payment(uow, order, event.payment_state.value, actor)
    _record_refunds(uow, order, event.refunds, actor)
    if event.buyer_cancel_requested:
        _flag_cancel_request(uow, order, event, actor)
    mapped = event.order
    if mapped is None or event.kind == EventKind.CANCELLED:
        return
    intake.prepare(mapped)
    channel_updates.keep_channel_totals(order, mapped.order.channel_totals)
    # A repeated create is an old snapshot (Amazon's polls are always the latest document).
    if event.kind != EventKind.CREATED or event.platform == "amazon":
        channel_updates.update_details(uow, order, _details(mapped.order), actor)
        problems.extend(channel_updates.refresh_amounts(uow, order, mapped.order, actor))


def _details(cmd: PlaceOrder) -> ContactDetails:
    return ContactDetails(
        customer_name=cmd.customer_name or None, customer_email=cmd.customer_email or None,
        customer_phone=cmd.customer_phone or None,
        shipping_address=cmd.shipping_address.as_dict() if cmd.shipping_address else None,
        billing_address=cmd.billing_address.as_dict() if cmd.billing_address else None)


def _cancel(uow: UnitOfWork, channel: ChannelInfo, order: Any, event: ChannelEvent, actor: str,
            problems: list[str]) -> Applied:
    if order.status == Status.CANCELLED:
        return Applied("parsed", "cancelled", order.id, problems)
    reason = f"cancelled on {channel.type}" + (f": {event.cancel_reason}" if event.cancel_reason else "")
    if order.status in CANCELLABLE:
        operations.cancel_order(uow, order.id, reason=reason, actor=actor, source="channel")
        return Applied("parsed", "cancelled", order.id, problems)
    # Shipped already: nothing left to cancel here. A person settles it with the buyer.
    timeline.append(uow, order.id, EventType.CHANNEL_CANCELLED,
                    {"applied": False, "why": f"the order is {order.status}", "reason": reason}, actor)
    if CANCELLED_HOLD not in order.tags:
        service.change_tags(uow, order.id, [CANCELLED_HOLD], [], actor)
    problems.append(f"cancel_not_applied: the order is already {order.status}")
    return Applied("failed", "failed", order.id, problems)


def _record_refunds(uow: UnitOfWork, order: Any, refunds: list[RefundDetails], actor: str) -> None:
    """Each channel refund once on the timeline (payments are recorded here; money moves later)."""
    if not refunds:
        return
    seen = {e.data.get("refund_id") for e in timeline.events(uow, order.id) if e.type == EventType.CHANNEL_REFUNDED}
    ours = {li.platform_line_id: li.id for li in order.lines if li.platform_line_id}
    for refund in refunds:
        if refund.refund_id and refund.refund_id in seen:
            continue
        seen.add(refund.refund_id)
        currency = refund.currency or order.currency
        timeline.append(uow, order.id, EventType.CHANNEL_REFUNDED, {
            "refund_id": refund.refund_id, "amount": _money(refund.amount_minor, currency), "currency": currency,
            "reason": refund.reason, "created_at": refund.created_at,
            "lines": [{"platform_line_id": li.platform_line_id, "line_id": ours.get(li.platform_line_id),
                       "quantity": li.quantity,
                       "amount": None if li.amount_minor is None else _money(li.amount_minor, currency)}
                      for li in refund.lines]}, actor)


# --- a SKU mapped at last ------------------------------------------------------------------------------

@dataclass(slots=True)
class Released:
    channel_sku: str
    released: list[str] = field(default_factory=list)  # order ids no longer held
    still_held: list[tuple[str, str]] = field(default_factory=list)  # (order id, what it still waits for)


def release_for_key(uow: UnitOfWork, channel: ChannelInfo, channel_sku: str, actor: str) -> Released:
    """Re-map the lines of every order held for `channel_sku` (just mapped) and lift that part of
    their holds; an order held for another key or for payment too stays held for that alone."""
    outcome = Released(channel_sku)
    routing = RoutingChoice(channel.code, channel.routing_strategy)
    for order in channel_updates.held_for_unmapped(uow, channel.id, channel_sku):
        remap_unmapped_lines(uow, order)
        waiting = list(dict.fromkeys(li.sku_code for li in order.lines if li.sku_id is None))
        instead = f"{UNMAPPED}: {', '.join(waiting)}" if waiting else None
        if lift_hold(uow, order, (UNMAPPED,), actor, routing, instead=instead):
            outcome.released.append(order.id)
        else:
            outcome.still_held.append((order.id, order.hold_reason or ""))
    return outcome


def _flag_cancel_request(uow: UnitOfWork, order: Any, event: ChannelEvent, actor: str) -> None:
    """A buyer asked the platform to cancel: the seller decides, so a person is told, once."""
    if "buyer_cancel_requested" in order.tags:
        return
    timeline.append(uow, order.id, EventType.CHANNEL_CANCEL_REQUESTED, {"reason": event.cancel_reason}, actor)
    service.change_tags(uow, order.id, ["buyer_cancel_requested"], [], actor)


def _facts(event: ChannelEvent) -> dict[str, Any]:
    return {"topic": event.topic, "platform_status": event.platform_status, "updated_at": event.updated_at}


def _money(minor: int, currency: str) -> str:
    try:
        return f"{format_minor(minor, currency)} {currency}"
    except ValidationFailed:
        return f"{minor} (minor units, {currency or 'no currency'})"
