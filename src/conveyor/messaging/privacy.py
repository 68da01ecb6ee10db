"""A person's data in messaging: the outbox messages about their orders (webhook and broker
payloads, e-mails waiting to go) and the log of e-mails sent to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select

from conveyor.messaging.model import OutboxMessage, SentEmail
from conveyor.shared import pii
from conveyor.shared.uow import UnitOfWork


def messages_for(uow: UnitOfWork, order_ids: list[str]) -> list[OutboxMessage]:
    found: list[OutboxMessage] = []
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start:start + 500]
        found += uow.session.scalars(select(OutboxMessage).where(OutboxMessage.key.in_(chunk))
                                     .order_by(OutboxMessage.id))
    return found


def emails_for(uow: UnitOfWork, order_ids: list[str], email: str) -> list[SentEmail]:
    conditions: list[ColumnElement[bool]] = [SentEmail.order_id.in_(order_ids)] if order_ids else []
    if email.strip():
        conditions.append(SentEmail.recipient == email.strip().lower())
    if not conditions:
        return []
    return list(uow.session.scalars(select(SentEmail).where(or_(*conditions)).order_by(SentEmail.sent_at)))


def export(messages: list[OutboxMessage], emails: list[SentEmail]) -> dict[str, Any]:
    return {
        "messages": [{"id": m.id, "topic": m.topic, "created_at": m.created_at.isoformat(), "status": m.status,
                      "payload": m.payload} for m in messages],
        "emails_sent": [{"kind": e.kind, "recipient": e.recipient, "order_id": e.order_id,
                         "sent_at": e.sent_at.isoformat()} for e in emails],
    }


def erase(uow: UnitOfWork, messages: list[OutboxMessage], emails: list[SentEmail]) -> None:
    """Scrub the copies. A pending e-mail to the person loses its recipient and dead-letters:
    nobody is written to after being erased."""
    for message in messages:
        message.payload = pii.scrub(message.payload or {})
        message.last_error = ""
    for sent in emails:
        sent.recipient = pii.ERASED
    uow.session.flush()
