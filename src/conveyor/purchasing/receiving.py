"""Receiving a delivery against a purchase order, then giving waiting orders their stock.

One receipt is one transaction (the handler's): good units go on hand at the receiving location
(ledger reason `receipt`), what filled the order leaves `incoming`, damaged units are booked in and
written straight off again (`receipt` then `adjustment`, note "damaged on receipt": the ledger shows
they came and went, the supplier still owes them), the PO line counts them, the PO moves on (and
closes once fully received), and the orders waiting for those SKUs are allocated oldest first by
the routing engine (`allocate_backorders`) — all before the commit, so no one can take the stock
in between.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from conveyor.catalog.service import get_sku
from conveyor.inventory.ledger import StockChange, apply_changes
from conveyor.inventory.ledger_reasons import LedgerReason
from conveyor.inventory.locations import resolve_location
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.orders import reallocation, supply
from conveyor.orders.reallocation import RoutingChoice
from conveyor.purchasing.lifecycle import RECEIVABLE, LineReceipt, LineState, check_transition, receive_line
from conveyor.purchasing.lifecycle import status_after_receipt as next_status
from conveyor.purchasing.model import AdvanceShippingNotice, PurchaseOrder, PurchaseOrderLine, Receipt
from conveyor.purchasing.purchase_orders import get_purchase_order, incoming_changes, mark_closed
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import Conflict, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork

RoutingFor = Callable[[Any], RoutingChoice]  # an order → how to route it (orders.handlers.routing_for)


@dataclass(frozen=True, slots=True)
class ReceiptLineInput:
    sku: str  # code or id
    quantity: int  # units that arrived, damaged ones included
    damaged: int = 0


@dataclass(frozen=True, slots=True)
class ReceiveTerms:
    tolerance_percent: float = 5.0
    auto_close: bool = True


def receive(uow: UnitOfWork, po_id: str, lines: Sequence[ReceiptLineInput], actor: str, terms: ReceiveTerms,
            location: str | None = None, asn_id: str | None = None, note: str = "") -> Receipt:
    """Count a delivery in (see the module docstring). Refused whole if any line is wrong."""
    po = get_purchase_order(uow, po_id, for_update=True)
    if po.kind != "stock":
        raise Conflict("a drop-ship purchase order is not received: record the supplier's tracking instead")
    if po.status not in RECEIVABLE:
        raise Conflict(f"cannot receive against a purchase order that is {po.status}", current_status=po.status)
    if not lines:
        raise ValidationFailed("a receipt needs at least one line")
    at = resolve_location(uow, location).id if location else po.location_id
    outcomes = _count_lines(uow, po, lines, terms.tolerance_percent)
    apply_changes(uow, _ledger(po, at, outcomes), actor)
    receipt = Receipt(id=ids.new_id("receipt"), po_id=po.id, location_id=at, asn_id=_asn(uow, po, asn_id),
                      note=note, actor=actor, created_at=utcnow(), allocated_orders=[],
                      lines=[{"po_line_id": li.id, "sku_id": li.sku_id, "quantity": r.arrived, "damaged": r.damaged,
                              "accepted": r.accepted, "over": r.over} for li, r in outcomes])
    uow.session.add(receipt)
    _advance(uow, po, terms.auto_close)
    outbox.enqueue(uow, Topic.PURCHASE_ORDER_RECEIVED, po.id, {
        "po_id": po.id, "number": po.number, "receipt_id": receipt.id, "location_id": at, "status": po.status,
        "lines": receipt.lines})
    return receipt


def _count_lines(uow: UnitOfWork, po: PurchaseOrder, lines: Sequence[ReceiptLineInput],
                 tolerance: float) -> list[tuple[PurchaseOrderLine, LineReceipt]]:
    by_sku: dict[str, list[PurchaseOrderLine]] = {}
    for li in po.lines:
        by_sku.setdefault(li.sku_id, []).append(li)
    outcomes = []
    for n, line in enumerate(lines, start=1):
        sku = get_sku(uow, line.sku)
        candidates = by_sku.get(sku.id)
        if not candidates:
            raise ValidationFailed(f"receipt line {n}: {sku.code!r} is not on {po.number}", sku=sku.code)
        # The first PO line of the SKU that still expects units (the last one takes any over-receipt).
        po_line = next((c for c in candidates if c.open_quantity), candidates[-1])
        outcome = receive_line(LineState(po_line.quantity, po_line.received, po_line.damaged),
                               line.quantity, line.damaged, tolerance)
        po_line.received += outcome.accepted
        po_line.damaged += outcome.damaged
        outcomes.append((po_line, outcome))
    return outcomes


def _ledger(po: PurchaseOrder, at: str, outcomes: list[tuple[PurchaseOrderLine, LineReceipt]]) -> list[StockChange]:
    filled: dict[str, int] = {}
    changes: list[StockChange] = []
    for li, r in outcomes:
        filled[li.id] = filled.get(li.id, 0) + r.against_order
        note = f"{po.number} line {li.line_no}"
        if r.accepted:
            changes.append(_receipt_change(li.sku_id, at, LedgerReason.RECEIPT, r.accepted, po.id, note))
        if r.damaged:
            note += ": damaged on receipt"
            changes.append(_receipt_change(li.sku_id, at, LedgerReason.RECEIPT, r.damaged, po.id, note))
            changes.append(_receipt_change(li.sku_id, at, LedgerReason.ADJUSTMENT, -r.damaged, po.id, note))
    return incoming_changes(po, filled, -1, f"{po.number} received") + changes


def _receipt_change(sku_id: str, location_id: str, reason: LedgerReason, units: int, po_id: str,
                    note: str) -> StockChange:
    return StockChange(sku_id, location_id, reason, d_on_hand=units, reference_type="purchase_order",
                       reference_id=po_id, note=note)


def _asn(uow: UnitOfWork, po: PurchaseOrder, asn_id: str | None) -> str | None:
    if asn_id is None:
        return None
    asn = uow.session.scalar(select(AdvanceShippingNotice).where(AdvanceShippingNotice.id == asn_id,
                                                                 AdvanceShippingNotice.po_id == po.id))
    if asn is None:
        raise NotFound("advance shipping notice", asn_id)
    asn.status = "received"
    return asn.id


def _advance(uow: UnitOfWork, po: PurchaseOrder, auto_close: bool) -> None:
    states = [LineState(li.quantity, li.received, li.damaged) for li in po.lines]
    wanted = next_status(states, auto_close)
    check_transition(po.status, wanted, "receive")
    if wanted.value in ("received", "closed"):
        po.received_at = utcnow()
    if wanted.value == "closed":
        mark_closed(uow, po, {}, "fully received")
    else:
        po.status = wanted


def allocate_backorders(uow: UnitOfWork, sku_ids: set[str], routing_for: RoutingFor, actor: str,
                        limit: int = 10_000) -> list[dict[str, Any]]:
    """Give orders waiting for these SKUs what they can get now, oldest first (routing decides the
    location). Returns [{order_id, units}] for the orders that got something."""
    filled = []
    for order_id in supply.waiting_orders_needing(uow, sku_ids, limit):
        units = reallocation.allocate_waiting(uow, order_id, routing_for, actor)
        if units:
            filled.append({"order_id": order_id, "units": units})
    return filled
