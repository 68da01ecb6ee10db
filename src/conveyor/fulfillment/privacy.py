"""A person's data in fulfilment: what was handed to 3PLs for their orders (ship-to, contact)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conveyor.fulfillment.model import FulfilmentOrder, TplConfirmation, TplRequest
from conveyor.shared import pii
from conveyor.shared.uow import UnitOfWork


def fulfilment_order_ids(uow: UnitOfWork, order_ids: list[str]) -> list[str]:
    """Their fulfilment orders' ids: messages about a fulfilment order (a 3PL request) are keyed by it."""
    if not order_ids:
        return []
    return list(uow.session.scalars(select(FulfilmentOrder.id).where(FulfilmentOrder.order_id.in_(order_ids))))


def tpl_documents(uow: UnitOfWork, order_ids: list[str]) -> tuple[list[TplRequest], list[TplConfirmation]]:
    if not order_ids:
        return [], []
    fulfilment_orders = select(FulfilmentOrder.id).where(FulfilmentOrder.order_id.in_(order_ids))
    requests = list(uow.session.scalars(select(TplRequest).where(TplRequest.fulfilment_order_id.in_(fulfilment_orders))
                                        .order_by(TplRequest.id)))
    confirmations = list(uow.session.scalars(select(TplConfirmation).where(
        TplConfirmation.request_id.in_([r.id for r in requests])))) if requests else []
    return requests, confirmations


def export(requests: list[TplRequest], confirmations: list[TplConfirmation]) -> list[dict[str, Any]]:
    return [{"id": r.id, "sent_at": r.created_at.isoformat(), "payload": r.payload} for r in requests] + \
        [{"id": c.id, "received_at": c.received_at.isoformat(), "payload": c.payload} for c in confirmations]


def erase(uow: UnitOfWork, requests: list[TplRequest], confirmations: list[TplConfirmation]) -> None:
    for request in requests:
        request.payload = pii.scrub(request.payload or {})
    for confirmation in confirmations:
        confirmation.payload = pii.scrub(confirmation.payload or {})
    uow.session.flush()
