"""Resolving a graded return: what its units are worth, and how that goes back to the customer.

The amounts come from the pure rules (`returns.refunds`, on the order's allocation of discounts
and tax in `billing.financials`): each refundable unit gives back exactly what was paid for it,
continuing after the units earlier resolved returns of the order already gave back; the
restocking fee is kept; shipping comes back per policy, once. The value then splits per line by
the customer's choice: refund to the original payment, store credit (a ledger entry here), or the
exchange's replacement order. `refund_due_minor` is what the payments area is asked to send.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select

from conveyor.billing.financials import OrderLine, OrderMoney
from conveyor.billing.order_money import order_money as billing_order_money
from conveyor.messaging.outbox import Topic
from conveyor.orders.service import get_order
from conveyor.orders.timeline import EventType
from conveyor.returns.lifecycle import ReturnEvent, ReturnStatus
from conveyor.returns.model import Return, ReturnLine, StoreCreditEntry
from conveyor.returns.receiving import refundable_by_grade
from conveyor.returns.refunds import (
    RefundBreakdown,
    RefundLine,
    Replacement,
    Resolution,
    ResolutionPlan,
    ReturningUnits,
    plan_resolution,
    refund_for_return,
)
from conveyor.returns.service import advance, announce_return, order_lines_of, returns_of_order
from conveyor.returns.settings import ReturnSettings
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.uow import UnitOfWork


def order_money(uow: UnitOfWork, order: Any, skip_return: str | None = None) -> OrderMoney:
    """The order's money for the refund rules (`billing.order_money`), with the units earlier
    resolved returns already gave back — by line, or for a kit line by part (whose share of the
    kit's value is its list price)."""
    lines = order_lines_of(uow, order)
    back: dict[tuple[str, str], int] = defaultdict(int)
    for ret in returns_of_order(uow, order.id):
        if ret.status == ReturnStatus.RESOLVED and ret.id != skip_return:
            for rl in ret.lines:
                back[(rl.order_line_id, rl.sku_code)] += rl.refundable_units
    whole = {line_id: 0 if facts.components else back[(line_id, facts.line.sku_code)]
             for line_id, facts in lines.items()}
    money = billing_order_money(order, whole)
    return replace(money, lines=[_with_parts(line, lines[line.line_id], back) for line in money.lines])


def _with_parts(line: OrderLine, facts: Any, back: Mapping[tuple[str, str], int]) -> OrderLine:
    if not facts.components:
        return line
    parts = {p.sku: back[(line.line_id, p.sku)] for p in facts.components if back[(line.line_id, p.sku)]}
    return replace(line, components=facts.components, component_returned=parts)


def _returning(ret: Return, settings: ReturnSettings) -> list[tuple[ReturnLine, ReturningUnits]]:
    """The refundable units of each graded line, split by whether a restocking fee may apply."""
    found = []
    for rl in ret.lines:
        by_fee: dict[bool, int] = defaultdict(int)
        waived = rl.reason in {r.value for r in settings.policy.fee_waived_for}
        for outcome, count in refundable_by_grade(rl, settings):
            by_fee[outcome.fee_applies and not waived] += count
        for fee, count in sorted(by_fee.items()):
            found.append((rl, ReturningUnits(rl.order_line_id, count, rl.sku_code if rl.kit_part else None, fee)))
    return found


def earlier_credits(uow: UnitOfWork, order_id: str, skip_return: str) -> tuple[int, int]:
    """(shipping given back, value given back as store credit or exchange) by the order's other
    resolved returns."""
    shipping = credited = 0
    for ret in returns_of_order(uow, order_id):
        if ret.status == ReturnStatus.RESOLVED and ret.id != skip_return:
            shipping += ret.shipping_refund_minor
            credited += ret.store_credit_minor + ret.exchange_credit_minor
    return shipping, credited


@dataclass(frozen=True, slots=True)
class Resolved:
    plan: ResolutionPlan
    refund_lines: tuple[RefundLine, ...]  # the lines resolved as a refund, for the credit note


def resolve(uow: UnitOfWork, ret: Return, settings: ReturnSettings, *, refundable: int,
            replacement_prices: Mapping[str, int], include_shipping: bool | None, actor: str) -> Resolved:
    """Price the graded return and split its value. `refundable` is what may still go back to the
    original payment (captured − refunded − credited before); `replacement_prices` the exchange
    replacement order's line totals by return line id."""
    order = get_order(uow, ret.order_id, for_update=True)
    advance(ret, ReturnEvent.RESOLVE)
    returning = _returning(ret, settings)
    shipping_before, _ = earlier_credits(uow, order.id, ret.id)
    breakdown = refund_for_return(order_money(uow, order, skip_return=ret.id), [units for _, units in returning],
                                  settings.policy, refundable=refundable, shipping_refunded_before=shipping_before,
                                  include_shipping=include_shipping)
    choices = {rl.order_line_id: Resolution(rl.outcome) for rl in ret.lines}
    replacements = [Replacement(rl.order_line_id, rl.exchange_sku or rl.sku_code, rl.exchange_quantity,
                                replacement_prices.get(rl.id, 0))
                    for rl in ret.lines if rl.outcome == Resolution.EXCHANGE]
    plan = plan_resolution(breakdown, choices, replacements)
    _record_amounts(ret, returning, breakdown, plan)
    if plan.store_credit:
        uow.session.add(StoreCreditEntry(
            id=ids.new_id("store_credit"), customer_key=ret.customer_key, currency=ret.currency,
            amount_minor=plan.store_credit, reason="return", return_id=ret.id, order_id=ret.order_id,
            note=f"return {ret.number}", actor=actor, created_at=utcnow()))
    announce_return(uow, order, ret, EventType.RETURN_RESOLVED, actor, Topic.RETURN_RESOLVED, money_of(ret))
    refunded = tuple(priced for (rl, _), priced in zip(returning, breakdown.lines, strict=True)
                     if rl.outcome == Resolution.REFUND)
    return Resolved(plan, refunded)


def _record_amounts(ret: Return, returning: list[tuple[ReturnLine, ReturningUnits]], breakdown: RefundBreakdown,
                    plan: ResolutionPlan) -> None:
    for rl in ret.lines:
        rl.refundable_units = rl.amount_minor = rl.fee_minor = rl.tax_minor = 0
    for (rl, units), priced in zip(returning, breakdown.lines, strict=True):
        rl.refundable_units += units.quantity
        rl.amount_minor += priced.amount
        rl.fee_minor += priced.fee
        rl.tax_minor += priced.tax_refunded
    ret.goods_minor = sum(line.goods for line in breakdown.lines)
    ret.restocking_fee_minor = breakdown.restocking_fee
    ret.shipping_refund_minor = breakdown.shipping
    ret.store_credit_minor = plan.store_credit
    ret.exchange_credit_minor = plan.exchange_credit
    ret.exchange_charge_minor = plan.exchange_charge
    ret.refund_due_minor = plan.refund
    ret.refund_status = "due" if plan.refund else "none"
    ret.resolved_at = utcnow()


def record_refund(ret: Return, outcome: Any) -> None:
    """What the payments area did with the return's refund (a `payments.service.RefundOutcome`):
    the money that went back (or is on its way) leaves `refund_due_minor` for `refunded_minor`."""
    if outcome.status in ("succeeded", "pending"):
        ret.refunded_minor += outcome.refunded_minor
        ret.refund_due_minor -= outcome.refunded_minor
        ret.refund_status = "refunded" if outcome.status == "succeeded" else "pending"
        ret.refund_reference = outcome.credit_note_id or ""
    else:  # unknown (asked again with the same key), declined or failed: still due
        ret.refund_status = "unknown" if outcome.status == "unknown" else "failed"
        ret.refund_reference = (outcome.message or outcome.status)[:100]
    ret.updated_at = utcnow()


def money_of(ret: Return) -> dict[str, Any]:
    return {"currency": ret.currency, "goods_minor": ret.goods_minor, "restocking_fee_minor": ret.restocking_fee_minor,
            "shipping_refund_minor": ret.shipping_refund_minor, "store_credit_minor": ret.store_credit_minor,
            "exchange_credit_minor": ret.exchange_credit_minor, "exchange_charge_minor": ret.exchange_charge_minor,
            "refund_due_minor": ret.refund_due_minor}


def store_credit_balance(uow: UnitOfWork, customer: str, currency: str) -> int:
    return uow.session.scalar(select(func.coalesce(func.sum(StoreCreditEntry.amount_minor), 0)).where(
        StoreCreditEntry.customer_key == customer.strip().lower(), StoreCreditEntry.currency == currency)) or 0


def store_credit_entries(uow: UnitOfWork, customer: str, limit: int = 200) -> list[StoreCreditEntry]:
    return list(uow.session.scalars(select(StoreCreditEntry).where(
        StoreCreditEntry.customer_key == customer.strip().lower()).order_by(StoreCreditEntry.id.desc()).limit(limit)))
