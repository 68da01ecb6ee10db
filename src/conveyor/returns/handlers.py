"""Return use cases: each opens one unit of work, calls operations of returns and the areas it
needs (orders, placement for an exchange, inventory through grading, shipping for the label) and
commits exactly once. The API, the CLI and tests call these.

Buying a return label talks to a carrier provider, so — as for outbound labels — the provider is
called with no transaction open and the label is voided if storing it fails. Grading (stock) and
resolving (money) are two transactions: a refund the gateway turns down must not undo the stock
that came back; the return then stays `graded` and can be resolved again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from conveyor.billing.allocation import Spread
from conveyor.billing.financials import allocate
from conveyor.bootstrap import Container
from conveyor.catalog.service import sku_facts
from conveyor.channels.service import channel_info_by_id
from conveyor.fulfillment import service as fulfilment
from conveyor.fulfillment.handlers import carrier_adapter
from conveyor.fulfillment.packing_flow import address_of, location_address
from conveyor.orders import operations as order_operations
from conveyor.orders import placement, timeline
from conveyor.orders.commands import Address, LineInput, OnShort, PlacementOptions, PlaceOrder
from conveyor.orders.handlers import channel_terms, retrying
from conveyor.orders.service import get_order
from conveyor.orders.timeline import EventType
from conveyor.payments import service as payments
from conveyor.returns import receiving, resolution, service
from conveyor.returns.lifecycle import ReturnStatus
from conveyor.returns.links import sign_return_link, verify_return_link
from conveyor.returns.model import Return
from conveyor.returns.refunds import RefundLine, Resolution
from conveyor.returns.service import Grading, ReturnItem
from conveyor.returns.settings import ReturnSettings, settings_from_config
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError, ErrorCode, ValidationFailed
from conveyor.shared.handlers import Idempotency, Replayed, run
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping.adapters.base import CarrierAdapter, CarrierRate, ShipmentRequest
from conveyor.shipping.rates import Parcel

CUSTOMER = "customer:return-link"
MIN_PARCEL_GRAMS = 100


def settings_for(uow: UnitOfWork, channel_id: str) -> ReturnSettings:
    return settings_from_config(channel_info_by_id(uow, channel_id).config)


# --- requesting --------------------------------------------------------------------------------------

def request_return(c: Container, order_id: str, items: Sequence[ReturnItem], *, actor: str, source: str = "staff",
                   staff_override: bool = False, location: str | None = None, note: str = "",
                   scope_channel_id: str | None = None, now: datetime | None = None,
                   idempotency: Idempotency[Return] | None = None) -> Return | Replayed:
    def work(uow: UnitOfWork) -> Return:
        order = get_order(uow, order_id, scope_channel_id)
        return service.request_return(uow, order_id, items, settings_for(uow, order.channel_id), source=source,
                                      actor=actor, now=now, staff_override=staff_override, location=location,
                                      note=note, scope_channel_id=scope_channel_id)

    return run(c.uow, work, idempotency)


def link_secret(c: Container) -> bytes:
    return c.settings.secret_key.encode()


@dataclass(frozen=True, slots=True)
class ReturnLink:
    order_id: str
    token: str
    expires_at: datetime


def return_link(c: Container, order_id: str, days: int = 30, scope_channel_id: str | None = None) -> ReturnLink:
    """A signed link for the customer of `order_id` (nothing is stored: the signature is the proof)."""
    if not 1 <= days <= 365:
        raise ValidationFailed("a return link is valid for 1 to 365 days")
    with c.reader() as uow:
        get_order(uow, order_id, scope_channel_id)
    expires = utcnow().replace(microsecond=0) + timedelta(days=days)
    return ReturnLink(order_id, sign_return_link(order_id, expires, link_secret(c)), expires)


def order_of_link(c: Container, token: str, now: datetime | None = None) -> str:
    return verify_return_link(token, link_secret(c), now or utcnow())


def request_by_link(c: Container, token: str, items: Sequence[ReturnItem], note: str = "",
                    now: datetime | None = None, idempotency: Idempotency[Return] | None = None) -> Return | Replayed:
    """The customer asks through their signed link: the channel's policy applies in full (no
    waivers), and only lines of the order the link names can be asked for."""
    order_id = order_of_link(c, token, now)
    return request_return(c, order_id, items, actor=CUSTOMER, source="customer", note=note, now=now,
                          idempotency=idempotency)


# --- approving (with an exchange's replacement order), rejecting, cancelling -------------------------

def approve_return(c: Container, return_id: str, actor: str, scope_channel_id: str | None = None) -> Return:
    """Approve; an exchange places its replacement order now, through the one placement engine,
    with its stock taken (refused with `insufficient_stock` when there is none to take)."""
    def attempt() -> Return:
        with c.uow() as uow:
            ret = service.get_return(uow, return_id, scope_channel_id, for_update=True)
            order = get_order(uow, ret.order_id, for_update=True)
            placed = _place_replacement(c, uow, ret, order, actor)
            exchange_id = placed.results[0].order.id if placed is not None else None
            service.approve(uow, ret, actor, settings_for(uow, order.channel_id).ship_back_days,
                            exchange_order_id=exchange_id)
            if placed is not None:
                placement.take_stock(uow, placed)
            uow.commit()
            return ret

    return retrying(attempt)


def _place_replacement(c: Container, uow: UnitOfWork, ret: Return, order: Any, actor: str) -> Any:
    exchanged = [rl for rl in ret.lines if rl.outcome == Resolution.EXCHANGE]
    if not exchanged or ret.status != ReturnStatus.REQUESTED:
        return None
    amounts = allocate(resolution.order_money(uow, order)).lines
    lines = []
    for rl in exchanged:
        line, count = amounts[rl.order_line_id], rl.exchange_quantity
        lines.append(LineInput(rl.exchange_sku or rl.sku_code, count, line.line.unit_price,
                               *_last_units(line.discount, line.tax, count), name=f"Exchange for {rl.sku_code}"))
    cmd = PlaceOrder(channel=channel_info_by_id(uow, order.channel_id).code, currency=order.currency, lines=lines,
                     external_id=f"exchange:{ret.id}", customer_name=order.customer_name,
                     customer_email=order.customer_email, customer_phone=order.customer_phone,
                     billing_address=_address(order.billing_address), shipping_address=_address(order.shipping_address),
                     notes=f"replacement for return {ret.number}", tags=["exchange"], channel_payment="exchange",
                     locale=order.locale)
    terms = channel_terms(uow, cmd.channel, c.settings.backorder_policy)
    placed = placement.place(uow, [cmd], terms, PlacementOptions(actor, OnShort.REFUSE, c.settings.max_order_lines))
    created = [r.order for r in placed.created]
    fulfilment.open_for_placement(uow, created, actor)
    for replacement in created:
        timeline.append(uow, replacement.id, EventType.EXCHANGE_PLACED, {
            "return_id": ret.id, "return_number": ret.number, "original_order_id": order.id}, actor)
    return placed


def _last_units(discount: Spread, tax: Spread, count: int) -> tuple[int, int]:
    """The discount and tax of `count` replacement units, priced as the line's last units (whose
    shares of odd cents are the smallest): a like-for-like exchange never costs a cent more than
    was paid. Beyond the line's quantity, every unit as its last one."""
    if count <= discount.units:
        start = discount.units - count
        return discount.for_units(start, count), tax.for_units(start, count)
    last = discount.units - 1
    return discount.for_units(last, 1) * count, tax.for_units(last, 1) * count


