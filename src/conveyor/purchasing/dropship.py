"""Drop-ship: a supplier ships straight to the customer.

A SKU or a channel is flagged with the supplier that drop-ships it. Units an order *waits for*
(backordered, or accepted but not yet allocated) on a flagged SKU — or on any SKU, when the order's
channel is flagged — go to that supplier on a drop-ship PO carrying the customer's address
(`request`); the PO is sent at once (PDF + e-mail through the outbox, like any PO) and the order's
timeline says so. Units we have in stock are routed and shipped by us as usual.

When the supplier reports carrier and tracking number (`confirm_shipped`), in one transaction:
the units are booked in at the supplier's drop-ship location (an inactive location routing never
uses, `DS-<supplier code>`), allocated there to the order's lines and shipped with that tracking
number — the ledger shows them arrive and leave, the order gets its shipment (and `order.shipped`
goes to the channel), and the PO closes. Never commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from conveyor.catalog.service import get_sku
from conveyor.inventory.ledger import StockChange, apply_changes
from conveyor.inventory.ledger_reasons import LedgerReason
from conveyor.inventory.locations import LocationData, create_location, get_location
from conveyor.orders import operations, supply, timeline
from conveyor.orders.timeline import EventType
from conveyor.purchasing import purchase_orders as pos
from conveyor.purchasing.model import DropShipFlag, PurchaseOrder, PurchaseOrderLine, Supplier
from conveyor.purchasing.suppliers import get_supplier, resolve_supplier
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import Conflict, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork

SCOPES = ("sku", "channel")


@dataclass(frozen=True, slots=True)
class Flags:
    by_sku: dict[str, str]  # sku id → supplier id
    by_channel: dict[str, str]  # channel id → supplier id


def set_flag(uow: UnitOfWork, scope: str, target_id: str, supplier: str) -> DropShipFlag:
    """Flag a SKU (by code or id) or a channel (by id: the caller resolves codes) as drop-shipped."""
    if scope not in SCOPES:
        raise ValidationFailed(f"scope must be one of {', '.join(SCOPES)}", scope=scope)
    if scope == "sku":
        target_id = get_sku(uow, target_id).id
    s = resolve_supplier(uow, supplier)
    flag = uow.session.scalar(select(DropShipFlag).where(DropShipFlag.scope == scope,
                                                         DropShipFlag.target_id == target_id))
    if flag is None:
        flag = DropShipFlag(id=ids.new_id("drop_ship"), scope=scope, target_id=target_id, created_at=utcnow())
        uow.session.add(flag)
    flag.supplier_id = s.id
    drop_ship_location(uow, s)
    uow.session.flush()
    return flag


def remove_flag(uow: UnitOfWork, flag_id: str) -> None:
    flag = uow.session.get(DropShipFlag, flag_id)
    if flag is None:
        raise NotFound("drop-ship flag", flag_id)
    uow.session.delete(flag)


def list_flags(uow: UnitOfWork) -> list[DropShipFlag]:
    return list(uow.session.scalars(select(DropShipFlag).order_by(DropShipFlag.id)))


def flags(uow: UnitOfWork) -> Flags:
    found = list_flags(uow)
    return Flags({f.target_id: f.supplier_id for f in found if f.scope == "sku"},
                 {f.target_id: f.supplier_id for f in found if f.scope == "channel"})


def drop_ship_location(uow: UnitOfWork, supplier: Supplier) -> str:
    """The supplier's drop-ship location (created inactive on first use, so routing never picks it)."""
    if supplier.drop_ship_location_id:
        return supplier.drop_ship_location_id
    code = f"DS-{supplier.code}"[:50]
    try:
        loc = get_location(uow, code)
    except NotFound:
        loc = create_location(uow, LocationData(code=code, name=f"Drop-ship: {supplier.name}"[:200], type="3pl",
                                                active=False, can_ship=True, can_return=False, priority=1_000_000))
    supplier.drop_ship_location_id = loc.id
    return loc.id


