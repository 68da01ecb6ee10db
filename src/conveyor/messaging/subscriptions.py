"""Outbound webhook subscriptions: the database side of `messaging.webhooks`.

- CRUD of subscriptions (URL, event filter, signing secrets sealed at rest, health);
- `fan_out`: one `webhook.delivery` outbox message per subscription that wants an event (in the
  transaction that marks the event handled, so each subscription gets each event once);
- `record_attempts`: the delivery log (one row per attempt) and the health bookkeeping that
  disables a subscription after persistent failure, with a notice for staff;
- `replay`: send events again (same `webhook-id`, fresh timestamp and signature).
Service functions: they never commit (messaging/handlers.py and the worker do).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update

from conveyor.messaging import outbox, webhooks
from conveyor.messaging.model import OutboxMessage, WebhookAttempt, WebhookSubscription
from conveyor.messaging.outbox import INTERNAL, Topic
from conveyor.messaging.signing import new_secret
from conveyor.messaging.vault import SecretBox
from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.db import table_of
from conveyor.shared.errors import NotFound, ValidationFailed
from conveyor.shared.pagination import Page, paginate
from conveyor.shared.uow import UnitOfWork

CACHE = "webhook_subscriptions"
MAX_URL = 2000


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    id: str
    url: str
    description: str
    topics: tuple[str, ...]
    enabled: bool
    consecutive_failures: int
    failing_since: datetime | None
    disabled_reason: str
    created_at: datetime
    updated_at: datetime


def _view(row: WebhookSubscription) -> SubscriptionView:
    return SubscriptionView(row.id, row.url, row.description, tuple(row.topics), row.enabled,
                            row.consecutive_failures, row.failing_since, row.disabled_reason, row.created_at,
                            row.updated_at)


def check_url(url: str) -> str:
    """An absolute http(s) URL without credentials in it (put those in the secret, not the URL)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("a webhook URL must be an absolute http:// or https:// URL", url=url)
    if parts.username or parts.password:
        raise ValidationFailed("a webhook URL must not carry a user name or password", url=url)
    if len(url) > MAX_URL:
        raise ValidationFailed(f"a webhook URL has at most {MAX_URL} characters")
    return url.strip()


def _check_topics(topics: Sequence[str]) -> list[str]:
    internal = {str(t) for t in INTERNAL}
    if any(t in internal for t in topics):
        raise ValidationFailed("internal delivery topics cannot be subscribed to", topics=list(topics))
    return webhooks.check_patterns(list(dict.fromkeys(topics)))


def _forget(uow: UnitOfWork) -> None:
    uow.after_commit(uow.caches.named(CACHE).invalidate)


def create_subscription(uow: UnitOfWork, box: SecretBox, url: str, topics: Sequence[str], description: str = "",
                        secret: str | None = None) -> tuple[SubscriptionView, str]:
    """A new subscription and its signing secret (shown to the caller once; generated when not given)."""
    secret = secret or new_secret()
    now = utcnow()
    row = WebhookSubscription(id=ids.new_id("webhook"), url=check_url(url), description=description,
                              topics=_check_topics(topics), secrets_sealed=box.seal([secret]), enabled=True,
                              consecutive_failures=0, failing_since=None, disabled_reason="",
                              created_at=now, updated_at=now)
    uow.session.add(row)
    uow.session.flush()
    _forget(uow)
    return _view(row), secret


def _row(uow: UnitOfWork, subscription_id: str, for_update: bool = False) -> WebhookSubscription:
    query = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if for_update and uow.dialect == "postgresql":
        query = query.with_for_update()
    row = uow.session.scalar(query)
    if row is None:
        raise NotFound("webhook subscription", subscription_id)
    return row


def get_subscription(uow: UnitOfWork, subscription_id: str) -> SubscriptionView:
    return _view(_row(uow, subscription_id))


def list_subscriptions(uow: UnitOfWork) -> list[SubscriptionView]:
    return [_view(r) for r in uow.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))]


def update_subscription(uow: UnitOfWork, box: SecretBox, subscription_id: str, *, url: str | None = None,
                        topics: Sequence[str] | None = None, description: str | None = None,
                        enabled: bool | None = None, rotate_secret: bool = False) -> tuple[SubscriptionView, str]:
    """Change a subscription. Enabling it again starts its failure count over. Rotating the
    secret signs with the new secret and the previous one until the next rotation, so receivers
    can switch without missing a delivery. Returns the new secret when rotated (else "")."""
    row = _row(uow, subscription_id, for_update=True)
    if url is not None:
        row.url = check_url(url)
    if topics is not None:
        row.topics = _check_topics(topics)
    if description is not None:
        row.description = description
    if enabled is not None:
        if enabled and not row.enabled:
            row.consecutive_failures, row.failing_since, row.disabled_reason = 0, None, ""
        row.enabled = enabled
    fresh = ""
    if rotate_secret:
        fresh = new_secret()
        row.secrets_sealed = box.seal([fresh, box.open(row.secrets_sealed)[0]])
    row.updated_at = utcnow()
    _forget(uow)
    return _view(row), fresh