def _address(data: dict[str, Any] | None) -> Address | None:
    return Address(**{k: v for k, v in data.items() if k in Address.__slots__}) if data else None


def reject_return(c: Container, return_id: str, reason: str, actor: str, scope_channel_id: str | None = None) -> Return:
    return run(c.uow, lambda uow: service.reject(
        uow, service.get_return(uow, return_id, scope_channel_id, for_update=True), reason, actor))


def cancel_return(c: Container, return_id: str, reason: str, actor: str, scope_channel_id: str | None = None) -> Return:
    """Cancel an open return; its replacement order (an exchange) is cancelled with it, or the
    cancel is refused when the replacement has already shipped."""
    def work(uow: UnitOfWork) -> Return:
        ret = service.get_return(uow, return_id, scope_channel_id, for_update=True)
        if ret.exchange_order_id:
            replacement = get_order(uow, ret.exchange_order_id, for_update=True)
            if any(li.shipped for li in replacement.lines):
                raise DomainError(ErrorCode.CONFLICT, f"the replacement order {replacement.id} has shipped: "
                                  "receive the return instead of cancelling it")
            if replacement.status != "cancelled":
                order_operations.cancel_order(uow, replacement.id, reason=f"return {ret.number} cancelled",
                                              actor=actor)
        return service.cancel(uow, ret, reason, actor)

    return run(c.uow, work)


