"""Looking into the outbox and replaying from it (API, CLI): which messages wait, which failed
and why, and making messages due again (same id, fresh attempt count). Service functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from conveyor.messaging.model import OutboxMessage
from conveyor.messaging.subscriptions import requeue
from conveyor.shared.clock import as_utc
from conveyor.shared.errors import ValidationFailed
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork

STATUSES = ("pending", "processing", "done", "failed")
MAX_REPLAY = 10_000


def list_messages(uow: UnitOfWork, *, status: str | None = None, topic: str | None = None, key: str | None = None,
                  limit: int = 50, cursor: str | None = None) -> Page[OutboxMessage]:
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", status=status)
    query = select(OutboxMessage)
    if status:
        query = query.where(OutboxMessage.status == status)
    if topic:
        query = query.where(OutboxMessage.topic == topic)
    if key:
        query = query.where(OutboxMessage.key == key)
    return paginate(uow.session, query, OutboxMessage.id, limit, cursor)


def replay(uow: UnitOfWork, ids: Sequence[str] = (), failed: bool = False, topic: str | None = None) -> list[str]:
    """Make the named messages (or every failed one, of `topic` when given) due again."""
    if not ids and not failed:
        raise ValidationFailed("name the messages to replay (ids) or ask for the failed ones (failed: true)")
    chosen = set(ids)
    if ids:
        found = set(uow.session.scalars(select(OutboxMessage.id).where(OutboxMessage.id.in_(list(ids)))))
        if missing := sorted(chosen - found):
            raise ValidationFailed(f"no outbox message {missing[0]!r}", missing=missing)
    if failed:
        query = select(OutboxMessage.id).where(OutboxMessage.status == "failed").limit(MAX_REPLAY)
        if topic:
            query = query.where(OutboxMessage.topic == topic)
        chosen |= set(uow.session.scalars(query))
    return requeue(uow, sorted(chosen))


@dataclass(frozen=True, slots=True)
class Lag:
    """How far the workers are behind: messages waiting (due or claimed), the oldest one's age,
    and the dead letters (failed for good) that someone has to look at."""
    pending: int
    oldest_pending_seconds: float
    failed: int


def lag(uow: UnitOfWork, now: datetime) -> Lag:
    """One aggregate query (served by ix_outbox_status_available); for /metrics at scrape time.
    A message scheduled for later (a retry's backoff, a timed job) is not waiting yet."""
    waiting = or_(and_(OutboxMessage.status == "pending", OutboxMessage.available_at <= now),
                  OutboxMessage.status == "processing")
    row = uow.session.execute(select(
        func.count().filter(waiting), func.min(OutboxMessage.created_at).filter(waiting),
        func.count().filter(OutboxMessage.status == "failed"))).one()
    oldest = as_utc(row[1]) if row[1] is not None else None
    return Lag(row[0] or 0, max(0.0, (now - oldest).total_seconds()) if oldest else 0.0, row[2] or 0)