def delete_subscription(uow: UnitOfWork, subscription_id: str) -> None:
    row = _row(uow, subscription_id, for_update=True)
    uow.session.execute(table_of(WebhookAttempt).delete().where(WebhookAttempt.subscription_id == row.id))
    uow.session.delete(row)
    _forget(uow)


def signing_subscriptions(uow: UnitOfWork, box: SecretBox) -> tuple[webhooks.Subscription, ...]:
    """Every subscription with its opened secrets (enabled or not), from the container's cache."""
    def load() -> tuple[webhooks.Subscription, ...]:
        rows = uow.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))
        return tuple(webhooks.Subscription(r.id, r.url, tuple(box.open(r.secrets_sealed)), tuple(r.topics), r.enabled)
                     for r in rows)

    return uow.caches.named(CACHE).get("all", load) or ()


def signing_subscription(uow: UnitOfWork, box: SecretBox, subscription_id: str) -> webhooks.Subscription:
    """One subscription with its opened secrets, read now (not from the cache)."""
    r = _row(uow, subscription_id)
    return webhooks.Subscription(r.id, r.url, tuple(box.open(r.secrets_sealed)), tuple(r.topics), r.enabled)


def delivery_payload(subscription_id: str, event_id: str, topic: str, occurred_at: datetime,
                     data: dict[str, Any]) -> dict[str, Any]:
    return {"subscription_id": subscription_id, "event_id": event_id, "topic": topic,
            "occurred_at": as_utc(occurred_at).isoformat(), "data": data}


def fan_out(uow: UnitOfWork, subscriptions: Iterable[webhooks.Subscription], event_id: str, topic: str,
            occurred_at: datetime, data: dict[str, Any]) -> int:
    """One `webhook.delivery` message per enabled subscription that wants `topic`."""
    if topic not in webhooks.TOPIC_VERSIONS:
        return 0
    rows = [outbox.message_row(Topic.WEBHOOK_DELIVERY, s.id, delivery_payload(s.id, event_id, topic, occurred_at, data))
            for s in subscriptions if s.wants(topic)]
    outbox.enqueue_rows(uow, rows)
    return len(rows)


@dataclass(frozen=True, slots=True)
class LoggedAttempt:
    attempt: webhooks.DeliveryAttempt
    topic: str
    delivery_id: str | None
    outcome: str  # delivered | retry | dead_letter | ping


def record_attempts(uow: UnitOfWork, logged: Sequence[LoggedAttempt],
                    policy: webhooks.HealthPolicy = webhooks.HealthPolicy()) -> list[tuple[str, str]]:
    """Write the delivery log and update each subscription's health, in attempt order. Returns
    (subscription id, notice) for each subscription this disabled (for staff alerts)."""
    if not logged:
        return []
    write_log(uow, logged)
    notices = []
    by_subscription: dict[str, list[webhooks.DeliveryAttempt]] = {}
    for item in sorted(logged, key=lambda i: i.attempt.started_at):
        by_subscription.setdefault(item.attempt.subscription_id, []).append(item.attempt)
    t = table_of(WebhookSubscription)
    for subscription_id in sorted(by_subscription):
        if all(a.succeeded for a in by_subscription[subscription_id]):
            # The common case: a healthy endpoint. A conditional UPDATE that changes (and locks)
            # nothing unless failures were counted, so workers don't queue on the row.
            uow.session.execute(update(t).where(
                t.c.id == subscription_id, or_(t.c.consecutive_failures != 0, t.c.failing_since.is_not(None)))
                .values(consecutive_failures=0, failing_since=None))
            continue
        row = uow.session.scalar(_locked(uow, subscription_id))
        if row is None:
            continue  # deleted meanwhile
        notices += [(subscription_id, n) for n in _apply_health(row, by_subscription[subscription_id], policy)]
    if notices:
        _forget(uow)
    return notices


