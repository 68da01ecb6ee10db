"""Optional streaming of outbox events to a message broker, for downstream systems and more
workers. Off by default: no URL, no publisher.

- `nats://host:4222` — NATS JetStream. Subject `<prefix>.<topic>` (`conveyor.order.shipped`) in
  one stream (`CONVEYOR`, created if missing, subjects `<prefix>.>`). Header `Nats-Msg-Id` is the
  outbox message id, so JetStream drops a re-publish inside its duplicate window (default 2 min);
  header `Conveyor-Key` is the order (or other aggregate) id.
- `amqp://user:pass@host:5672/vhost` — RabbitMQ. A durable topic exchange (`conveyor`), routing
  key = topic, AMQP `message_id` = outbox id, header `conveyor-key`, persistent messages,
  publisher confirms. RabbitMQ has no duplicate window: consumers de-duplicate on message_id.

Order per order id: events are published one at a time, each waiting for the broker's ack,
in the order the worker hands them over (outbox order). Publishing stops at the first failure
and reports what went out, so the worker marks only those done and retries the rest in order:
a later event of an order never overtakes an earlier one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from conveyor.messaging.aio import run_sync
from conveyor.shared.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    url: str = ""  # empty: streaming is off
    stream: str = "CONVEYOR"  # JetStream stream name
    subject_prefix: str = "conveyor"  # NATS subject prefix; also the RabbitMQ exchange name
    timeout: float = 5.0  # connect and per-ack timeout, seconds


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    id: str
    topic: str
    key: str  # the order (or SKU, ...) id: consumers keep order per key
    payload: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PublishReport:
    published: tuple[str, ...] = ()  # ids the broker acknowledged, in order
    duplicates: tuple[str, ...] = ()  # ids the broker already had (JetStream de-duplication)
    failed: str = ""  # the id publishing stopped at; it and everything after it were not sent
    error: str = ""
    not_attempted: tuple[str, ...] = field(default=())


class Publisher(Protocol):
    def publish(self, events: Sequence[OutboxEvent]) -> PublishReport: ...


def publisher_for(settings: BrokerSettings) -> Publisher | None:
    """The publisher the URL asks for, or None when streaming is off."""
    url = settings.url.strip()
    if not url:
        return None
    if url.startswith(("nats://", "tls://")):
        return NatsPublisher(settings)
    if url.startswith(("amqp://", "amqps://")):
        return RabbitPublisher(settings)
    raise ValidationFailed(f"broker URL must start with nats:// or amqp://, not {url.split(':')[0]!r}")


def event_body(event: OutboxEvent) -> bytes:
    stamp = event.created_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = {"type": event.topic, "id": event.id, "key": event.key, "timestamp": stamp, "data": dict(event.payload)}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class NatsPublisher:
    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings

    def publish(self, events: Sequence[OutboxEvent]) -> PublishReport:
        return run_sync(lambda: self.publish_async(events))

    async def publish_async(self, events: Sequence[OutboxEvent]) -> PublishReport:
        import nats
        from nats.js.errors import NotFoundError

        s = self.settings
        # max_reconnect_attempts=0 would make nats-py retry the first connect for ever; with 1
        # and no reconnects an unreachable server raises after one retry, for the worker to handle.
        client = await nats.connect(s.url, connect_timeout=s.timeout, max_reconnect_attempts=1,
                                    allow_reconnect=False, reconnect_time_wait=0.2, error_cb=_quiet)
        try:
            js = client.jetstream(timeout=s.timeout)
            try:
                await js.stream_info(s.stream)
            except NotFoundError:
                await js.add_stream(name=s.stream, subjects=[f"{s.subject_prefix}.>"])
            published: list[str] = []
            duplicates: list[str] = []
            for index, event in enumerate(events):
                try:
                    ack = await js.publish(f"{s.subject_prefix}.{event.topic}", event_body(event),
                                           headers={"Nats-Msg-Id": event.id, "Conveyor-Key": event.key})
                except Exception as exc:  # noqa: BLE001 - report, the worker retries from here
                    return _stopped(published, duplicates, events, index, exc)
                (duplicates if ack.duplicate else published).append(event.id)
            return PublishReport(tuple(published), tuple(duplicates))
        finally:
            await client.close()


class RabbitPublisher:
    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings

    def publish(self, events: Sequence[OutboxEvent]) -> PublishReport:
        return run_sync(lambda: self.publish_async(events))

    async def publish_async(self, events: Sequence[OutboxEvent]) -> PublishReport:
        import aio_pika

        s = self.settings
        connection = await aio_pika.connect(s.url, timeout=s.timeout)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.declare_exchange(s.subject_prefix, aio_pika.ExchangeType.TOPIC, durable=True)
            published: list[str] = []
            for index, event in enumerate(events):
                message = aio_pika.Message(
                    event_body(event), message_id=event.id, content_type="application/json",
                    headers={"conveyor-key": event.key}, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    timestamp=event.created_at,
                )
                try:
                    await exchange.publish(message, routing_key=event.topic, timeout=s.timeout)
                except Exception as exc:  # noqa: BLE001 - report, the worker retries from here
                    return _stopped(published, [], events, index, exc)
                published.append(event.id)
            return PublishReport(tuple(published))
        finally:
            await connection.close()


async def _quiet(error: Exception) -> None:
    """nats-py logs every connection error itself; ours are raised or reported instead."""


def _stopped(published: list[str], duplicates: list[str], events: Sequence[OutboxEvent], index: int,
             exc: Exception) -> PublishReport:
    return PublishReport(tuple(published), tuple(duplicates), events[index].id, f"{type(exc).__name__}: {exc}"[:500],
                         tuple(e.id for e in events[index + 1:]))
