"""The outbox: messages written in the same transaction as the change they announce."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_available", "status", "available_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100))
    # The payload's schema version for its topic (messaging.outbox.VERSIONS).
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The aggregate the message is about (order id, sku id ...): consumers de-duplicate on id.
    key: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # The worker run holding the message while status is "processing"; its lease ends at
    # available_at, after which another worker may take the message over.
    claimed_by: Mapped[str | None] = mapped_column(String(40), default=None)
    # The API request that caused it (the X-Request-Id in the logs), when there was one.
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
