"""Taking a channel order in: the raw payload, stored before anything is parsed, and its outcome.

Shared by webhooks, pulls (`conveyor channels poll`) and imports; `channels/handlers.py` runs
them. A channel order is already paid for on the platform, so refusing it would lose a sale: when
stock is short and the channel's policy is to reject, the order is kept on hold
(`insufficient_stock: …`) instead (placement's `OnShort.HOLD`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from conveyor.channels.mappers.common import MappedOrder
from conveyor.channels.model import InboundPayload
from conveyor.channels.service import ChannelInfo
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.sql import insert_ignoring_conflicts
from conveyor.shared.uow import UnitOfWork

# Headers worth keeping with a payload (never Authorization or cookies).
KEPT_HEADERS = ("content-type", "user-agent", "x-shopify-topic", "x-shopify-shop-domain", "x-shopify-webhook-id",
                "x-wc-webhook-topic", "x-wc-webhook-source", "x-wc-webhook-delivery-id", "webhook-id",
                "webhook-timestamp")


@dataclass(slots=True)
class StoredPayload:
    id: str
    duplicate: bool
    status: str
    order_id: str | None
    error: str


def store_payload(uow: UnitOfWork, channel: ChannelInfo, body: bytes, headers: dict[str, str],
                  delivery_id: str | None, source: str = "webhook") -> StoredPayload:
    """Insert the raw payload, or find the earlier one with the same delivery id. The handler
    commits it on its own, before anything is parsed, so a parsing bug never loses a delivery."""
    lower = {k.lower(): v for k, v in headers.items()}
    row = {"id": ids.new_id("payload"), "channel_id": channel.id, "received_at": utcnow(), "source": source,
           "delivery_id": delivery_id, "headers": {k: lower[k] for k in KEPT_HEADERS if k in lower},
           "body": body, "status": "received", "error": "", "problems": [], "external_id": None,
           "order_id": None, "processed_at": None}
    table = InboundPayload.__table__
    if delivery_id is None or insert_ignoring_conflicts(uow.session, table, [row], ["channel_id", "delivery_id"]):
        if delivery_id is None:
            uow.session.execute(table.insert(), [row])
        return StoredPayload(row["id"], False, "received", None, "")
    earlier = uow.session.execute(select(table.c.id, table.c.status, table.c.order_id, table.c.error).where(
        table.c.channel_id == channel.id, table.c.delivery_id == delivery_id)).one()
    return StoredPayload(earlier.id, True, earlier.status, earlier.order_id, earlier.error)


def pulled_delivery_id(raw: Any) -> str:
    """Pulled documents have no delivery id: the same document pulled twice is one delivery."""
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return f"pull:{digest[:40]}"


def finish_payload(uow: UnitOfWork, payload_id: str, status: str, *, order_id: str | None = None,
                   error: str = "", problems: list[str] | None = None, external_id: str | None = None) -> None:
    uow.session.execute(update(InboundPayload).where(InboundPayload.id == payload_id).values(
        status=status, order_id=order_id, error=error[:4000], problems=problems or [],
        external_id=external_id, processed_at=utcnow()))


def prepare(mapped: MappedOrder) -> None:
    """Carry what the mapper noticed onto the order: shipping tax, and a flagged total mismatch
    (the channel's own total is kept, never silently replaced by ours)."""
    cmd = mapped.order
    cmd.shipping_tax_minor = mapped.shipping_tax_minor
    if mapped.total_mismatch:
        cmd.tags = [*cmd.tags, "total_mismatch"]
        note = (f"Channel total {mapped.declared_total_minor} differs from computed "
                f"{mapped.computed_total_minor} (minor units).")
        cmd.notes = f"{cmd.notes}\n{note}".strip()
