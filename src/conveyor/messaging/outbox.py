"""The one door to the outbox: `enqueue(uow, Topic.…, key, payload)`.

A message is written in the same transaction as the change it announces (deferred, so all the
messages of one transaction leave in one multi-row INSERT) and delivered at least once by
`conveyor worker`. Every topic has a documented payload (docs/events.md) and a version: a change
that removes or renames a field bumps the topic's version, consumers read `version` to tell.
The topics themselves are listed in messaging/topics.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conveyor.messaging.model import OutboxMessage
from conveyor.messaging.topics import INTERNAL, VERSIONS, Topic
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.context import request_id
from conveyor.shared.db import table_of
from conveyor.shared.uow import UnitOfWork


def message_row(topic: Topic, key: str, payload: dict[str, Any], now: datetime | None = None,
                message_id: str | None = None) -> dict[str, Any]:
    """An outbox row, for callers that insert many at once (bulk placement)."""
    now = now or utcnow()
    return {"id": message_id or ids.new_id("outbox"), "topic": str(topic), "version": VERSIONS[topic],
            "key": key, "payload": payload, "status": "pending", "attempts": 0, "last_error": "",
            "created_at": now, "available_at": now, "request_id": request_id(),
            # The broker publisher streams what has no published_at yet; internal deliveries never.
            "published_at": now if topic in INTERNAL else None}


def enqueue(uow: UnitOfWork, topic: Topic, key: str, payload: dict[str, Any], available_at: datetime | None = None,
            ) -> str:
    """Queue a message in the caller's transaction; returns its id (receivers de-duplicate on it).
    `available_at` delays its delivery (e.g. a webhook ping scheduled for later)."""
    row = message_row(topic, key, payload)
    if available_at is not None:
        row["available_at"] = available_at
    uow.defer_insert(table_of(OutboxMessage), [row])
    return row["id"]


def enqueue_rows(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Queue rows made by `message_row`."""
    uow.defer_insert(table_of(OutboxMessage), rows)


__all__ = ["INTERNAL", "VERSIONS", "Topic", "enqueue", "enqueue_rows", "message_row"]