def waiting_candidates(uow: UnitOfWork, current: Flags, limit: int = 1000) -> list[str]:
    """Waiting orders a drop-ship review should look at, oldest first."""
    found = supply.waiting_orders_needing(uow, set(current.by_sku), limit) if current.by_sku else []
    for order_id in supply.waiting_orders_of_channels(uow, set(current.by_channel), limit):
        if order_id not in found:
            found.append(order_id)
    return found[:limit]


def _already_ordered(uow: UnitOfWork, order_id: str) -> dict[str, int]:
    """Units of each order line already on an open drop-ship PO."""
    rows = uow.session.execute(
        select(PurchaseOrderLine.order_line_id, PurchaseOrderLine.quantity, PurchaseOrderLine.received)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.po_id)
        .where(PurchaseOrder.order_id == order_id, PurchaseOrder.kind == "drop_ship",
               PurchaseOrder.status.in_(["draft", "sent"])))
    taken: dict[str, int] = defaultdict(int)
    for line_id, quantity, received in rows:
        taken[line_id or ""] += quantity - received
    return taken


def request(uow: UnitOfWork, order_id: str, current: Flags, actor: str, today: date,
            from_email: str) -> list[PurchaseOrder]:
    """Send drop-ship POs for what the order waits for on flagged SKUs / a flagged channel ([] if none)."""
    order = supply.order_snapshot(uow, order_id)
    channel_supplier = current.by_channel.get(order["channel_id"])
    taken = _already_ordered(uow, order_id)
    per_supplier: dict[str, list[pos.LineRequest]] = defaultdict(list)
    for line in order["waiting"]:
        supplier_id = current.by_sku.get(line.sku_id) or channel_supplier
        units = line.units - taken.get(line.line_id, 0)
        if supplier_id and units > 0:
            per_supplier[supplier_id].append(pos.LineRequest(line.sku_id, units, order_line_id=line.line_id))
    created = []
    for supplier_id, lines in sorted(per_supplier.items()):
        supplier = get_supplier(uow, supplier_id)
        ship_to = {"name": order["customer_name"], "email": order["customer_email"],
                   "phone": order["customer_phone"], **order["shipping_address"]}
        po = pos.create_purchase_order(uow, supplier.id, drop_ship_location(uow, supplier), lines, actor,
                                       drop_ship=pos.DropShipTo(order_id, ship_to))
        pos.send(uow, po.id, actor, today, from_email)
        timeline.append(uow, order_id, EventType.DROP_SHIP_ORDERED,
                        {"po_id": po.id, "number": po.number, "supplier_id": supplier.id,
                         "lines": {li.order_line_id: li.quantity for li in po.lines}}, actor)
        created.append(po)
    return created


def confirm_shipped(uow: UnitOfWork, po_id: str, carrier: str, tracking_number: str, actor: str) -> PurchaseOrder:
    """The supplier shipped a drop-ship PO: book, allocate and ship the order's units, close the PO."""
    po = pos.get_purchase_order(uow, po_id, for_update=True)
    if po.kind != "drop_ship" or po.order_id is None:
        raise Conflict("only a drop-ship purchase order is confirmed with the supplier's tracking")
    if po.status != "sent":
        raise Conflict(f"cannot confirm a drop-ship purchase order that is {po.status}", current_status=po.status)
    if not tracking_number.strip():
        raise ValidationFailed("the supplier's tracking number is required")
    units = {li.order_line_id or "": li.open_quantity for li in po.lines if li.open_quantity}
    apply_changes(uow, [StockChange(li.sku_id, po.location_id, LedgerReason.RECEIPT, d_on_hand=li.open_quantity,
                                    reference_type="purchase_order", reference_id=po.id,
                                    note=f"{po.number}: drop-shipped by the supplier")
                        for li in po.lines if li.open_quantity], actor)
    supply.allocate_at(uow, po.order_id, po.location_id, units, actor, po.number)
    operations.ship_order(uow, po.order_id, location_id=po.location_id, lines=units, carrier=carrier,
                          tracking_number=tracking_number, actor=actor)
    for li in po.lines:
        li.received = li.quantity
    po.carrier, po.tracking_number, po.received_at = carrier, tracking_number, utcnow()
    pos.mark_closed(uow, po, {}, f"drop-shipped: {carrier} {tracking_number}".strip())
    return po
