"""Order status as a pull feed for a channel (the CSV twin of the `channel.order` webhooks):
each order of the channel changed since a moment, with its status and latest tracking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from conveyor.orders.model import Order, Shipment
from conveyor.shared.clock import as_utc
from conveyor.shared.uow import UnitOfWork

MAX_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class StatusRow:
    external_id: str
    order_id: str
    status: str
    updated_at: datetime
    carrier: str
    tracking_number: str


def status_feed(uow: UnitOfWork, channel_id: str, since: datetime | None, limit: int = MAX_ROWS) -> list[StatusRow]:
    query = select(Order).where(Order.channel_id == channel_id).order_by(Order.updated_at, Order.id)
    if since is not None:
        query = query.where(Order.updated_at >= as_utc(since))
    orders = list(uow.session.scalars(query.limit(min(limit, MAX_ROWS))))
    latest: dict[str, Shipment] = {}
    if orders:
        for s in uow.session.scalars(select(Shipment).where(Shipment.order_id.in_([o.id for o in orders]))
                                     .order_by(Shipment.created_at, Shipment.id)):
            latest[s.order_id] = s
    return [StatusRow(o.external_id or "", o.id, o.status, as_utc(o.updated_at),
                      latest[o.id].carrier if o.id in latest else "",
                      latest[o.id].tracking_number if o.id in latest else "") for o in orders]
