"""`conveyor worker`: drains the outbox, runs the scheduled jobs, streams events to a broker.

Claiming is safe with many workers: a claim is one short write transaction that marks a batch
`processing`, stamps it with this run's id and leases it until `available_at` (PostgreSQL skips
rows other workers hold, FOR UPDATE SKIP LOCKED; SQLite serialises writers with BEGIN
IMMEDIATE). A worker that dies leaves its messages to be taken over when the lease ends.
Finishing is guarded by the stamp, so a message whose lease was taken over is not finished
twice.

Handlers are of three kinds:
- transactional (`run(uow, message)`): database work such as fanning an event out to one
  delivery message per webhook subscription, channel or e-mail. A batch's transactional
  messages run in one transaction that also marks them done (exactly once); if any fails, they
  are run again one by one so that one bad message holds up no other.
- I/O (`run(message)`): one outbound call with its own timeouts, run with no transaction open,
  concurrently with the batch's other I/O (a thread pool), so one dead endpoint delays nobody
  else. Delivery is at least once; receivers de-duplicate on the message id.
- batch I/O (`run(messages) -> BatchResult`): several calls at once (webhooks: `post_many`),
  whose log rows are written in the transaction that finishes the messages.
A failure is kept as `last_error` and retried with exponential backoff and jitter (or when the
handler says, `RetryLater`), until `max_attempts` (or `DeadLetter`), when the message is
`failed` for people to look at (and replay).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import or_, select, update

from conveyor.bootstrap import Container
from conveyor.messaging.model import OutboxMessage
from conveyor.messaging.schedule import Job, Schedule
from conveyor.shared.clock import utcnow
from conveyor.shared.db import table_of
from conveyor.shared.metrics import WORKER_ERRORS
from conveyor.shared.uow import UnitOfWork

log = structlog.get_logger("conveyor.worker")
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    topic: str
    key: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class Handler:
    run: Callable[..., Any]
    # True: run(uow, message) inside the transaction that marks it done. False: run(message).
    transactional: bool
    # True (with transactional False): run(messages) -> BatchResult for all of a batch's messages.
    batch: bool = False


class RetryLater(Exception):
    """A handler's own schedule: try again at `at` (e.g. a webhook's Retry-After)."""

    def __init__(self, at: datetime, error: str) -> None:
        super().__init__(error)
        self.at, self.error = at, error


class DeadLetter(Exception):
    """Give up now (e.g. 410 Gone, or the last attempt of a webhook's own retry policy)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


Outcome = RetryLater | DeadLetter | None


@dataclass(slots=True)
class BatchResult:
    outcomes: dict[str, Outcome]  # message id -> None (done), RetryLater or DeadLetter
    record: Callable[[UnitOfWork], None] | None = None  # log rows, written as the batch is finished


MAINTENANCE_SECONDS = 5.0


@dataclass
class Policy:
    batch: int = 50
    lease_seconds: float = 120.0
    max_attempts: int = 8
    base_delay_s: float = 2.0
    max_delay_s: float = 3600.0
    io_concurrency: int = 16  # I/O handlers of one batch running at once


def _default_jobs() -> list[Job]:
    from conveyor.inventory.handlers import expire_reservations

    return [Job("expire_reservations", lambda c, now: expire_reservations(c, actor="worker"),
                every=timedelta(seconds=10))]


@dataclass
class Hooks:
    """What the worker calls besides handlers (messaging/handlers.py wires them)."""

    # A message was dead-lettered: e.g. tell staff (runs in the transaction that marks it failed).
    on_dead_letter: Callable[[UnitOfWork, Message, str], None] | None = None
    # Publish due events to the broker; returns how many went out (None: streaming is off).
    stream: Callable[[str, datetime], int] | None = None
    jobs: list[Job] = field(default_factory=_default_jobs)


class Worker:
    def __init__(self, c: Container, handlers: dict[str, Handler], policy: Policy | None = None,
                 rng: random.Random | None = None, clock: Clock = utcnow, hooks: Hooks | None = None) -> None:
        self.c, self.handlers = c, handlers
        self.policy = policy or Policy()
        self.rng = rng or random.Random()
        self.clock = clock
        self.hooks = hooks or Hooks()
        self.me = f"wrk_{os.getpid()}_{self.rng.getrandbits(40):010x}"
        self.schedule = Schedule(c, self.hooks.jobs, self.me)
        self._pool = ThreadPoolExecutor(max_workers=self.policy.io_concurrency, thread_name_prefix="outbox-io")
        self._pass_started: datetime | None = None  # set during a pass that retries nothing

    # --- claiming -----------------------------------------------------------------------------------

    def claim(self) -> list[Message]:
        t = table_of(OutboxMessage)
        now = self.clock()
        due = (select(t.c.id).where(t.c.topic.in_(sorted(self.handlers)),
                                    t.c.status.in_(("pending", "processing")), t.c.available_at <= now)
               .order_by(t.c.available_at, t.c.id).limit(self.policy.batch))
        if self._pass_started is not None:  # one bounded pass: what failed during it waits for the next
            due = due.where(or_(t.c.attempts == 0, t.c.available_at <= self._pass_started))
        if self.c.db.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (update(t).where(t.c.id.in_(due.scalar_subquery()))
                     .values(status="processing", claimed_by=self.me, attempts=t.c.attempts + 1,
                             available_at=now + timedelta(seconds=self.policy.lease_seconds))
                     .returning(t.c.id, t.c.topic, t.c.key, t.c.payload, t.c.attempts, t.c.created_at, t.c.version))
        with self.c.uow() as uow:
            rows = uow.session.execute(statement).all()
            uow.commit()
        return sorted((Message(*row) for row in rows), key=lambda m: m.id)

    # --- loops --------------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Claim one batch and handle it; returns how many messages were claimed."""
        messages = self.claim()
        kinds: dict[str, list[Message]] = {"transactional": [], "single": []}
        batches: dict[str, list[Message]] = {}
        for m in messages:
            handler = self.handlers[m.topic]
            if handler.transactional:
                kinds["transactional"].append(m)
            elif handler.batch:
                batches.setdefault(m.topic, []).append(m)
            else:
                kinds["single"].append(m)
        io = [self._pool.submit(self.handle, m) for m in kinds["single"]]
        io += [self._pool.submit(self._handle_batch, topic, group) for topic, group in batches.items()]
        self._handle_transactional(kinds["transactional"])
        for future in io:
            future.result()
        return len(messages)

    def run(self, idle_sleep: float = 1.0, stop: Callable[[], bool] = lambda: False) -> None:
        last_maintenance = 0.0
        while not stop():
            if time.monotonic() - last_maintenance >= MAINTENANCE_SECONDS:
                self.maintain()
                last_maintenance = time.monotonic()
            claimed = self.run_once()
            streamed = self.stream()
            if not claimed and not streamed:
                time.sleep(idle_sleep)

    def maintain(self) -> int:
        """Run the scheduled jobs that are due (each by one worker only: see messaging/schedule.py).
        Returns what they report as done (e.g. reservations released)."""
        return self.schedule.run_due(self.clock())

    def stream(self) -> int:
        if self.hooks.stream is None:
            return 0
        try:
            return self.hooks.stream(self.me, self.clock())
        except Exception as exc:  # noqa: BLE001 - the broker being down must not stop deliveries
            log.warning("broker publishing failed", error=repr(exc))
            return 0

    def drain(self, max_rounds: int = 100, deadline_s: float | None = None, retry_failed: bool = True) -> int:
        """Handle everything due now, including what handlers produce (tests, `--once`).

        `retry_failed=False` makes it one bounded pass: a message that fails is not tried again
        in this pass (its retry waits for the next run), and no new batch is claimed after
        `deadline_s` seconds."""
        started = time.monotonic()
        self._pass_started = None if retry_failed else self.clock()
        try:
            self.maintain()
            total = 0
            for _ in range(max_rounds):
                if deadline_s is not None and time.monotonic() - started >= deadline_s:
                    break
                claimed = self.run_once()
                if not claimed:
                    break
                total += claimed
            while self.stream():
                if deadline_s is not None and time.monotonic() - started >= deadline_s:
                    break
            return total
        finally:
            self._pass_started = None

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    # --- handling -----------------------------------------------------------------------------------

    def _handle_transactional(self, messages: list[Message]) -> None:
        if len(messages) > 1:
            try:
                with self.c.uow() as uow:
                    for message in messages:
                        self.handlers[message.topic].run(uow, message)
                    if self._finish_all(uow, messages):
                        return
            except Exception as exc:  # noqa: BLE001 - find the culprit one by one below
                log.info("batch transaction failed; handling one by one", error=repr(exc))
        for message in messages:
            self.handle(message)

    def handle(self, message: Message) -> None:
        handler = self.handlers[message.topic]
        try:
            if handler.transactional:
                with self.c.uow() as uow:
                    handler.run(uow, message)
                    self._finish(uow, message)
            elif handler.batch:
                self._handle_batch(message.topic, [message])
            else:
                handler.run(message)
                with self.c.uow() as uow:
                    self._finish(uow, message)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            log.warning("outbox message failed", id=message.id, topic=message.topic, attempts=message.attempts,
                        error=repr(exc))
            self._fail(message, exc)

    def _handle_batch(self, topic: str, messages: list[Message]) -> None:
        try:
            result: BatchResult = self.handlers[topic].run(messages)
        except Exception as exc:  # noqa: BLE001 - the whole batch failed before any call
            log.warning("batch handler failed", topic=topic, error=repr(exc))
            for message in messages:
                self._fail(message, exc)
            return
        with self.c.uow() as uow:
            if result.record is not None:
                result.record(uow)
            done = [m for m in messages if result.outcomes.get(m.id) is None]
            self._finish_all(uow, done, commit=False)
            for message in messages:
                outcome = result.outcomes.get(message.id)
                if outcome is not None:
                    self._mark_failed(uow, message, outcome)
            uow.commit()

    def _finish(self, uow: UnitOfWork, message: Message) -> None:
        if not self._finish_all(uow, [message]):
            uow.rollback()  # another worker took the message over after our lease ran out

    def _finish_all(self, uow: UnitOfWork, messages: Sequence[Message], commit: bool = True) -> bool:
        """Mark messages done (only those this worker still holds); commits when all were ours."""
        if not messages:
            if commit:
                uow.commit()
            return True
        t = table_of(OutboxMessage)
        ids = [m.id for m in messages]
        done = uow.session.execute(update(t).where(t.c.id.in_(ids), t.c.claimed_by == self.me)
                                   .values(status="done", processed_at=self.clock(), claimed_by=None,
                                           last_error="").returning(t.c.id)).all()
        if len(done) != len(ids):
            return False
        if commit:
            uow.commit()
        return True

    def _fail(self, message: Message, exc: Exception) -> None:
        with self.c.uow() as uow:
            self._mark_failed(uow, message, exc)
            uow.commit()

    def _mark_failed(self, uow: UnitOfWork, message: Message, exc: Exception) -> None:
        t = table_of(OutboxMessage)
        now = self.clock()
        error = exc.error if isinstance(exc, RetryLater | DeadLetter) else f"{type(exc).__name__}: {exc}"
        final = isinstance(exc, DeadLetter) or (not isinstance(exc, RetryLater)
                                                and message.attempts >= self.policy.max_attempts)
        retry_at = exc.at if isinstance(exc, RetryLater) else now + timedelta(seconds=self.backoff(message.attempts))
        changed = uow.session.execute(update(t).where(t.c.id == message.id, t.c.claimed_by == self.me).values(
            status="failed" if final else "pending", claimed_by=None, last_error=error[:4000],
            available_at=now if final else retry_at).returning(t.c.id)).all()
        if changed:
            WORKER_ERRORS.labels(message.topic, "dead_letter" if final else "retry").inc()
        if final and changed and self.hooks.on_dead_letter is not None:
            self.hooks.on_dead_letter(uow, message, error)

    def backoff(self, attempts: int) -> float:
        """Exponential with jitter between half and all of the step: spreads out retries of
        messages that failed together, and never retries at once (a batch's other deliveries
        may still be running when one fails: its retry must not come back in the same pass)."""
        ceiling = min(self.policy.max_delay_s, self.policy.base_delay_s * 2 ** (attempts - 1))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)
