"""Outbound webhooks: who wants which event, what is sent, when to try again, when to give up.

Pure decisions (the worker owns the tables and the clock):
- `topic_matches` / `Subscription.wants`: event filters such as `order.*`;
- `envelope` / `encode`: the versioned payload `{"type", "id", "timestamp", "version", "data"}`;
- `build_request`: body + Standard Webhooks headers for one subscription (also used for a
  manual replay: same id, fresh timestamp and signature);
- `RetryPolicy.delay` / `next_step`: exponential backoff with jitter, Retry-After honoured,
  dead-letter after the last attempt, no retry after 410 Gone;
- `update_health`: counts consecutive failures and decides to disable a subscription after
  persistent failure (or at once on 410), with a notice for staff.
The one HTTP call, `post` (messaging/webhook_http.py), has a hard total deadline.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from conveyor.messaging.signing import signature_headers
from conveyor.messaging.topics import INTERNAL, VERSIONS, Topic
from conveyor.shared.errors import ValidationFailed

USER_AGENT = "Conveyor-Webhooks/1"
EXCERPT_BYTES = 1024

# Topics a subscription can ask for, with the payload version each is sent in: every event the
# outbox carries (messaging/topics.py) plus the test ping. A change that removes or renames a field
# bumps the version; adding a field does not (docs/automation.md).
TOPIC_VERSIONS: dict[str, int] = {str(t): VERSIONS[t] for t in Topic if t not in INTERNAL} | {"webhook.ping": 1}


def topic_matches(pattern: str, topic: str) -> bool:
    """`order.shipped` matches itself; `*` stands for one segment (`*.cancelled`), and as the
    last segment for one or more (`order.*` matches `order.shipped` and `order.line.added`);
    `*` alone matches every topic."""
    wanted, actual = pattern.split("."), topic.split(".")
    for index, part in enumerate(wanted):
        last = index == len(wanted) - 1
        if part == "*" and last:
            return len(actual) > index
        if index >= len(actual) or (part != "*" and part != actual[index]):
            return False
    return len(actual) == len(wanted)


def check_patterns(patterns: list[str]) -> list[str]:
    """Validate a subscription's filter: non-empty, each segment a name or `*`."""
    if not patterns:
        raise ValidationFailed("a subscription needs at least one topic pattern (\"*\" for all)")
    for pattern in patterns:
        parts = pattern.split(".") if isinstance(pattern, str) else [""]
        if any(not part or (part != "*" and not part.replace("_", "").isalnum()) for part in parts):
            raise ValidationFailed(f"topic pattern {pattern!r} must be dot-separated names or *", pattern=pattern)
        if not any(topic_matches(pattern, topic) for topic in TOPIC_VERSIONS):
            raise ValidationFailed(f"topic pattern {pattern!r} matches no topic Conveyor sends", pattern=pattern)
    return patterns


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    url: str
    secrets: tuple[str, ...]  # signing secrets, current first (several while rotating)
    topics: tuple[str, ...]  # patterns
    enabled: bool = True

    def wants(self, topic: str) -> bool:
        return self.enabled and any(topic_matches(pattern, topic) for pattern in self.topics)


def envelope(topic: str, message_id: str, occurred_at: datetime, data: Mapping[str, Any]) -> dict[str, Any]:
    if topic not in TOPIC_VERSIONS:
        raise ValidationFailed(f"no webhook payload is defined for topic {topic!r}")
    if occurred_at.tzinfo is None:
        raise ValidationFailed("occurred_at must be timezone-aware")
    utc = occurred_at.astimezone(UTC)
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return {"type": topic, "id": message_id, "timestamp": stamp, "version": TOPIC_VERSIONS[topic], "data": dict(data)}


