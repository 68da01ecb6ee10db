"""The worker's other duties: every topic consumed (nothing piles up pending), `--once` as one
bounded pass, and the scheduled jobs — unpaid orders cancelled after the configured time, timed
holds lifted, late orders flagged once, nightly jobs — each run by one worker only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from conveyor.channels.handlers import create_channel
from conveyor.messaging.model import OutboxMessage, WorkerLease
from conveyor.messaging.schedule import Job, Schedule
from conveyor.orders.handlers import cancel_order, hold_order, place_order, release_hold, ship_order
from conveyor.orders.service import get_order, order_timeline
from conveyor.shared.clock import as_utc
from tests.helpers import order_cmd, seed_world
from tests.integration.messaging.support import Clock, silent_port, worker_for


def _status(c, order_id: str) -> str:
    with c.reader() as uow:
        return get_order(uow, order_id).status


def _pending(c) -> list[str]:
    with c.reader() as uow:
        return list(uow.session.scalars(select(OutboxMessage.topic).where(OutboxMessage.status != "done")))


def test_every_message_of_an_orders_life_is_consumed(container):
    seed_world(container, {"SKU-A": 10, "SKU-B": 0})
    kept = place_order(container, order_cmd({"SKU-A": 2}), actor="test").order
    dropped = place_order(container, order_cmd({"SKU-A": 1}), actor="test").order
    hold_order(container, kept.id, "check address", actor="test")
    release_hold(container, kept.id, actor="test")
    ship_order(container, kept.id, location="WH1", carrier="ups", tracking_number="1Z999AA10123456784", actor="test")
    cancel_order(container, dropped.id, reason="customer asked", actor="test")
    worker_for(container).drain()
    assert _pending(container) == []


def test_once_is_one_bounded_pass_that_does_not_retry_a_failing_endpoint(container):
    sock, url = silent_port()
    sock.close()  # nothing listens there any more: connection refused
    seed_world(container)
    create_channel(container, code="feed", name="Feed", type="native", config={"sync": "webhook", "feed_url": url},
                   secrets={"feed_secret": "fs"})
    order = place_order(container, order_cmd({"SKU-A": 1}, channel="feed"), actor="test").order
    ship_order(container, order.id, location="WH1", carrier="ups", tracking_number="1Z999AA10123456784", actor="test")
    worker = worker_for(container)
    worker.policy.base_delay_s = 0.0  # retries would be due at once: the pass must still not repeat them
    worker.drain(retry_failed=False)
    with container.reader() as uow:
        sync = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "channel.order")).all()
    assert sync and all((m.status, m.attempts) == ("pending", 1) for m in sync)
    assert all("ConnectError" in m.last_error for m in sync)


def test_unpaid_orders_are_cancelled_after_the_configured_time_and_only_those(container):
    container.settings.unpaid_cancel_hours = 72
    seed_world(container, {"SKU-A": 10})
    unpaid = place_order(container, order_cmd({"SKU-A": 1}, hold_reason="awaiting_payment"), actor="test").order
    failed = place_order(container, order_cmd({"SKU-A": 1}, hold_reason="payment_failed: card declined"),
                         actor="test").order
    other = place_order(container, order_cmd({"SKU-A": 1}, hold_reason="address check"), actor="test").order
    clock = Clock()
    worker = worker_for(container, clock)
    clock.advance(hours=71)
    worker.drain()
    assert _status(container, unpaid.id) == "on_hold"
    clock.advance(hours=2)
    worker.drain()
    assert [_status(container, o.id) for o in (unpaid, failed, other)] == ["cancelled", "cancelled", "on_hold"]
    with container.reader() as uow:
        cancelled = [e.data for e in order_timeline(uow, unpaid.id) if e.type == "order.cancelled"]
    assert cancelled[0]["reason"].startswith("unpaid: cancelled automatically 72 h")


def test_timed_holds_are_lifted_when_their_time_comes(container):
    seed_world(container, {"SKU-A": 10})
    order = place_order(container, order_cmd({"SKU-A": 1}), actor="test").order
    hold_order(container, order.id, "fraud check", actor="test", until=datetime.now(UTC) + timedelta(minutes=30))
    clock = Clock()
    worker = worker_for(container, clock)
    worker.drain()
    assert _status(container, order.id) == "on_hold"
    clock.advance(minutes=31)
    worker.drain()
    assert _status(container, order.id) == "allocated"


def test_late_orders_are_flagged_once_with_a_staff_alert(container):
    container.settings.sla_ship_hours = 48
    seed_world(container, {"SKU-A": 10})
    late = place_order(container, order_cmd({"SKU-A": 1}), actor="test").order
    shipped = place_order(container, order_cmd({"SKU-A": 1}), actor="test").order
    ship_order(container, shipped.id, location="WH1", carrier="ups", tracking_number="1Z999AA10123456784",
               actor="test")
    clock = Clock()
    worker = worker_for(container, clock)
    clock.advance(hours=49)
    worker.drain()
    clock.advance(hours=1)
    worker.drain()
    with container.reader() as uow:
        flagged = [e for e in order_timeline(uow, late.id) if e.type == "order.delayed"]
        on_time = [e for e in order_timeline(uow, shipped.id) if e.type == "order.delayed"]
        alerts = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "staff.alert")).all()
    assert len(flagged) == 1 and on_time == []
    assert [a.key for a in alerts] == [late.id] and "late" in alerts[0].payload["title"]


def test_a_due_job_runs_on_one_worker_only_and_a_nightly_job_waits_for_its_time(container):
    runs: list[str] = []
    lock = threading.Lock()

    def job(c, now) -> int:
        with lock:
            runs.append(threading.current_thread().name)
        return 1

    every = Job("count", job, every=timedelta(minutes=5))
    start = datetime.now(UTC)
    schedules = [Schedule(container, [every], holder=f"w{n}") for n in range(4)]
    threads = [threading.Thread(target=s.run_due, args=(start,), name=f"w{n}") for n, s in enumerate(schedules)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1
    assert sum(s.run_due(start + timedelta(minutes=1)) for s in schedules) == 0  # not due again yet
    assert schedules[0].run_due(start + timedelta(minutes=6)) == 1

    nightly = Job("nightly", job, daily_at=time(2, 0))
    before_two = datetime(2030, 5, 1, 1, 0, tzinfo=UTC)
    nights = Schedule(container, [nightly], holder="w0")
    assert nights.run_due(before_two) == 0  # registered: first run at 02:00
    assert nights.run_due(before_two + timedelta(minutes=59)) == 0
    assert nights.run_due(before_two + timedelta(hours=1, minutes=1)) == 1
    assert nights.run_due(before_two + timedelta(hours=2)) == 0
    with container.reader() as uow:
        lease = uow.session.get(WorkerLease, "nightly")
    assert as_utc(lease.next_due_at) == datetime(2030, 5, 2, 2, 0, tzinfo=UTC)
    assert lease.last_result == "ok: 1" and lease.holder is None
