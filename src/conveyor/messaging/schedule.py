"""Scheduled jobs inside `conveyor worker`, run by one worker at a time.

Each job has a row in `worker_leases` saying when it is due next and who holds it. A worker
runs a due job only after taking its lease in one guarded UPDATE (`… WHERE next_due_at <= now
AND (lease free or expired)`), so two workers never run the same job at once, and a worker that
dies mid-job leaves the lease to expire (then another takes over). When the job ends, its next
due time and a one-line result are written and the lease is given back.

A job is `Job(name, run, every=timedelta(...))` or `Job(name, run, daily_at=time(2, 0))`
(nightly, UTC); `run(container, now)` is a command handler (it opens its own transactions) and
returns a count or a short text for the log. messaging/handlers.py lists the jobs
(`default_jobs`, with `NIGHTLY` for later issues: forecasts, reorder checks, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import and_, or_, select, update

from conveyor.messaging.model import WorkerLease
from conveyor.shared.clock import as_utc
from conveyor.shared.db import table_of
from conveyor.shared.handlers import run
from conveyor.shared.sql import insert_ignoring_conflicts
from conveyor.shared.uow import UnitOfWork

if TYPE_CHECKING:
    from conveyor.bootstrap import Container

log = structlog.get_logger("conveyor.schedule")
LEASE = timedelta(minutes=10)  # a job running longer than this may be taken over


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    run: Callable[[Any, datetime], object]  # (container, now) -> a count or a short text
    every: timedelta | None = None
    daily_at: time | None = None  # UTC

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"job {self.name!r} needs exactly one of every= or daily_at=")

    def next_due(self, now: datetime) -> datetime:
        if self.every is not None:
            return now + self.every
        assert self.daily_at is not None
        today = datetime.combine(now.date(), self.daily_at, tzinfo=now.tzinfo)
        return today if today > now else today + timedelta(days=1)

    def first_due(self, now: datetime) -> datetime:
        """A new job with an interval runs at once; a nightly one waits for its time."""
        return now if self.every is not None else self.next_due(now)


def take_lease(uow: UnitOfWork, name: str, holder: str, now: datetime, ttl: timedelta,
               due_only: bool = True) -> bool:
    """Take (or renew) the lease `name` when it is free, expired or already ours (and due, when
    `due_only`). The row is created on first use."""
    insert_ignoring_conflicts(uow.session, table_of(WorkerLease), [
        {"name": name, "holder": None, "lease_until": None, "next_due_at": now, "last_run_at": None,
         "last_result": ""}], ["name"])
    t = table_of(WorkerLease)
    free = or_(t.c.holder.is_(None), t.c.holder == holder, t.c.lease_until.is_(None), t.c.lease_until < now)
    condition = and_(t.c.name == name, free, t.c.next_due_at <= now) if due_only else and_(t.c.name == name, free)
    taken = uow.session.execute(update(t).where(condition).values(holder=holder, lease_until=now + ttl)
                                .returning(t.c.name)).all()
    return bool(taken)


def give_back(uow: UnitOfWork, name: str, holder: str, next_due: datetime, now: datetime, result: str) -> None:
    t = table_of(WorkerLease)
    uow.session.execute(update(t).where(t.c.name == name, t.c.holder == holder).values(
        holder=None, lease_until=None, next_due_at=next_due, last_run_at=now, last_result=result[:500]))


class Schedule:
    def __init__(self, c: Container, jobs: Sequence[Job], holder: str) -> None:
        self.c, self.jobs, self.holder = c, list(jobs), holder

    def due_names(self, now: datetime) -> list[str]:
        """Jobs whose time has come (one read), so an idle worker writes nothing."""
        with self.c.reader() as uow:
            rows = dict(uow.session.execute(select(WorkerLease.name, WorkerLease.next_due_at)).all())
        return [job.name for job in self.jobs if rows.get(job.name) is None or as_utc(rows[job.name]) <= now]

    def run_due(self, now: datetime) -> int:
        """Run every due job whose lease this worker gets; returns the sum of their counts."""
        total = 0
        by_name = {job.name: job for job in self.jobs}
        for name in self.due_names(now):
            total += self.run_job(by_name[name], now)
        return total

    def run_job(self, job: Job, now: datetime) -> int:
        if not run(self.c.uow, lambda uow: self._take(uow, job, now)):
            return 0
        try:
            result = job.run(self.c, now)
            summary = f"ok: {result}"
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others or delivery
            log.warning("scheduled job failed", job=job.name, error=repr(exc))
            result, summary = 0, f"failed: {type(exc).__name__}: {exc}"
        run(self.c.uow, lambda uow: give_back(uow, job.name, self.holder, job.next_due(now), now, summary))
        return result if isinstance(result, int) else 0

    def _take(self, uow: UnitOfWork, job: Job, now: datetime) -> bool:
        t = table_of(WorkerLease)
        new = insert_ignoring_conflicts(uow.session, t, [
            {"name": job.name, "holder": None, "lease_until": None, "next_due_at": job.first_due(now),
             "last_run_at": None, "last_result": ""}], ["name"])
        if new and job.daily_at is not None:
            return False  # a nightly job just registered waits for its first night
        return take_lease(uow, job.name, self.holder, now, LEASE)
