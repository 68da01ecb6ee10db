"""Outbox events through the local brokers (NATS JetStream on 127.0.0.1:4222, RabbitMQ on
127.0.0.1:5672, guest/guest): every event arrives, in order per order id. Skipped, with the
reason, only when the broker does not answer (CI runs both)."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
from datetime import UTC, datetime, timedelta

import pytest

from conveyor.messaging.broker import BrokerSettings, OutboxEvent, publisher_for

NATS_URL = "nats://127.0.0.1:4222"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _events(orders: int = 3, per_order: int = 5) -> list[OutboxEvent]:
    """Events of several orders interleaved, as the outbox holds them."""
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    topics = ["order.created", "order.allocated", "order.shipped", "order.delivered", "order.completed"]
    events = []
    for step in range(per_order):
        for order in range(orders):
            n = step * orders + order
            events.append(OutboxEvent(f"msg_{n:04d}", topics[step % len(topics)], f"ord_{order}",
                                      {"id": f"ord_{order}", "step": step}, start + timedelta(seconds=n)))
    return events


def _per_order(received: list[dict]) -> dict[str, list[int]]:
    by_order: dict[str, list[int]] = {}
    for body in received:
        by_order.setdefault(body["key"], []).append(body["data"]["step"])
    return by_order


def test_streaming_is_off_without_a_url():
    assert publisher_for(BrokerSettings()) is None


@pytest.mark.skipif(not _answers(4222), reason="no NATS server answers on 127.0.0.1:4222 (CI starts one)")
def test_nats_jetstream_delivers_every_event_in_order_per_order_id():
    import nats

    tag = secrets.token_hex(4)
    settings = BrokerSettings(NATS_URL, stream=f"CONVEYOR_TEST_{tag}", subject_prefix=f"conveyortest{tag}")
    events = _events()
    report = publisher_for(settings).publish(events)
    assert report.published == tuple(e.id for e in events) and report.failed == ""
    again = publisher_for(settings).publish(events[:2])  # a worker retry of an already-sent batch
    assert again.duplicates == (events[0].id, events[1].id) and again.published == ()

    async def consume() -> tuple[list[dict], list[str], list[str]]:
        client = await nats.connect(NATS_URL)
        try:
            js = client.jetstream()
            sub = await js.pull_subscribe(f"{settings.subject_prefix}.>", durable=None, stream=settings.stream)
            messages = await sub.fetch(len(events) + 5, timeout=2)
            bodies = [json.loads(m.data) for m in messages]
            ids = [m.headers["Nats-Msg-Id"] for m in messages]
            subjects = [m.subject for m in messages]
            for m in messages:
                await m.ack()
            return bodies, ids, subjects
        finally:
            await client.jetstream().delete_stream(settings.stream)
            await client.close()

    bodies, ids, subjects = asyncio.run(consume())
    assert ids == [e.id for e in events]  # every event once, the retried ones not twice
    assert subjects[0] == f"{settings.subject_prefix}.order.created"
    assert _per_order(bodies) == {f"ord_{n}": [0, 1, 2, 3, 4] for n in range(3)}


@pytest.mark.skipif(not _answers(5672), reason="no RabbitMQ server answers on 127.0.0.1:5672 (CI starts one)")
def test_rabbitmq_delivers_every_event_in_order_per_order_id():
    import aio_pika

    tag = secrets.token_hex(4)
    settings = BrokerSettings(AMQP_URL, subject_prefix=f"conveyortest{tag}")
    events = _events()

    async def bind_queue() -> None:
        connection = await aio_pika.connect(AMQP_URL)
        try:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(settings.subject_prefix, aio_pika.ExchangeType.TOPIC,
                                                      durable=True)
            queue = await channel.declare_queue(f"{settings.subject_prefix}.all", auto_delete=False)
            await queue.bind(exchange, routing_key="order.#")
        finally:
            await connection.close()

    async def drain() -> list[aio_pika.abc.AbstractIncomingMessage]:
        connection = await aio_pika.connect(AMQP_URL)
        try:
            channel = await connection.channel()
            queue = await channel.get_queue(f"{settings.subject_prefix}.all")
            received = []
            while (message := await queue.get(fail=False, timeout=2)) is not None:
                await message.ack()
                received.append(message)
            await queue.delete(if_unused=False, if_empty=False)
            await channel.exchange_delete(settings.subject_prefix)
            return received
        finally:
            await connection.close()

    asyncio.run(bind_queue())  # a consumer's queue, bound before anything is published
    report = publisher_for(settings).publish(events)
    assert report.published == tuple(e.id for e in events)
    received = asyncio.run(drain())
    assert [m.message_id for m in received] == [e.id for e in events]
    assert received[0].routing_key == "order.created" and received[0].headers["conveyor-key"] == "ord_0"
    assert _per_order([json.loads(m.body) for m in received]) == {f"ord_{n}": [0, 1, 2, 3, 4] for n in range(3)}


@pytest.mark.skipif(not _answers(4222), reason="no NATS server answers on 127.0.0.1:4222 (CI starts one)")
def test_publishing_stops_at_the_first_failure_so_nothing_overtakes_it():
    import nats

    tag = secrets.token_hex(4)
    settings = BrokerSettings(NATS_URL, stream=f"CONVEYOR_TEST_{tag}", subject_prefix=f"conveyortest{tag}")
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    events = [OutboxEvent("msg_1", "order.created", "ord_1", {}, now),
              OutboxEvent("msg_2", "order.bad topic", "ord_1", {}, now),  # not a valid NATS subject
              OutboxEvent("msg_3", "order.shipped", "ord_1", {}, now)]
    try:
        report = publisher_for(settings).publish(events)
    finally:
        async def cleanup() -> None:
            client = await nats.connect(NATS_URL)
            await client.jetstream().delete_stream(settings.stream)
            await client.close()

        asyncio.run(cleanup())
    assert (report.published, report.failed, report.not_attempted) == (("msg_1",), "msg_2", ("msg_3",))
    assert "subject" in report.error


def test_an_unreachable_broker_raises_for_the_worker_to_retry():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from nats.errors import NoServersError

    with pytest.raises((OSError, NoServersError)):
        publisher_for(BrokerSettings(f"nats://127.0.0.1:{port}", timeout=1)).publish(_events(1, 1))
