"""Outbound webhooks: filters, payloads, signatures, retries, dead letters, auto-disable."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook

from conveyor.messaging.signing import new_secret
from conveyor.messaging.webhooks import (
    DeliveryAttempt,
    EndpointHealth,
    RetryPolicy,
    Subscription,
    build_request,
    check_patterns,
    encode,
    envelope,
    excerpt,
    next_step,
    topic_matches,
    update_health,
)
from conveyor.shared.errors import ValidationFailed

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("pattern", "topic", "expected"), [
    ("order.shipped", "order.shipped", True), ("order.shipped", "order.cancelled", False),
    ("order.*", "order.shipped", True), ("order.*", "order.line.added", True), ("order.*", "order", False),
    ("order.*", "stock.changed", False), ("*.cancelled", "order.cancelled", True),
    ("*.cancelled", "order.shipped", False), ("*", "stock.low", True), ("order", "order.shipped", False),
])
def test_topic_patterns(pattern, topic, expected):
    assert topic_matches(pattern, topic) is expected


@pytest.mark.parametrize("patterns", [[], ["order..shipped"], ["order.shipp?d"], ["parcel.*"]])
def test_bad_filters_are_refused(patterns):
    with pytest.raises(ValidationFailed):
        check_patterns(patterns)


def test_subscription_filter_and_switch():
    sub = Subscription("whs_1", "https://hooks.example.com/in", (new_secret(),), ("order.*", "stock.low"))
    assert sub.wants("order.shipped") and sub.wants("stock.low") and not sub.wants("stock.changed")
    assert not Subscription("whs_2", sub.url, sub.secrets, ("*",), enabled=False).wants("order.shipped")


def test_envelope_is_versioned_and_stamped_in_utc():
    berlin = timezone(timedelta(hours=1))
    payload = envelope("order.shipped", "msg_1", datetime(2026, 1, 5, 10, 0, 0, 123456, tzinfo=berlin),
                       {"id": "ord_1", "tracking_number": "0034"})
    assert payload == {"type": "order.shipped", "id": "msg_1", "timestamp": "2026-01-05T09:00:00.123Z",
                       "version": 1, "data": {"id": "ord_1", "tracking_number": "0034"}}
    assert encode(payload) == json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    with pytest.raises(ValidationFailed):
        envelope("order.teleported", "msg_1", NOW, {})


def test_the_official_library_verifies_a_delivery_and_its_replay():
    secret = new_secret()
    sub = Subscription("whs_1", "https://hooks.example.com/in", (secret,), ("*",))
    body = encode(envelope("order.cancelled", "msg_7", NOW, {"id": "ord_9", "reason": "Kunde storniert – über E-Mail"}))
    first = build_request(sub, "msg_7", body, datetime.now(UTC) - timedelta(seconds=60))
    replay = build_request(sub, "msg_7", body, datetime.now(UTC))
    assert first.headers["webhook-id"] == replay.headers["webhook-id"] == "msg_7"
    assert first.headers["webhook-signature"] != replay.headers["webhook-signature"]
    for request in (first, replay):
        assert Webhook(secret).verify(request.body, request.headers)["data"]["reason"].endswith("über E-Mail")
    assert first.headers["content-type"] == "application/json"


class EdgeRandom(random.Random):
    """Jitter always at one end of its range."""

    def __init__(self, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


def _schedule(policy: RetryPolicy, rng: random.Random) -> list[float]:
    return [policy.delay(attempt, rng) for attempt in range(1, policy.max_attempts)]


def test_default_schedule_has_at_least_8_attempts_over_at_least_4_hours():
    policy = RetryPolicy()
    assert policy.max_attempts >= 8
    for rng in (EdgeRandom(high=False), EdgeRandom(high=True), *(random.Random(seed) for seed in range(50))):
        delays = _schedule(policy, rng)
        assert sum(delays[:7]) >= 4 * 3600  # attempts 1..8 are at least 4 h apart end to end
        assert all(delay <= policy.max_delay_s for delay in delays)


def test_backoff_grows_and_jitter_spreads_retries():
    policy = RetryPolicy()
    lows = _schedule(policy, EdgeRandom(high=False))
    assert lows == sorted(lows) and lows[3] > lows[0] * 10
    spread = {round(policy.delay(3, random.Random(seed))) for seed in range(20)}
    assert len(spread) > 10 and min(spread) >= 135 and max(spread) <= 270  # half to full of 270 s


def test_retry_after_is_honoured_and_capped():
    policy = RetryPolicy()
    assert policy.delay(1, EdgeRandom(high=True), retry_after_s=600) == 600
    assert policy.delay(1, EdgeRandom(high=True), retry_after_s=10 ** 9) == policy.max_retry_after_s


def _attempt(number: int, status: int | None, at: datetime = NOW, error: str = "") -> DeliveryAttempt:
    return DeliveryAttempt("whs_1", "msg_1", number, at, status, 120, "", error)


def test_next_step_retries_then_dead_letters_with_the_last_error():
    rng = EdgeRandom(high=True)
    assert next_step(_attempt(1, 204), NOW, rng).action == "done"
    retry = next_step(_attempt(2, 503), NOW, rng)
    assert (retry.action, retry.retry_at, retry.last_error) == ("retry", NOW + timedelta(seconds=90), "HTTP 503")
    last = next_step(_attempt(10, None, error="timeout: no complete answer within 15 s"), NOW, rng)
    assert (last.action, last.last_error) == ("dead_letter", "timeout: no complete answer within 15 s")
    assert next_step(_attempt(1, 410), NOW, rng).action == "dead_letter"  # Gone: never again
    assert next_step(_attempt(1, 302), NOW, rng).action == "retry"  # redirects are failures


def test_persistent_failure_disables_the_subscription_with_a_notice():
    health, notices = EndpointHealth(), []
    for hour in range(0, 80, 4):  # 20 failures over 76 hours
        update = update_health(health, _attempt(1, 500, NOW + timedelta(hours=hour)), "https://hooks.example.com/in")
        health = update.health
        notices += [update.notice] if update.notice else []
    assert health.disabled and health.consecutive_failures == 20
    assert len(notices) == 1 and "whs_1 was disabled" in notices[0] and "HTTP 500" in notices[0]


def test_a_burst_of_failures_or_a_recovery_does_not_disable():
    health = EndpointHealth()
    for minute in range(30):  # 30 failures within half an hour: an outage, not a dead endpoint
        health = update_health(health, _attempt(1, 500, NOW + timedelta(minutes=minute)), "u").health
    assert not health.disabled
    health = update_health(health, _attempt(1, 200, NOW + timedelta(days=5)), "u").health
    assert health == EndpointHealth()


def test_410_gone_disables_at_once():
    update = update_health(EndpointHealth(), _attempt(1, 410), "https://hooks.example.com/in")
    assert update.health.disabled and "410 Gone" in update.notice


def test_response_excerpt_is_at_most_1kb_and_valid_text():
    text = excerpt(("é" * 700).encode())
    assert len(text.encode()) <= 1024 and set(text) == {"é"}
