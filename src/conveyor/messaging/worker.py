"""`conveyor worker`: drains the outbox.

Claiming is safe with many workers: a claim is one short write transaction that marks a batch
`processing`, stamps it with this run's id and leases it until `available_at` (PostgreSQL skips
rows other workers hold, FOR UPDATE SKIP LOCKED; SQLite serialises writers with BEGIN
IMMEDIATE). A worker that dies leaves its messages to be taken over when the lease ends.
Finishing is guarded by the stamp, so a message whose lease was taken over is not finished
twice.

Handlers are of two kinds. Database handlers run inside the transaction that marks the
message done, so their writes (e.g. channel fan-out messages) happen exactly once. I/O
handlers (HTTP) run with no transaction open and the message is marked done afterwards:
delivery is at least once and receivers de-duplicate on the message id. A failure is kept as
`last_error` and retried with exponential backoff and full jitter, until `max_attempts`, when
the message is `failed` for people to look at.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select, update

from conveyor.bootstrap import Container
from conveyor.messaging.model import OutboxMessage
from conveyor.shared.clock import utcnow
from conveyor.shared.uow import UnitOfWork

log = structlog.get_logger("conveyor.worker")


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    topic: str
    key: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class Handler:
    run: Callable[..., Any]
    # True: run(uow, message) inside the transaction that marks it done. False: run(message).
    transactional: bool


MAINTENANCE_SECONDS = 10.0


@dataclass
class Policy:
    batch: int = 50
    lease_seconds: float = 120.0
    max_attempts: int = 8
    base_delay_s: float = 2.0
    max_delay_s: float = 3600.0


class Worker:
    def __init__(self, c: Container, handlers: dict[str, Handler], policy: Policy | None = None,
                 rng: random.Random | None = None) -> None:
        self.c, self.handlers = c, handlers
        self.policy = policy or Policy()
        self.rng = rng or random.Random()
        self.me = f"wrk_{os.getpid()}_{self.rng.getrandbits(40):010x}"
        self.last_run: dict[str, float] = {}  # scheduled job → when it last started (monotonic)

    def claim(self) -> list[Message]:
        t = OutboxMessage.__table__
        now = utcnow()
        due = (select(t.c.id).where(t.c.topic.in_(sorted(self.handlers)),
                                    t.c.status.in_(("pending", "processing")), t.c.available_at <= now)
               .order_by(t.c.available_at, t.c.id).limit(self.policy.batch))
        if self.c.db.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (update(t).where(t.c.id.in_(due.scalar_subquery()))
                     .values(status="processing", claimed_by=self.me, attempts=t.c.attempts + 1,
                             available_at=now + timedelta(seconds=self.policy.lease_seconds))
                     .returning(t.c.id, t.c.topic, t.c.key, t.c.payload, t.c.attempts))
        with self.c.uow() as uow:
            rows = uow.session.execute(statement).all()
            uow.commit()
        return sorted((Message(*row) for row in rows), key=lambda m: m.id)

    def run_once(self) -> int:
        """Claim one batch and handle it; returns how many messages were claimed."""
        messages = self.claim()
        for message in messages:
            self.handle(message)
        return len(messages)

    def run(self, idle_sleep: float = 1.0, stop: Callable[[], bool] = lambda: False) -> None:
        last_maintenance = 0.0
        while not stop():
            if time.monotonic() - last_maintenance >= MAINTENANCE_SECONDS:
                self.maintain()
                last_maintenance = time.monotonic()
            if not self.run_once():
                time.sleep(idle_sleep)

    def maintain(self) -> int:
        """Housekeeping between batches: release expired reservations, so their stock is
        available again (the release writes ledger entries and a stock.changed message, which
        this worker then syncs to the channels); release fulfilment orders the locations' rules
        say are due; flag parcels that missed their promised date. Returns how many reservations
        were released."""
        from conveyor.fulfillment.handlers import auto_release, flag_late
        from conveyor.inventory.handlers import expire_reservations

        for chore in (lambda: auto_release(self.c, actor=self.me), lambda: flag_late(self.c, actor=self.me)):
            try:
                chore()
            except Exception as exc:  # noqa: BLE001 - housekeeping must not stop message delivery
                log.warning("fulfilment housekeeping failed", error=repr(exc))
        try:
            released = expire_reservations(self.c, actor=self.me)
        except Exception as exc:  # noqa: BLE001 - housekeeping must not stop message delivery
            log.warning("reservation expiry failed", error=repr(exc))
            released = 0
        self.run_scheduled()
        return released

    def run_scheduled(self, now: float | None = None) -> list[str]:
        """Jobs on a timer (buy and plan): the replenishment review every `auto_replenish_minutes`,
        forecasts every `forecast_every_hours` (0 = off). A job runs when the worker starts and then
        once per period; a failure is logged and tried again next period. Returns what ran."""
        from conveyor.inventory.handlers import refill_hot_skus
        from conveyor.planning.handlers import run_forecasts
        from conveyor.purchasing.handlers import scheduled_review

        settings, now = self.c.settings, time.monotonic() if now is None else now
        jobs = {"replenishment": (settings.auto_replenish_minutes * 60, scheduled_review),
                "forecast": (settings.forecast_every_hours * 3600, run_forecasts),
                # hot-SKU buckets drain unevenly during a flash sale: spread the free stock again
                "hot_sku_refill": (settings.hot_sku_refill_seconds, refill_hot_skus)}
        ran = []
        for name, (every, job) in jobs.items():
            last = self.last_run.get(name)
            if every <= 0 or (last is not None and now - last < every):
                continue
            self.last_run[name] = now
            try:
                job(self.c)
                ran.append(name)
            except Exception as exc:  # noqa: BLE001 - a scheduled job must not stop message delivery
                log.warning("scheduled job failed", job=name, error=repr(exc))
        return ran

    def drain(self, max_rounds: int = 100) -> int:
        """Handle everything due now, including what handlers produce (tests, `--once`)."""
        self.maintain()
        total = 0
        for _ in range(max_rounds):
            claimed = self.run_once()
            if not claimed:
                break
            total += claimed
        return total

    def handle(self, message: Message) -> None:
        handler = self.handlers[message.topic]
        try:
            if handler.transactional:
                with self.c.uow() as uow:
                    handler.run(uow, message)
                    self._finish(uow, message)
            else:
                handler.run(message)
                with self.c.uow() as uow:
                    self._finish(uow, message)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            log.warning("outbox message failed", id=message.id, topic=message.topic, attempts=message.attempts,
                        error=repr(exc))
            self._fail(message, exc)

    def _finish(self, uow: UnitOfWork, message: Message) -> None:
        t = OutboxMessage.__table__
        done = uow.session.execute(update(t).where(t.c.id == message.id, t.c.claimed_by == self.me)
                                   .values(status="done", processed_at=utcnow(), claimed_by=None,
                                           last_error="").returning(t.c.id)).all()
        if not done:
            uow.rollback()  # another worker took the message over after our lease ran out
            return
        uow.commit()

    def _fail(self, message: Message, exc: Exception) -> None:
        t = OutboxMessage.__table__
        final = message.attempts >= self.policy.max_attempts
        with self.c.uow() as uow:
            uow.session.execute(update(t).where(t.c.id == message.id, t.c.claimed_by == self.me).values(
                status="failed" if final else "pending", claimed_by=None,
                last_error=f"{type(exc).__name__}: {exc}"[:4000],
                available_at=utcnow() + timedelta(seconds=self.backoff(message.attempts))))
            uow.commit()

    def backoff(self, attempts: int) -> float:
        """Exponential with full jitter: spreads out retries of messages that failed together."""
        ceiling = min(self.policy.max_delay_s, self.policy.base_delay_s * 2 ** (attempts - 1))
        return self.rng.uniform(0, ceiling)
