"""A person's data in the channels area: the inbound payload copies of their orders (kept as
received, decision "raw input is kept") and phone-order drafts taken for them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from conveyor.channels.model import DraftOrder, DraftStatus, InboundPayload
from conveyor.shared import pii
from conveyor.shared.clock import utcnow
from conveyor.shared.uow import UnitOfWork

# Open drafts are few (taken by hand, confirmed or discarded within days): scanning them is cheap.
MAX_OPEN_DRAFTS = 5_000


def payloads_for(uow: UnitOfWork, order_ids: list[str]) -> list[InboundPayload]:
    found: list[InboundPayload] = []
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start:start + 500]
        found += uow.session.scalars(select(InboundPayload).where(InboundPayload.order_id.in_(chunk))
                                     .order_by(InboundPayload.id))
    return found


def drafts_for(uow: UnitOfWork, order_ids: list[str], email: str, phone: str) -> list[DraftOrder]:
    """Drafts confirmed into these orders, and open drafts taken for this e-mail or phone."""
    linked = list(uow.session.scalars(select(DraftOrder).where(DraftOrder.order_id.in_(order_ids)))) \
        if order_ids else []
    open_drafts = uow.session.scalars(select(DraftOrder).where(DraftOrder.status == DraftStatus.DRAFT)
                                      .limit(MAX_OPEN_DRAFTS))
    wanted = {v for v in (email.strip().lower(), phone.strip()) if v}
    taken_for = [d for d in open_drafts
                 if {str((d.data.get("customer") or {}).get(k, "")).lower() for k in ("email", "phone")} & wanted]
    return list({d.id: d for d in linked + taken_for}.values())


def export_payloads(payloads: list[InboundPayload]) -> list[dict[str, Any]]:
    return [{"id": p.id, "channel_id": p.channel_id, "received_at": p.received_at.isoformat(), "topic": p.topic,
             "order_id": p.order_id, "body": _readable(p.body)} for p in payloads]


def export_drafts(drafts: list[DraftOrder]) -> list[dict[str, Any]]:
    return [{"id": d.id, "channel_id": d.channel_id, "status": d.status, "order_id": d.order_id,
             "created_at": d.created_at.isoformat(), "data": d.data} for d in drafts]


def erase(uow: UnitOfWork, payloads: list[InboundPayload], drafts: list[DraftOrder]) -> None:
    """Replace the payload bodies by a marker (a parsed order no longer needs its raw copy; an
    erased one can't be replayed) and scrub the drafts' customer and addresses."""
    marker = json.dumps({"erased": True, "erased_at": utcnow().isoformat()}).encode()
    for payload in payloads:
        payload.body = marker
        payload.headers = pii.scrub(payload.headers or {})
        payload.error = ""
    for draft in drafts:
        draft.data = pii.scrub(draft.data or {})
    uow.session.flush()


def _readable(body: bytes) -> Any:
    """A payload body as JSON when it is JSON, else as text (CSV rows, XML)."""
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
