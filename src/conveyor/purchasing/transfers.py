"""Planned transfers between our own locations (e.g. replenish a store from a warehouse).

    planned ──ship──► in_transit ──receive──► received
       └──cancel──► cancelled

Planning a transfer moves no stock (the review counts it: leaving the source, on order at the
destination). Shipping takes the units off the source's on-hand (`transfer_out`) and puts them into
the destination's `incoming`; receiving moves them from incoming to on hand (`transfer_in`).
Never commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from conveyor.catalog.service import get_sku
from conveyor.inventory.ledger import StockChange, apply_changes
from conveyor.inventory.ledger_reasons import LedgerReason
from conveyor.inventory.locations import resolve_location
from conveyor.purchasing.model import PlannedTransfer
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork

NEXT = {"ship": ("planned", "in_transit"), "receive": ("in_transit", "received"), "cancel": ("planned", "cancelled")}


def plan_transfer(uow: UnitOfWork, sku: str, source: str, destination: str, quantity: int, actor: str,
                  expected_on: date | None = None, note: str = "") -> PlannedTransfer:
    if not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed("quantity must be a positive whole number", ErrorCode.INVALID_QUANTITY)
    s, src, dst = get_sku(uow, sku), resolve_location(uow, source), resolve_location(uow, destination)
    if s.is_kit:
        raise ValidationFailed(f"{s.code!r} is a kit: transfer its components", sku=s.code)
    if src.id == dst.id:
        raise ValidationFailed("source and destination are the same location")
    transfer = PlannedTransfer(id=ids.new_id("transfer"), sku_id=s.id, from_location_id=src.id,
                               to_location_id=dst.id, quantity=quantity, status="planned", expected_on=expected_on,
                               note=note, created_by=actor, created_at=utcnow())
    uow.session.add(transfer)
    uow.session.flush()
    return transfer


def get_transfer(uow: UnitOfWork, transfer_id: str, for_update: bool = False) -> PlannedTransfer:
    query = select(PlannedTransfer).where(PlannedTransfer.id == transfer_id)
    if for_update and uow.dialect == "postgresql":
        query = query.with_for_update()
    found = uow.session.scalar(query)
    if found is None:
        raise NotFound("transfer", transfer_id)
    return found


def _move(uow: UnitOfWork, transfer_id: str, action: str) -> PlannedTransfer:
    transfer = get_transfer(uow, transfer_id, for_update=True)
    before, after = NEXT[action]
    if transfer.status != before:
        raise Conflict(f"cannot {action} a transfer that is {transfer.status}", current_status=transfer.status)
    transfer.status = after
    return transfer


def _change(t: PlannedTransfer, location_id: str, reason: LedgerReason, on_hand: int = 0,
            incoming: int = 0) -> StockChange:
    return StockChange(t.sku_id, location_id, reason, d_on_hand=on_hand, d_incoming=incoming,
                       reference_type="transfer", reference_id=t.id, note=t.note)


def ship_transfer(uow: UnitOfWork, transfer_id: str, actor: str) -> PlannedTransfer:
    t = _move(uow, transfer_id, "ship")
    apply_changes(uow, [_change(t, t.from_location_id, LedgerReason.TRANSFER_OUT, on_hand=-t.quantity),
                        _change(t, t.to_location_id, LedgerReason.INCOMING, incoming=t.quantity)], actor)
    t.shipped_at = utcnow()
    return t


def receive_transfer(uow: UnitOfWork, transfer_id: str, actor: str) -> PlannedTransfer:
    t = _move(uow, transfer_id, "receive")
    apply_changes(uow, [_change(t, t.to_location_id, LedgerReason.INCOMING, incoming=-t.quantity),
                        _change(t, t.to_location_id, LedgerReason.TRANSFER_IN, on_hand=t.quantity)], actor)
    t.received_at = utcnow()
    return t


def cancel_transfer(uow: UnitOfWork, transfer_id: str) -> PlannedTransfer:
    return _move(uow, transfer_id, "cancel")


def list_transfers(uow: UnitOfWork, limit: int, cursor: str | None, status: str | None = None) -> Page[PlannedTransfer]:
    query = select(PlannedTransfer)
    if status:
        query = query.where(PlannedTransfer.status == status)
    return paginate(uow.session, query, PlannedTransfer.id, limit, cursor)
