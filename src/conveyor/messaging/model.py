"""Messaging tables: the outbox (messages written in the same transaction as the change they
announce), outbound webhook subscriptions and their delivery log, the ledger of e-mails sent,
and the leases that keep scheduled jobs and the broker publisher to one worker at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_available", "status", "available_at"),
                      Index("ix_outbox_published_id", "published_at", "id"))

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
    # When the broker publisher sent it (NULL: not yet). Internal delivery topics (channel.*,
    # webhook.delivery, notification.email) are stamped at creation: they are never streamed.
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class WebhookSubscription(Base):
    """An outbound webhook endpoint: where to POST which topics, signed with which secrets."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    topics: Mapped[list[str]] = mapped_column(JsonDoc, default=list)  # patterns such as "order.*"
    # The signing secrets (current first), encrypted at rest (messaging/vault.py).
    secrets_sealed: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookAttempt(Base):
    """The delivery log: one row per HTTP attempt (or replay, or test ping)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_subscription", "subscription_id", "id"),
                      Index("ix_webhook_attempts_event", "event_id"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))  # the webhook-id: the event's outbox message id
    topic: Mapped[str] = mapped_column(String(100))
    delivery_id: Mapped[str | None] = mapped_column(String(40), default=None)  # the webhook.delivery message
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    # delivered | retry (another attempt is scheduled) | dead_letter | ping
    outcome: Mapped[str] = mapped_column(String(20))


class SentEmail(Base):
    """E-mails the SMTP server accepted, by Message-ID: a worker retry never sends one twice."""

    __tablename__ = "sent_emails"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)  # "<msg_...@shop.example>"
    outbox_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40), default="")
    recipient: Mapped[str] = mapped_column(String(254), default="")
    order_id: Mapped[str | None] = mapped_column(String(40), default=None)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WorkerLease(Base):
    """One row per scheduled job (and the broker publisher): who runs it now, until when, and
    when it is due next. Several workers share the schedule: only the lease holder runs a job."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(60), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_result: Mapped[str] = mapped_column(Text, default="")