def write_log(uow: UnitOfWork, logged: Sequence[LoggedAttempt]) -> None:
    """Rows of the delivery log (the health of the subscriptions is left alone)."""
    uow.defer_insert(table_of(WebhookAttempt), [{
        "id": ids.new_id("webhook_attempt"), "subscription_id": item.attempt.subscription_id,
        "event_id": item.attempt.message_id, "topic": item.topic, "delivery_id": item.delivery_id,
        "attempt": item.attempt.attempt, "started_at": item.attempt.started_at,
        "status_code": item.attempt.status_code, "latency_ms": item.attempt.latency_ms,
        "response_excerpt": item.attempt.response_excerpt, "error": item.attempt.error[:2000],
        "outcome": item.outcome} for item in logged])


def _locked(uow: UnitOfWork, subscription_id: str):  # noqa: ANN202 - a select
    query = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    return query.with_for_update() if uow.dialect == "postgresql" else query


def _apply_health(row: WebhookSubscription, attempts: list[webhooks.DeliveryAttempt],
                  policy: webhooks.HealthPolicy) -> list[str]:
    health = webhooks.EndpointHealth(row.consecutive_failures, row.failing_since, not row.enabled,
                                     row.disabled_reason)
    notices = []
    for attempt in attempts:
        result = webhooks.update_health(health, attempt, row.url, policy)
        health = result.health
        if result.notice:
            notices.append(result.notice)
    row.consecutive_failures, row.failing_since = health.consecutive_failures, health.failing_since
    if health.disabled and row.enabled:
        row.enabled, row.disabled_reason = False, health.disabled_reason
        row.updated_at = utcnow()
    return notices


def attempts_page(uow: UnitOfWork, subscription_id: str, limit: int = 50, cursor: str | None = None,
                  event_id: str | None = None) -> Page[WebhookAttempt]:
    _row(uow, subscription_id)
    query = select(WebhookAttempt).where(WebhookAttempt.subscription_id == subscription_id)
    if event_id:
        query = query.where(WebhookAttempt.event_id == event_id)
    return paginate(uow.session, query, WebhookAttempt.id, limit, cursor)


def replay(uow: UnitOfWork, subscription_id: str, event_ids: Sequence[str] | None = None,
           failed: bool = False) -> list[str]:
    """Queue events again for one subscription: the named events (delivered or not), or every
    dead-lettered delivery (`failed`). The same `webhook-id` goes out with a fresh signature.
    Returns the delivery message ids queued."""
    row = _row(uow, subscription_id)
    if not event_ids and not failed:
        raise ValidationFailed("name the events to replay (event_ids) or ask for the failed ones (failed: true)")
    t = table_of(OutboxMessage)
    delivery_ids: set[str] = set()
    if failed:
        delivery_ids |= set(uow.session.scalars(select(t.c.id).where(
            t.c.topic == str(Topic.WEBHOOK_DELIVERY), t.c.key == row.id, t.c.status == "failed")))
    if event_ids:
        delivery_ids |= _deliveries_of(uow, row, list(dict.fromkeys(event_ids)))
    return requeue(uow, sorted(delivery_ids))


def _deliveries_of(uow: UnitOfWork, row: WebhookSubscription, event_ids: list[str]) -> set[str]:
    """The delivery messages of these events to this subscription; events it never had (it was
    created later, or did not want them then) get a new delivery while the event is kept."""
    known = dict(uow.session.execute(select(WebhookAttempt.event_id, WebhookAttempt.delivery_id).where(
        WebhookAttempt.subscription_id == row.id, WebhookAttempt.event_id.in_(event_ids),
        WebhookAttempt.delivery_id.is_not(None))).all())
    found = {delivery for delivery in known.values() if delivery}
    missing = [e for e in event_ids if e not in known]
    events = uow.session.execute(select(OutboxMessage.id, OutboxMessage.topic, OutboxMessage.created_at,
                                        OutboxMessage.payload).where(OutboxMessage.id.in_(missing))).all()
    unknown = set(missing) - {e.id for e in events}
    if unknown:
        raise NotFound("event", sorted(unknown)[0])
    for event in events:
        payload = delivery_payload(row.id, event.id, event.topic, event.created_at, event.payload)
        found.add(outbox.enqueue(uow, Topic.WEBHOOK_DELIVERY, row.id, payload))
    return found


def requeue(uow: UnitOfWork, message_ids: Sequence[str]) -> list[str]:
    """Make outbox messages due again now with a fresh attempt count (manual replay)."""
    if not message_ids:
        return []
    t = table_of(OutboxMessage)
    uow.flush()  # messages queued in this transaction are in the table before the UPDATE
    uow.session.execute(update(t).where(t.c.id.in_(list(message_ids)), t.c.status != "processing").values(
        status="pending", attempts=0, last_error="", available_at=utcnow(), claimed_by=None, processed_at=None))
    return list(message_ids)