# --- the return label --------------------------------------------------------------------------------

def create_label(c: Container, return_id: str, actor: str, *, location: str | None = None, carrier: str | None = None,
                 service_code: str | None = None, adapter: CarrierAdapter | None = None,
                 scope_channel_id: str | None = None) -> Return:
    """Buy a label from the customer to the returns location through the shipping module's
    carrier adapter (the built-in offline carrier by default): the named service, else the cheapest."""
    with c.reader() as uow:
        ret = service.get_return(uow, return_id, scope_channel_id)
        request = _label_request(uow, ret, location)
        adapter = adapter or carrier_adapter(c, uow)
    label = adapter.buy(request, _rate(adapter.rates(request), carrier, service_code))

    def work(uow: UnitOfWork) -> Return:
        ret = service.get_return(uow, return_id, scope_channel_id, for_update=True)
        if location:
            ret.location_id = service.returns_location(uow, location).id
        return service.attach_label(uow, ret, label, actor)

    try:
        return run(c.uow, work)
    except Exception:
        adapter.void(label)
        raise


def _label_request(uow: UnitOfWork, ret: Return, location: str | None) -> ShipmentRequest:
    if ret.status != ReturnStatus.APPROVED or ret.in_store:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"return {ret.number} is {ret.status}"
                          + (" and in store" if ret.in_store else "") + ": no label can be bought for it")
    where = location or ret.location_id
    if not where:
        raise ValidationFailed("name the location the parcel goes back to (location)")
    loc = service.returns_location(uow, where)
    order = get_order(uow, ret.order_id)
    if not order.shipping_address:
        raise ValidationFailed(f"order {order.id} has no address to send the label from",
                               ErrorCode.NO_SHIPPING_ADDRESS)
    facts = sku_facts(uow, sorted({rl.sku_code for rl in ret.lines}))
    grams = sum(facts[rl.sku_code].weight_grams * rl.approved for rl in ret.lines if rl.sku_code in facts)
    return ShipmentRequest(address_of(order.shipping_address, order.customer_name), location_address(uow, loc.id),
                           Parcel(max(grams, MIN_PARCEL_GRAMS)), reference=ret.number, residential=True)


def _rate(rates: Sequence[CarrierRate], carrier: str | None, service_code: str | None) -> CarrierRate:
    wanted = [r for r in rates if carrier in (None, r.carrier) and service_code in (None, r.service)]
    if not wanted:
        raise DomainError(ErrorCode.SERVICE_UNAVAILABLE, "no carrier service can take this return parcel",
                          carrier=carrier, service=service_code)
    return min(wanted, key=lambda r: (r.price.minor, r.carrier, r.service))


# --- receiving, grading, resolving -------------------------------------------------------------------

def receive_return(c: Container, return_id: str, location: str, actor: str,
                   received: Mapping[str, int] | None = None, scope_channel_id: str | None = None) -> Return:
    return run(c.uow, lambda uow: receiving.receive(
        uow, service.get_return(uow, return_id, scope_channel_id, for_update=True), location, received, actor))


def grade_return(c: Container, return_id: str, grades: Sequence[Grading], actor: str, *, resolve: bool = True,
                 include_shipping: bool | None = None, scope_channel_id: str | None = None) -> Return:
    """Grade every unit (stock moves now), then — unless told not to — resolve the money."""
    def work(uow: UnitOfWork) -> Return:
        ret = service.get_return(uow, return_id, scope_channel_id, for_update=True)
        receiving.grade(uow, ret, grades, settings_for(uow, ret.channel_id), actor)
        return ret

    graded = run(c.uow, work)
    if not resolve:
        return graded
    return resolve_return(c, return_id, actor, include_shipping=include_shipping, scope_channel_id=scope_channel_id)


