"""Idempotency keys (Stripe-style): the first response to a key is stored and replayed; the same
key with a different body is an error.

`claim` runs inside the caller's transaction: on PostgreSQL a concurrent request with the same
key blocks on the primary key until the first commits, then sees the stored response; on SQLite
writers are serialised anyway. Only successful responses are stored, so a request that failed
(and rolled back, claim included) may be retried with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, cast, select, update
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime, table_of
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.sql import insert_ignoring_conflicts
from conveyor.shared.uow import UnitOfWork


class IdempotencyRecord(Base):
    """The first response to a POST with an Idempotency-Key, replayed to any retry."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    principal: str
    key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: Any


def request_hash(method: str, path: str, body: bytes) -> str:
    """Hash of what was asked. JSON bodies are canonicalised so key order doesn't matter."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def claim(uow: UnitOfWork, c: IdempotencyClaim) -> StoredResponse | None:
    """Take the key for this transaction, or return the stored response of an earlier request."""
    table = table_of(IdempotencyRecord)
    row = {"principal": c.principal, "key": c.key, "request_hash": c.request_hash, "status_code": None,
           "response": None, "created_at": utcnow()}
    if insert_ignoring_conflicts(uow.session, table, [row], ["principal", "key"]) == 1:
        return None
    stored = uow.session.execute(
        select(table.c.request_hash, table.c.status_code, table.c.response)
        .where(table.c.principal == c.principal, table.c.key == c.key)
    ).one()
    if stored.request_hash != c.request_hash:
        raise DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED,
                          "this Idempotency-Key was used with a different request", key=c.key)
    if stored.status_code is None:
        raise DomainError(ErrorCode.IDEMPOTENCY_IN_PROGRESS,
                          "a request with this Idempotency-Key is still in progress", key=c.key)
    return StoredResponse(stored.status_code, stored.response)


def complete(uow: UnitOfWork, c: IdempotencyClaim, status_code: int, body: Any) -> None:
    table = table_of(IdempotencyRecord)
    uow.session.execute(
        update(table).where(table.c.principal == c.principal, table.c.key == c.key)
        .values(status_code=status_code, response=body)
    )


def scrub_responses(uow: UnitOfWork, order_ids: list[str], scrub: Callable[[Any], Any]) -> int:
    """Erasure: stored first answers that show one of these orders (an order, a draft confirmed
    into one) get `scrub` applied, so a replay no longer hands out the erased data. Matched on the
    JSON text, which scans the table — erasures are rare and this keeps the hot path index-free."""
    table = table_of(IdempotencyRecord)
    changed = 0
    for order_id in order_ids:
        rows = uow.session.execute(select(table.c.principal, table.c.key, table.c.response).where(
            cast(table.c.response, Text).like(f'%"{order_id}"%'))).all()
        for row in rows:
            uow.session.execute(update(table).where(table.c.principal == row.principal, table.c.key == row.key)
                                .values(response=scrub(row.response)))
            changed += 1
    return changed
