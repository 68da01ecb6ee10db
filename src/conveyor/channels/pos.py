"""Point of sale: a sale at a store is an order fulfilled on the spot.

The order is placed with `fulfil_from=<store>` (stock may come from that store only), then
shipped from it (on hand leaves the store immediately; no parcel: carrier "in-store"),
delivered and completed — in one request. Each step is its own transaction, as everywhere in
orders; if a later step failed the order stays visible in the state it reached.
"""

from __future__ import annotations

from conveyor.bootstrap import Container
from conveyor.channels.service import get_channel
from conveyor.inventory.locations import resolve_location
from conveyor.orders.commands import PlaceOrder
from conveyor.orders.model import Order
from conveyor.orders.operations import complete_order, deliver_shipment, ship_order
from conveyor.orders.placement import place_order
from conveyor.orders.service import get_order
from conveyor.shared.errors import ValidationFailed


def record_sale(c: Container, cmd: PlaceOrder, store: str, actor: str) -> Order:
    with c.reader() as uow:
        if get_channel(uow, cmd.channel).type != "pos":
            raise ValidationFailed(f"channel {cmd.channel!r} is not a POS channel")
        location = resolve_location(uow, store)
    cmd.fulfil_from = location.code
    with c.uow() as uow:
        # In-store sales never wait for stock: the goods are on the counter.
        result = place_order(uow, cmd, actor=actor, default_policy="reject", max_lines=c.settings.max_order_lines)
    order_id = result.order.id
    if result.created:
        with c.uow() as uow:
            ship_order(uow, order_id, location_id=location.id, carrier="in-store", actor=actor)
        with c.uow() as uow:
            deliver_shipment(uow, order_id, None, actor)
        with c.uow() as uow:
            complete_order(uow, order_id, actor)
    with c.reader() as uow:
        return get_order(uow, order_id)
