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
from conveyor.channels.model import Channel, InboundPayload
from conveyor.channels.service import ChannelInfo
from conveyor.channels.statuses import PaymentState
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.sql import insert_ignoring_conflicts
from conveyor.shared.uow import UnitOfWork

# Headers worth keeping with a payload (never Authorization or cookies).
KEPT_HEADERS = ("content-type", "user-agent", "x-shopify-topic", "x-shopify-shop-domain", "x-shopify-webhook-id",
                "x-wc-webhook-topic", "x-wc-webhook-source", "x-wc-webhook-delivery-id", "webhook-id",
                "webhook-timestamp", "shopify-topic", "shopify-webhook-id", "shopify-shop-domain")
# The money figures kept side by side on the order (`totals_document`).
CHANNEL_FIGURES = ("subtotal_minor", "discount_minor", "shipping_minor", "tax_minor", "line_tax_minor",
                   "order_level_tax_minor", "other_charges_minor", "total_minor")
COMPUTED_FIGURES = ("subtotal_minor", "discount_minor", "shipping_minor", "tax_minor", "total_minor")


@dataclass(slots=True)
class StoredPayload:
    id: str
    duplicate: bool
    status: str
    order_id: str | None
    error: str


def store_payload(uow: UnitOfWork, channel: ChannelInfo, body: bytes, headers: dict[str, str],
                  delivery_id: str | None, source: str = "webhook", topic: str = "") -> StoredPayload:
    """Insert the raw payload, or find the earlier one with the same delivery id. The handler
    commits it on its own, before anything is parsed, so a parsing bug never loses a delivery."""
    lower = {k.lower(): v for k, v in headers.items()}
    row: dict[str, Any] = {
        "id": ids.new_id("payload"), "channel_id": channel.id, "received_at": utcnow(), "source": source,
        "delivery_id": delivery_id, "headers": {k: lower[k] for k in KEPT_HEADERS if k in lower},
        "body": body, "status": "received", "error": "", "problems": [], "external_id": None,
        "order_id": None, "processed_at": None, "topic": topic[:100], "event": ""}
    table = table_of(InboundPayload)
    if delivery_id is None or insert_ignoring_conflicts(uow.session, table, [row], ["channel_id", "delivery_id"]):
        if delivery_id is None:
            uow.session.execute(table.insert(), [row])
        return StoredPayload(row["id"], False, "received", None, "")
    earlier = uow.session.execute(select(table.c.id, table.c.status, table.c.order_id, table.c.error).where(
        table.c.channel_id == channel.id, table.c.delivery_id == delivery_id)).one()
    return StoredPayload(earlier.id, True, earlier.status, earlier.order_id, earlier.error)


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    id: str
    channel_code: str
    status: str
    body: bytes
    headers: dict[str, str]


def stored_delivery(uow: UnitOfWork, payload_id: str) -> StoredDelivery | None:
    """A stored delivery as received, to process it again."""
    payload = uow.session.get(InboundPayload, payload_id)
    if payload is None:
        return None
    channel = uow.session.get(Channel, payload.channel_id)
    assert channel is not None
    return StoredDelivery(payload.id, channel.code, payload.status, bytes(payload.body), dict(payload.headers or {}))


def pulled_delivery_id(raw: Any) -> str:
    """Pulled documents have no delivery id: the same document pulled twice is one delivery."""
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return f"pull:{digest[:40]}"


def finish_payload(uow: UnitOfWork, payload_id: str, status: str, *, order_id: str | None = None,
                   error: str = "", problems: list[str] | None = None, external_id: str | None = None,
                   event: str | None = None) -> None:
    values: dict[str, Any] = {"status": status, "order_id": order_id, "error": error[:4000],
                              "problems": problems or [], "external_id": (external_id or "")[:100] or None,
                              "processed_at": utcnow()}
    if event is not None:
        values["event"] = event
    uow.session.execute(update(InboundPayload).where(InboundPayload.id == payload_id).values(**values))


def earlier_events(uow: UnitOfWork, channel_id: str, external_id: str) -> set[str]:
    """The events already received for a platform order (by its id), e.g. {"cancelled"}: platforms
    do not promise to deliver in order, so a create may arrive after its order's cancel."""
    table = table_of(InboundPayload)
    return set(uow.session.scalars(select(table.c.event).where(
        table.c.channel_id == channel_id, table.c.external_id == external_id, table.c.event != "").distinct()))


def prepare(mapped: MappedOrder) -> None:
    """Carry what the mapper noticed onto the order (safe to repeat): shipping tax, the platform's
    order number and line ids, its totals as sent, its payment state, and a flagged total mismatch
    (tag `total_mismatch` and a note with both figures as money; the channel's total is kept,
    never silently replaced by ours)."""
    cmd = mapped.order
    cmd.shipping_tax_minor = mapped.shipping_tax_minor
    cmd.order_number = (mapped.order_number or cmd.order_number or "")[:100] or None
    cmd.channel_totals = totals_document(mapped) or cmd.channel_totals
    if mapped.payment_state != PaymentState.UNKNOWN:
        cmd.channel_payment = mapped.payment_state.value
    for line, ref in zip(cmd.lines, mapped.line_refs, strict=False):
        line.platform_line_id = ref.platform_line_id or None
    if mapped.total_mismatch:
        if "total_mismatch" not in cmd.tags:
            cmd.tags = [*cmd.tags, "total_mismatch"]
        note = f"Channel total differs from ours: {mapped.mismatch_note}."
        if note not in cmd.notes:
            cmd.notes = f"{cmd.notes}\n{note}".strip()


def totals_document(mapped: MappedOrder) -> dict[str, Any] | None:
    """The channel's figures exactly as sent and ours, side by side (stored on the order)."""
    given = mapped.channel_totals
    if given is None:
        return None
    document: dict[str, Any] = {"currency": given.currency}
    document |= {name: getattr(given, name) for name in CHANNEL_FIGURES}
    document["as_sent"] = dict(given.as_sent)
    if mapped.computed is not None:
        document["computed"] = {name: getattr(mapped.computed, name) for name in COMPUTED_FIGURES}
    document["mismatch"] = mapped.total_mismatch
    return document
