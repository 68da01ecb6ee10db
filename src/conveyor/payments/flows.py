"""What an order's money does when the order changes: the payments' side of placing, shipping and
cancelling, run as unit-of-work reactions (conveyor/wiring.py; docs/decisions.md 27 and 28).

* Placed with a payment: authorize the total (or charge it, per the channel's terms). A decline
  puts the order on hold `payment_failed` (payments.service).
* Shipped: capture exactly what the shipped units cost, the shipping charge with the first
  shipment (`billing.financials`: shipped units are the first units of each line, so successive
  captures add up to the order to the cent). The last shipment releases what stays held. What
  cannot be captured any more (an expired or too small authorization) is reported as a shortfall.
* Cancelled: an authorization of a fully cancelled order is voided; money captured beyond what
  the order now costs is refunded, with its credit note.
* Invoices: at shipment for the units that shipped, or at capture for the units a capture paid for.

Everything here is derived from the order's lines and the payments' attempts, so running it twice
does nothing the second time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conveyor.billing import service as billing
from conveyor.billing.financials import OrderAllocation, allocate
from conveyor.billing.invoices import InvoiceTrigger, whole_order_units
from conveyor.billing.order_money import order_money
from conveyor.orders import service as orders
from conveyor.orders.timeline import EventType
from conveyor.payments import attempts as records
from conveyor.payments import service
from conveyor.payments.gateway import Operation, PaymentSource
from conveyor.payments.model import Payment
from conveyor.payments.policy import CaptureMode, placement_step
from conveyor.payments.state import PaymentTotals, attempt_key
from conveyor.payments.terms import MoneyTerms
from conveyor.shared.clock import utcnow
from conveyor.shared.money import Money
from conveyor.shared.uow import UnitOfWork

PLACEMENT_KEY = "placement"


def take_payment_at_placement(uow: UnitOfWork, order_id: str, detail: dict[str, Any], terms: MoneyTerms,
                              now: datetime | None = None) -> service.Attempted | None:
    order = orders.get_order(uow, order_id, for_update=True)
    step = placement_step(terms.policy, Money(order.total_minor, order.currency))
    if step is None:
        return None
    source = PaymentSource(detail.get("method") or "card", detail.get("token") or "", detail.get("customer") or "")
    charge = step.operation is Operation.CHARGE
    done = service.open_payment(uow, order_id=order.id, provider=detail["provider"], source=source,
                                amount_minor=step.amount.minor, idempotency_key=PLACEMENT_KEY,
                                actor=detail.get("actor") or "system", charge=charge, cause="placement",
                                reason=step.reason, now=now)
    if done.succeeded and charge and terms.invoice_at is InvoiceTrigger.AT_CAPTURE:
        invoice = billing.issue_invoice(uow, order, whole_order_units(order_money(order)), include_shipping=True,
                                        cause="capture", cause_id=done.attempt.id, provider=done.payment.provider,
                                        now=now)
        _announce_invoice(uow, order, invoice, done.attempt.actor)
    return done


def record_channel_payment(uow: UnitOfWork, order_id: str, actor: str, now: datetime | None = None) -> None:
    """The marketplace reported the order paid: record it as a payment the channel took (once)."""
    order = orders.get_order(uow, order_id, for_update=True)
    if order.total_minor <= 0 or any(p.provider == "channel" for p in service.order_payments(uow, order.id)):
        return
    service.open_payment(uow, order_id=order.id, provider="channel", source=PaymentSource("marketplace"),
                         amount_minor=order.total_minor, idempotency_key="channel-paid", actor=actor, charge=True,
                         cause="channel", reason="paid on the channel", now=now)


# --- shipping and cancelling ----------------------------------------------------------------------------

def follow_money(uow: UnitOfWork, order_id: str, detail: dict[str, Any], terms: MoneyTerms,
                 now: datetime | None = None) -> None:
    order = orders.get_order(uow, order_id, for_update=True)
    actor = detail.get("actor") or "system"
    now = now or utcnow()  # an authorization that lapsed is not capturable: a shortfall, not an error
    payments = records.lock_order_payments(uow, order.id)
    money = order_money(order)
    allocation = allocate(money)
    every_unit_done = all(line.shipped + line.cancelled == line.quantity for line in money.lines)
    if payments and terms.policy.capture_mode is CaptureMode.AUTHORIZE_THEN_CAPTURE_AT_SHIPMENT:
        _capture_shipped(uow, order, payments, allocation, every_unit_done, terms, actor, now)
    if payments:
        _refund_cancelled(uow, order, payments, allocation, actor, now)
    shipment_id = detail.get("shipment_id")
    if shipment_id and terms.invoice_at is InvoiceTrigger.AT_SHIPMENT:
        _invoice_shipped(uow, order, "shipment", shipment_id, payments[0].provider if payments else "", actor, now)


def shipped_value(allocation: OrderAllocation) -> int:
    """What the shipped units cost, with the shipping charge once anything has shipped."""
    goods = sum(amounts.total(0, amounts.line.shipped) for amounts in allocation.lines.values())
    shipped_any = any(amounts.line.shipped for amounts in allocation.lines.values())
    return goods + (allocation.shipping_total if shipped_any else 0)


def _capture_shipped(uow: UnitOfWork, order: Any, payments: list[Payment], allocation: OrderAllocation,
                     final: bool, terms: MoneyTerms, actor: str, now: datetime | None) -> None:
    totals = [(p, records.totals_of(uow, p, now)) for p in payments]
    captured = sum(t.captured + t.capture_pending for _, t in totals)
    owed = shipped_value(allocation) - captured
    for payment, total in totals:
        take = min(max(owed, 0), total.capturable)
        if take > 0:
            owed -= take
            done = service.capture(uow, payment_id=payment.id, amount_minor=take, actor=actor, final=final,
                                   idempotency_key=_next_key(uow, payment, Operation.CAPTURE), cause="shipment",
                                   now=now)
            if done.succeeded and terms.invoice_at is InvoiceTrigger.AT_CAPTURE:
                _invoice_shipped(uow, order, "capture", done.attempt.id, payment.provider, actor, now)
        elif final and total.capturable > 0 and not total.capture_pending:
            service.void(uow, payment_id=payment.id, idempotency_key=_next_key(uow, payment, Operation.VOID),
                         actor=actor, cause="shipment", reason="nothing more will ship: release the rest", now=now)
    if owed > 0:
        _report_shortfall(uow, order, Money(owed, order.currency), actor)


def _next_key(uow: UnitOfWork, payment: Payment, operation: Operation) -> str:
    """The n-th capture (or void) of a payment always has the same key, so a retry can never do it twice."""
    done = [row for row in records.attempt_rows(uow, payment.id) if row.operation == operation.value]
    return attempt_key(payment.id, operation, len(done) + 1)


def _report_shortfall(uow: UnitOfWork, order: Any, shortfall: Money, actor: str) -> None:
    detail = (f"shipped goods worth {shortfall} more than can still be captured (the authorization expired or "
              "was too small): charge the difference another way")
    orders.announce(uow, order, EventType.PAYMENT_ATTENTION, actor,
                    {"shortfall_minor": shortfall.minor, "currency": shortfall.currency, "message": detail})


def _refund_cancelled(uow: UnitOfWork, order: Any, payments: list[Payment], allocation: OrderAllocation,
                      actor: str, now: datetime | None) -> None:
    """Money captured beyond what the order now costs, because units were cancelled, goes back for
    the units no credit note has covered yet. (Returns refund their own units: returns/.)"""
    totals = [records.totals_of(uow, p, now) for p in payments]
    every_unit_cancelled = all(a.line.cancelled == a.line.quantity for a in allocation.lines.values())
    if every_unit_cancelled:
        for payment, total in zip(payments, totals, strict=True):
            if total.held > 0 and not total.capture_pending:
                service.void(uow, payment_id=payment.id, idempotency_key="cancelled", actor=actor, cause="cancel",
                             reason="the order was cancelled", now=now)
    lines = _cancelled_not_credited(uow, order.id, allocation)
    shipping = allocation.shipping_total if every_unit_cancelled and not billing.shipping_credited(
        uow, order.id, "cancel") else 0
    overpaid = _paid(totals) - _owed_for_kept(allocation, every_unit_cancelled)
    amount = min(sum(line.amount for line in lines) + shipping, overpaid, sum(t.refundable for t in totals))
    if amount > 0:
        units = sum(a.line.cancelled for a in allocation.lines.values())
        service.refund_order(uow, order_id=order.id, amount_minor=amount, reason="cancelled units",
                             idempotency_key=f"cancel-{units}", actor=actor, source="cancel", lines=lines, now=now)


def _cancelled_not_credited(uow: UnitOfWork, order_id: str, allocation: OrderAllocation) -> list[billing.RefundedLine]:
    """Cancelled units are the last units of each line; those after the ones already credited."""
    credited = billing.credited_units(uow, order_id, cause="cancel")
    lines = []
    for a in allocation.lines.values():
        line = a.line
        count = line.cancelled - credited.get(line.line_id, 0)
        if count > 0:
            start = line.quantity - line.cancelled
            lines.append(billing.RefundedLine(line.line_id, line.sku, count, a.total(start, count), 0,
                                              a.tax_of(start, count)))
    return lines


def _owed_for_kept(allocation: OrderAllocation, every_unit_cancelled: bool) -> int:
    """What the customer owes for units neither cancelled nor returned."""
    owed = 0
    for a in allocation.lines.values():
        kept = a.line.quantity - a.line.cancelled
        owed += a.total(0, kept) - a.returned_total()
    return owed + (0 if every_unit_cancelled else allocation.shipping_total)


def _paid(totals: list[PaymentTotals]) -> int:
    return sum(t.captured - t.refunded - t.refund_pending for t in totals)


# --- invoices -------------------------------------------------------------------------------------------

def _invoice_shipped(uow: UnitOfWork, order: Any, cause: str, cause_id: str, provider: str, actor: str,
                     now: datetime | None) -> None:
    """Invoice the shipped units no invoice has covered yet (and shipping, on the first)."""
    invoiced = billing.invoiced_units(uow, order.id)
    units = {line.id: (invoiced.get(line.id, 0), line.shipped - invoiced.get(line.id, 0))
             for line in order.lines if line.shipped > invoiced.get(line.id, 0)}
    include_shipping = not billing.shipping_invoiced(uow, order.id) and any(li.shipped for li in order.lines)
    invoice = billing.issue_invoice(uow, order, units, include_shipping=include_shipping, cause=cause,
                                    cause_id=cause_id, provider=provider, now=now)
    _announce_invoice(uow, order, invoice, actor)


def _announce_invoice(uow: UnitOfWork, order: Any, invoice: Any, actor: str) -> None:
    if invoice is not None:
        orders.announce(uow, order, EventType.INVOICE_ISSUED, actor,
                        {"invoice_id": invoice.id, "number": invoice.number, "total_minor": invoice.total_minor,
                         "currency": invoice.currency})