def resolve_return(c: Container, return_id: str, actor: str, include_shipping: bool | None = None,
                   scope_channel_id: str | None = None) -> Return:
    """Work out the money and send the refund part back through the order's original payments
    (`payments.service.refund_order`, which never refunds more than was captured and issues the
    credit note), in one transaction. A refund the gateway turns down leaves it due (`failed`),
    to be sent again with `refund_return`."""
    def work(uow: UnitOfWork) -> Return:
        ret = service.get_return(uow, return_id, scope_channel_id, for_update=True)
        order = get_order(uow, ret.order_id, for_update=True)
        resolved = resolution.resolve(uow, ret, settings_for(uow, ret.channel_id),
                                      refundable=_refundable(uow, order, ret),
                                      replacement_prices=_replacement_prices(uow, ret),
                                      include_shipping=include_shipping, actor=actor)
        if ret.refund_due_minor > 0 and payments.order_payments(uow, order.id):
            _send_refund(uow, ret, actor, resolved.refund_lines)
        return ret

    return run(c.uow, work)


def refund_return(c: Container, return_id: str, actor: str, scope_channel_id: str | None = None) -> Return:
    """Send (again) what a resolved return still owes to the original payment: a refund that was
    declined, failed or whose answer was lost is asked again with the same idempotency key, so the
    provider never pays it twice."""
    def work(uow: UnitOfWork) -> Return:
        ret = service.get_return(uow, return_id, scope_channel_id, for_update=True)
        if ret.status != ReturnStatus.RESOLVED or ret.refund_due_minor <= 0:
            raise DomainError(ErrorCode.CONFLICT, f"return {ret.number} has nothing left to refund",
                              status=ret.status, refund_status=ret.refund_status)
        if not payments.order_payments(uow, ret.order_id):
            raise DomainError(ErrorCode.CONFLICT, f"order {ret.order_id} has no payment here to refund to: "
                              "pay it back where it was paid")
        _send_refund(uow, ret, actor, _refund_lines_of(ret))
        return ret

    return run(c.uow, work)


def _send_refund(uow: UnitOfWork, ret: Return, actor: str, lines: Sequence[Any]) -> None:
    outcome = payments.refund_order(uow, order_id=ret.order_id, amount_minor=ret.refund_due_minor,
                                    reason=f"return {ret.number}", idempotency_key=f"return-{ret.id}",
                                    actor=actor, source="return", source_id=ret.id, lines=lines)
    resolution.record_refund(ret, outcome)


def _refund_lines_of(ret: Return) -> list[RefundLine]:
    """The refunded lines as stored on the return (for a refund sent again)."""
    return [RefundLine(rl.order_line_id, rl.sku_code, rl.refundable_units, rl.amount_minor + rl.fee_minor,
                       rl.tax_minor, rl.fee_minor, rl.tax_minor)
            for rl in ret.lines if rl.outcome == Resolution.REFUND and rl.refundable_units]


def _refundable(uow: UnitOfWork, order: Any, ret: Return) -> int:
    """What may still go back for this return: with payments here, what they captured and have not
    refunded, less the value earlier returns gave as store credit or exchange and refunds they
    still owe; an order paid elsewhere (no payment here) counts as paid in full."""
    given = owed = 0
    for other in service.returns_of_order(uow, order.id):
        if other.id != ret.id and other.status == ReturnStatus.RESOLVED:
            given += other.store_credit_minor + other.exchange_credit_minor
            owed += other.refund_due_minor
    if payments.order_payments(uow, order.id):
        return max(payments.order_paid(uow, order.id).refundable - given - owed, 0)
    refunded = sum(other.refunded_minor for other in service.returns_of_order(uow, order.id))
    return max(order.total_minor - given - owed - refunded, 0)


def _replacement_prices(uow: UnitOfWork, ret: Return) -> dict[str, int]:
    """Each exchanged return line's replacement line total (placed in the same order, one line each)."""
    if not ret.exchange_order_id:
        return {}
    replacement = get_order(uow, ret.exchange_order_id)
    exchanged = [rl for rl in ret.lines if rl.outcome == Resolution.EXCHANGE]
    totals = [li.total_minor for li in sorted(replacement.lines, key=lambda li: li.line_no)]
    return {rl.id: total for rl, total in zip(exchanged, totals, strict=True)}


# --- store credit --------------------------------------------------------------------------------------

def store_credit(c: Container, customer: str, currency: str) -> int:
    with c.reader() as uow:
        return resolution.store_credit_balance(uow, customer, currency)
