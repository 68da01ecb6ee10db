"""Racing workers and racing webhook deliveries: each message handled once, each order created once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, insert, select

from conveyor.channels.inbound import receive_webhook
from conveyor.channels.model import InboundPayload
from conveyor.messaging.model import OutboxMessage
from conveyor.messaging.worker import Handler, Policy, Worker
from conveyor.orders.model import Order
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from tests.integration.channels.support import fixture, seed_channels, shopify_headers


def _messages(container, n: int) -> None:
    now = utcnow()
    with container.uow() as uow:
        uow.session.execute(insert(OutboxMessage.__table__), [
            {"id": ids.new_id("outbox"), "topic": "test.ping", "key": "", "payload": {"n": i}, "status": "pending",
             "attempts": 0, "last_error": "", "created_at": now, "available_at": now} for i in range(n)])
        uow.commit()


def test_four_workers_handle_every_message_exactly_once(container):
    _messages(container, 120)
    seen, lock = [], threading.Lock()

    def record(message) -> None:
        with lock:
            seen.append(message.payload["n"])

    workers = [Worker(container, {"test.ping": Handler(record, False)}, Policy(batch=7)) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda w: w.drain(), workers))
    assert sorted(seen) == list(range(120))
    with container.reader() as uow:
        assert set(uow.session.scalars(select(OutboxMessage.status))) == {"done"}


def test_message_failing_every_time_ends_failed_with_its_error(container):
    _messages(container, 1)

    def broken(message) -> None:
        raise RuntimeError("platform said no")

    worker = Worker(container, {"test.ping": Handler(broken, False)},
                    Policy(max_attempts=3, base_delay_s=0, max_delay_s=0))
    worker.drain()
    with container.reader() as uow:
        msg = uow.session.scalar(select(OutboxMessage))
    assert (msg.status, msg.attempts, msg.last_error) == ("failed", 3, "RuntimeError: platform said no")


def test_same_webhook_delivered_five_times_at_once_creates_one_order(container):
    seed_channels(container)
    body = fixture("shopify/order_create.json")
    headers = shopify_headers(body, delivery="same")
    with ThreadPoolExecutor(5) as pool:
        outcomes = list(pool.map(lambda _: receive_webhook(container, "shop", body, headers), range(5)))
    assert sorted(o.status_code for o in outcomes) == [200, 200, 200, 200, 201]
    assert len({o.body["order_id"] for o in outcomes}) == 1
    with container.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Order)) == 1
        assert uow.session.scalar(select(func.count()).select_from(InboundPayload)) == 1