def encode(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    url: str
    body: bytes
    headers: dict[str, str]


def build_request(subscription: Subscription, message_id: str, body: bytes, now: datetime) -> OutboundRequest:
    """The POST for one delivery attempt (or a manual replay): same `webhook-id` every time,
    timestamp and signature fresh, so receivers de-duplicate and still accept the replay."""
    headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    headers |= signature_headers(subscription.secrets, message_id, int(now.timestamp()), body)
    return OutboundRequest(subscription.url, body, headers)


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One row of the delivery log."""

    subscription_id: str
    message_id: str
    attempt: int  # 1 for the first try
    started_at: datetime
    status_code: int | None  # None: no HTTP answer (timeout, refused, TLS error)
    latency_ms: int
    response_excerpt: str = ""  # at most EXCERPT_BYTES of the body
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def summary(self) -> str:
        return self.error or f"HTTP {self.status_code}"


def excerpt(raw: bytes) -> str:
    """The first EXCERPT_BYTES bytes as text, never cutting a UTF-8 character in half."""
    return raw[:EXCERPT_BYTES].decode("utf-8", errors="ignore")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Defaults: 10 attempts; delays 30 s, 1.5 min, 4.5 min, ... ×3, at most 12 h, each with
    jitter between half and the full delay. The first 8 attempts span at least 4.5 h even on
    the shortest jitter; all 10 span 16.5-33 h."""

    max_attempts: int = 10
    first_delay_s: float = 30.0
    factor: float = 3.0
    max_delay_s: float = 12 * 3600.0
    max_retry_after_s: float = 24 * 3600.0  # a longer Retry-After is capped

    def delay(self, attempt: int, rng: random.Random, retry_after_s: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_delay_s, self.first_delay_s * self.factor ** (attempt - 1))
        jittered = ceiling / 2 + rng.uniform(0, ceiling / 2)  # "equal jitter": spread, never ~0
        if retry_after_s is not None:
            return max(jittered, min(retry_after_s, self.max_retry_after_s))
        return jittered


@dataclass(frozen=True, slots=True)
class NextStep:
    action: Literal["done", "retry", "dead_letter"]
    retry_at: datetime | None = None
    last_error: str = ""


def next_step(
    attempt: DeliveryAttempt, now: datetime, rng: random.Random, policy: RetryPolicy = RetryPolicy(),
    retry_after_s: float | None = None,
) -> NextStep:
    """After an attempt: done, retry at a time, or dead-letter with the last error."""
    if attempt.succeeded:
        return NextStep("done")
    if attempt.status_code == 410 or attempt.attempt >= policy.max_attempts:
        return NextStep("dead_letter", last_error=attempt.summary)
    wait = policy.delay(attempt.attempt, rng, retry_after_s)
    return NextStep("retry", now + timedelta(seconds=wait), attempt.summary)


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """Disable an endpoint that has failed every attempt for `after` and at least `failures`
    times in a row (the spec suggests days: short outages must not cost a subscription)."""

    failures: int = 20
    after: timedelta = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    disabled: bool = False
    disabled_reason: str = ""


@dataclass(frozen=True, slots=True)
class HealthUpdate:
    health: EndpointHealth
    notice: str = ""  # set when this attempt disabled the subscription: tell the merchant


def update_health(health: EndpointHealth, attempt: DeliveryAttempt, url: str,
                  policy: HealthPolicy = HealthPolicy()) -> HealthUpdate:
    if attempt.succeeded:
        return HealthUpdate(EndpointHealth(disabled=health.disabled, disabled_reason=health.disabled_reason))
    since = health.failing_since or attempt.started_at
    failed = replace(health, consecutive_failures=health.consecutive_failures + 1, failing_since=since)
    if health.disabled:
        return HealthUpdate(failed)
    reason = ""
    if attempt.status_code == 410:
        reason = f"{url} answered 410 Gone: the receiver asked us to stop"
    elif failed.consecutive_failures >= policy.failures and attempt.started_at - since >= policy.after:
        reason = (f"{url} failed {failed.consecutive_failures} deliveries in a row since "
                  f"{since.isoformat(timespec='minutes')}; last: {attempt.summary}")
    if not reason:
        return HealthUpdate(failed)
    disabled = replace(failed, disabled=True, disabled_reason=reason)
    return HealthUpdate(disabled, f"Webhook subscription {attempt.subscription_id} was disabled: {reason}. "
                                  "Fix the endpoint, then enable it again and replay the failed deliveries.")

