"""Streaming every outbox event to the broker (`CONVEYOR_BROKER_URL`), in order per order id.

One worker at a time holds the `broker` lease and publishes the events that have no
`published_at` yet, oldest id first, each acknowledged before the next (messaging/broker.py);
it stamps what the broker took and stops at the first failure, so a later event of an order
never overtakes an earlier one. An order's events are written under its row lock, so their ids
follow the order's history. Internal delivery topics are stamped at creation and never
streamed. Delivery to the broker is at least once: a crash between the broker's ack and the
stamp re-publishes, which JetStream drops within its duplicate window (`Nats-Msg-Id`) and
RabbitMQ consumers de-duplicate on `message_id`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select, update

from conveyor.messaging.broker import OutboxEvent, Publisher
from conveyor.messaging.model import OutboxMessage
from conveyor.messaging.schedule import take_lease
from conveyor.shared.clock import as_utc
from conveyor.shared.db import table_of
from conveyor.shared.handlers import run
from conveyor.shared.uow import UnitOfWork

if TYPE_CHECKING:
    from conveyor.bootstrap import Container

log = structlog.get_logger("conveyor.streaming")
LEASE_NAME = "broker"
LEASE = timedelta(seconds=60)


class Streamer:
    def __init__(self, c: Container, publisher: Publisher, batch: int = 500) -> None:
        self.c, self.publisher, self.batch = c, publisher, batch

    def publish_due(self, holder: str, now: datetime) -> int:
        """Publish the next batch if this worker holds (or gets) the lease; returns how many
        events the broker acknowledged (0 when another worker streams, or nothing is due)."""
        if not run(self.c.uow, lambda uow: take_lease(uow, LEASE_NAME, holder, now, LEASE, due_only=False)):
            return 0
        with self.c.reader() as uow:
            events = pending_events(uow, self.batch)
        if not events:
            return 0
        report = self.publisher.publish(events)
        sent = [*report.published, *report.duplicates]
        if sent:
            run(self.c.uow, lambda uow: mark_published(uow, sent, now))
        if report.failed:
            log.warning("broker stopped publishing", failed=report.failed, error=report.error)
        return len(sent)


def pending_events(uow: UnitOfWork, limit: int) -> list[OutboxEvent]:
    t = table_of(OutboxMessage)
    rows = uow.session.execute(select(t.c.id, t.c.topic, t.c.key, t.c.payload, t.c.created_at)
                               .where(t.c.published_at.is_(None)).order_by(t.c.id).limit(limit)).all()
    return [OutboxEvent(r.id, r.topic, r.key, r.payload, as_utc(r.created_at)) for r in rows]


def mark_published(uow: UnitOfWork, ids: list[str], now: datetime) -> None:
    t = table_of(OutboxMessage)
    uow.session.execute(update(t).where(t.c.id.in_(ids)).values(published_at=now))
