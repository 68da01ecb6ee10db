"""Purchasing use cases, one transaction each (see shared/handlers.py). The API, the CLI and the
worker call these; "today" is taken here, at the edge, and passed into the logic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from conveyor.bootstrap import Container
from conveyor.channels.service import get_channel
from conveyor.messaging import outbox
from conveyor.messaging.outbox import Topic
from conveyor.orders.handlers import routing_for
from conveyor.purchasing import dropship, purchase_orders, receiving, review, settings, suppliers, transfers
from conveyor.purchasing.model import (
    AdvanceShippingNotice,
    DropShipFlag,
    PlannedTransfer,
    PurchaseOrder,
    Receipt,
    ReplenishmentSetting,
    Supplier,
    SupplierItem,
)
from conveyor.shared.clock import utcnow
from conveyor.shared.handlers import Idempotency, Replayed, run
from conveyor.shared.uow import UnitOfWork


def _today() -> date:
    return utcnow().date()


# --- suppliers ---------------------------------------------------------------------------------------------

def create_supplier(c: Container, data: suppliers.SupplierData,
                    idempotency: Idempotency[Supplier] | None = None) -> Supplier | Replayed:
    return run(c.uow, lambda uow: suppliers.create_supplier(uow, data), idempotency)


def update_supplier(c: Container, supplier: str, changes: dict[str, Any]) -> Supplier:
    return run(c.uow, lambda uow: suppliers.update_supplier(uow, supplier, changes))


def set_supplier_item(c: Container, supplier: str, data: suppliers.ItemData) -> SupplierItem:
    return run(c.uow, lambda uow: suppliers.upsert_item(uow, supplier, data))


def remove_supplier_item(c: Container, supplier: str, sku: str) -> None:
    run(c.uow, lambda uow: suppliers.remove_item(uow, supplier, sku))


# --- purchase orders ---------------------------------------------------------------------------------------

def create_purchase_order(c: Container, supplier: str, location: str, lines: Sequence[purchase_orders.LineRequest],
                          actor: str, expected_on: date | None = None, notes: str = "", send: bool = False,
                          idempotency: Idempotency[PurchaseOrder] | None = None) -> PurchaseOrder | Replayed:
    def work(uow: UnitOfWork) -> PurchaseOrder:
        po = purchase_orders.create_purchase_order(uow, supplier, location, lines, actor, expected_on, notes)
        return purchase_orders.send(uow, po.id, actor, _today(), c.settings.purchasing_email) if send else po

    return run(c.uow, work, idempotency)


def send_purchase_order(c: Container, po_id: str, actor: str) -> PurchaseOrder:
    return run(c.uow, lambda uow: purchase_orders.send(uow, po_id, actor, _today(), c.settings.purchasing_email))


def cancel_purchase_order(c: Container, po_id: str, actor: str, reason: str = "") -> PurchaseOrder:
    return run(c.uow, lambda uow: purchase_orders.cancel(uow, po_id, actor, reason))


def close_purchase_order(c: Container, po_id: str, actor: str, reason: str = "") -> PurchaseOrder:
    return run(c.uow, lambda uow: purchase_orders.close(uow, po_id, actor, reason))


def create_asn(c: Container, po_id: str, lines: Sequence[purchase_orders.AsnLine], reference: str = "",
               expected_on: date | None = None, carrier: str = "", tracking_number: str = "",
               idempotency: Idempotency[AdvanceShippingNotice] | None = None) -> AdvanceShippingNotice | Replayed:
    return run(c.uow, lambda uow: purchase_orders.create_asn(uow, po_id, lines, reference, expected_on, carrier,
                                                             tracking_number), idempotency)


def receive(c: Container, po_id: str, lines: Sequence[receiving.ReceiptLineInput], actor: str,
            location: str | None = None, asn_id: str | None = None, note: str = "",
            idempotency: Idempotency[Receipt] | None = None) -> Receipt | Replayed:
    """Count a delivery in and, in the same transaction, allocate the orders waiting for it."""
    terms = receiving.ReceiveTerms(c.settings.receipt_tolerance_percent, c.settings.po_auto_close)

    def work(uow: UnitOfWork) -> Receipt:
        receipt = receiving.receive(uow, po_id, lines, actor, terms, location, asn_id, note)
        skus = {line["sku_id"] for line in receipt.lines if line["accepted"]}
        receipt.allocated_orders = receiving.allocate_backorders(
            uow, skus, lambda order: routing_for(uow, order), actor)
        return receipt

    return run(c.uow, work, idempotency)


# --- replenishment -----------------------------------------------------------------------------------------

def set_replenishment(c: Container, sku: str, location: str, data: settings.SettingData) -> ReplenishmentSetting:
    return run(c.uow, lambda uow: settings.set_setting(uow, sku, location, data))


def remove_replenishment(c: Container, sku: str, location: str) -> None:
    run(c.uow, lambda uow: settings.remove_setting(uow, sku, location))


def auto_replenish(c: Container, actor: str = "system:replenish", send: bool | None = None,
                   today: date | None = None, idempotency: Idempotency[list[PurchaseOrder]] | None = None,
                   ) -> list[PurchaseOrder] | Replayed:
    """Create the POs the review suggests (the worker runs this every `auto_replenish_minutes`)."""
    send = c.settings.auto_replenish_send if send is None else send
    return run(c.uow, lambda uow: review.create_suggested_orders(uow, today or _today(), actor, send,
                                                                 c.settings.purchasing_email), idempotency)


# --- transfers ---------------------------------------------------------------------------------------------

def plan_transfer(c: Container, sku: str, source: str, destination: str, quantity: int, actor: str,
                  expected_on: date | None = None, note: str = "",
                  idempotency: Idempotency[PlannedTransfer] | None = None) -> PlannedTransfer | Replayed:
    return run(c.uow, lambda uow: transfers.plan_transfer(uow, sku, source, destination, quantity, actor,
                                                          expected_on, note), idempotency)


def ship_transfer(c: Container, transfer_id: str, actor: str) -> PlannedTransfer:
    return run(c.uow, lambda uow: transfers.ship_transfer(uow, transfer_id, actor))


def receive_transfer(c: Container, transfer_id: str, actor: str) -> PlannedTransfer:
    """Book a transfer in and allocate the orders waiting for its SKU, in one transaction."""
    def work(uow: UnitOfWork) -> PlannedTransfer:
        t = transfers.receive_transfer(uow, transfer_id, actor)
        receiving.allocate_backorders(uow, {t.sku_id}, lambda order: routing_for(uow, order), actor)
        return t

    return run(c.uow, work)


def cancel_transfer(c: Container, transfer_id: str) -> PlannedTransfer:
    return run(c.uow, lambda uow: transfers.cancel_transfer(uow, transfer_id))


# --- drop-ship ---------------------------------------------------------------------------------------------

def set_drop_ship_flag(c: Container, scope: str, target: str, supplier: str) -> DropShipFlag:
    def work(uow: UnitOfWork) -> DropShipFlag:
        target_id = get_channel(uow, target).id if scope == "channel" else target
        return dropship.set_flag(uow, scope, target_id, supplier)

    return run(c.uow, work)


def remove_drop_ship_flag(c: Container, flag_id: str) -> None:
    run(c.uow, lambda uow: dropship.remove_flag(uow, flag_id))


def drop_ship_order(c: Container, order_id: str, actor: str) -> list[PurchaseOrder]:
    """Send drop-ship POs for what one order waits for on flagged SKUs or a flagged channel."""
    return run(c.uow, lambda uow: dropship.request(uow, order_id, dropship.flags(uow), actor, _today(),
                                                   c.settings.purchasing_email))


@dataclass(frozen=True, slots=True)
class DropShipRun:
    orders: int
    purchase_orders: list[str]
    failed: dict[str, str]


def drop_ship_waiting(c: Container, actor: str = "system:drop-ship", limit: int = 1000) -> DropShipRun:
    """Every waiting order with flagged units, each in its own transaction (one bad order doesn't
    stop the others; its error is reported). The worker runs this with the replenishment review."""
    with c.reader() as uow:
        current = dropship.flags(uow)
        candidates = dropship.waiting_candidates(uow, current, limit) if current.by_sku or current.by_channel else []
    created: list[str] = []
    failed: dict[str, str] = {}
    for order_id in candidates:
        try:
            created += [po.id for po in drop_ship_order(c, order_id, actor)]
        except Exception as exc:  # noqa: BLE001 - reported per order; the rest still get their POs
            failed[order_id] = str(exc)
    return DropShipRun(len(candidates), created, failed)


def confirm_drop_ship(c: Container, po_id: str, carrier: str, tracking_number: str, actor: str) -> PurchaseOrder:
    return run(c.uow, lambda uow: dropship.confirm_shipped(uow, po_id, carrier, tracking_number, actor))


def raise_alerts(c: Container, today: date | None = None) -> int:
    """Put the current low-stock / overstock / out-of-stock alerts on the outbox as one `stock.alert`
    message (none when there are none); returns how many alerts."""
    def work(uow: UnitOfWork) -> int:
        found = review.review(uow, today or _today()).alerts()
        if found:
            outbox.enqueue(uow, Topic.STOCK_ALERT, str(today or _today()), {"alerts": [
                {"sku_id": a.sku_id, "location_id": a.location_id, "kind": str(a.kind), "reason": a.reason,
                 "available": a.available, "position": a.position,
                 "stockout_on": a.stockout_on.isoformat() if a.stockout_on else None} for a in found]})
        return len(found)

    return run(c.uow, work)


def scheduled_review(c: Container) -> dict[str, Any]:
    """What the worker runs every `auto_replenish_minutes`: drop-ship POs for waiting orders,
    suggested POs created (sent when `auto_replenish_send`), alerts on the outbox."""
    drop = drop_ship_waiting(c)
    created = auto_replenish(c)
    assert isinstance(created, list)  # no Idempotency-Key: never a replay
    return {"drop_ship_pos": len(drop.purchase_orders), "purchase_orders": [po.id for po in created],
            "alerts": raise_alerts(c)}
