"""Outbound webhooks end to end through the worker, with real HTTP receivers on loopback:
signed deliveries the official `standardwebhooks` library verifies, retries until a failing
receiver recovers, the delivery log, a dead endpoint that delays nobody, automatic disabling with
a staff notice, and replay."""

from __future__ import annotations

import json
import time

from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from conveyor.messaging.handlers import create_subscription, replay_subscription
from conveyor.messaging.model import OutboxMessage
from conveyor.messaging.signing import verify
from conveyor.messaging.subscriptions import attempts_page, get_subscription
from conveyor.orders.handlers import place_order
from tests.helpers import order_cmd, seed_world
from tests.integration.messaging.support import Clock, silent_port, start_receiver, worker_for


def _subscribe(c, url: str, topics=("order.*",)):
    view, secret = create_subscription(c, url, list(topics))
    return view, secret


def _log(c, subscription_id: str):
    with c.reader() as uow:
        return list(reversed(attempts_page(uow, subscription_id, 200).items))  # oldest first


def test_deliveries_arrive_signed_and_the_official_library_verifies_them(container):
    seed_world(container)
    receiver = start_receiver()
    try:
        view, secret = _subscribe(container, receiver.url)
        order = place_order(container, order_cmd({"SKU-A": 2}), actor="test").order
        worker_for(container).drain()
    finally:
        receiver.stop()
    assert len(receiver.arrivals) == 1
    arrival = receiver.arrivals[0]
    payload = Webhook(secret).verify(arrival.body, arrival.headers)  # raises if the signature is wrong
    assert payload["type"] == "order.created" and payload["version"] == 1
    assert payload["data"]["order_id"] == order.id and payload["data"]["total_minor"] == 2000
    with container.reader() as uow:
        created = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.topic == "order.created"))
    assert arrival.headers["webhook-id"] == payload["id"] == created.id  # receivers de-duplicate on it
    assert [(a.attempt, a.status_code, a.outcome) for a in _log(container, view.id)] == [(1, 200, "delivered")]


def test_a_receiver_failing_three_times_gets_the_fourth_delivery_and_the_log_shows_all(container):
    seed_world(container)
    receiver = start_receiver([500, 503, 502, 200])
    clock = Clock()
    worker = worker_for(container, clock)
    try:
        view, secret = _subscribe(container, receiver.url)
        place_order(container, order_cmd({"SKU-A": 1}), actor="test")
        for _ in range(4):
            worker.drain()
            clock.advance(hours=13)  # past the longest wait of the retry schedule so far
    finally:
        receiver.stop()
    assert len(receiver.arrivals) == 4
    ids = {a.headers["webhook-id"] for a in receiver.arrivals}
    assert len(ids) == 1  # the same event every time
    # Signed afresh at each attempt, at the worker's (moved) time.
    stamps = [int(a.headers["webhook-timestamp"]) for a in receiver.arrivals]
    assert stamps == sorted(stamps) and stamps[-1] - stamps[0] >= 3 * 13 * 3600 - 5
    for arrival, stamp in zip(receiver.arrivals, stamps, strict=True):
        verify(secret, arrival.headers, arrival.body, now=stamp)
    log = _log(container, view.id)
    assert [(a.attempt, a.status_code, a.outcome) for a in log] == [
        (1, 500, "retry"), (2, 503, "retry"), (3, 502, "retry"), (4, 200, "delivered")]
    assert all(a.latency_ms >= 0 and a.event_id in ids for a in log)
    assert "try later" in log[0].response_excerpt
    with container.reader() as uow:
        assert get_subscription(uow, view.id).consecutive_failures == 0


def test_a_receiver_that_never_answers_does_not_delay_a_healthy_one(container):
    container.settings.webhook_total_timeout_seconds = 4.0
    seed_world(container, {"SKU-A": 50})
    dead_socket, dead_url = silent_port()
    healthy = start_receiver()
    try:
        _subscribe(container, dead_url)  # created first: its deliveries come first in each batch
        _subscribe(container, healthy.url)
        for _ in range(5):
            place_order(container, order_cmd({"SKU-A": 1}), actor="test")
        worker = worker_for(container)
        started = time.monotonic()
        worker.drain()
        took = time.monotonic() - started
    finally:
        healthy.stop()
        dead_socket.close()
    assert len(healthy.arrivals) == 5
    slowest_healthy = max(a.at for a in healthy.arrivals) - started
    # All five reached the healthy receiver before the dead one's 4 s deadline ran out once.
    assert slowest_healthy < 4.0, (slowest_healthy, took)
    with container.reader() as uow:
        waiting = uow.session.scalars(select(OutboxMessage.last_error).where(
            OutboxMessage.topic == "webhook.delivery", OutboxMessage.status == "pending")).all()
    assert len(waiting) == 5 and all(e.startswith("timeout") for e in waiting)


def test_410_gone_disables_the_subscription_with_a_staff_notice_and_replay_sends_the_same_event(container):
    seed_world(container)
    receiver = start_receiver([410, 200])
    try:
        view, secret = _subscribe(container, receiver.url)
        place_order(container, order_cmd({"SKU-A": 1}), actor="test")
        worker = worker_for(container)
        worker.drain()
        with container.reader() as uow:
            after = get_subscription(uow, view.id)
            alerts = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "staff.alert")).all()
            dead = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.topic == "webhook.delivery"))
        assert not after.enabled and "410 Gone" in after.disabled_reason
        assert dead.status == "failed" and dead.last_error == "HTTP 410"
        assert len(alerts) == 1 and view.id in alerts[0].payload["detail"]
        # Fixed on the receiving side: enable again, replay the dead letters.
        from conveyor.messaging.handlers import update_subscription

        update_subscription(container, view.id, enabled=True)
        container.caches.clear()
        assert replay_subscription(container, view.id, [], failed=True) == [dead.id]
        worker.drain()
    finally:
        receiver.stop()
    assert [json.loads(a.body)["id"] for a in receiver.arrivals] == [dead.payload["event_id"]] * 2
    Webhook(secret).verify(receiver.arrivals[1].body, receiver.arrivals[1].headers)
    assert [a.outcome for a in _log(container, view.id)] == ["dead_letter", "delivered"]


def test_the_channel_json_feed_is_signed_per_standard_webhooks_with_a_whsec_secret(container):
    from conveyor.channels.handlers import create_channel
    from conveyor.messaging.signing import new_secret

    seed_world(container)
    receiver = start_receiver()
    secret = new_secret()
    try:
        create_channel(container, code="feed", name="Feed", type="native",
                       config={"sync": "webhook", "feed_url": receiver.url}, secrets={"feed_secret": secret})
        order = place_order(container, order_cmd({"SKU-A": 1}, channel="feed"), actor="test").order
        from conveyor.orders.handlers import ship_order

        ship_order(container, order.id, location="WH1", carrier="ups", tracking_number="1Z999AA10123456784",
                   actor="test")
        worker_for(container).drain()
    finally:
        receiver.stop()
    shipped = [a for a in receiver.arrivals if b'"event":"order.shipped"' in a.body]
    assert len(shipped) == 1
    assert Webhook(secret).verify(shipped[0].body, shipped[0].headers)["order_id"] == order.id
