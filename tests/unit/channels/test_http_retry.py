"""Retry decisions of the pull client, driven through httpx's MockTransport (no sockets)."""

import random
from datetime import UTC, datetime

import httpx
import pytest

from conveyor.channels.http import (
    ChannelHttpClient,
    ChannelHttpError,
    RetryPolicy,
    rate_limit_delay,
    retry_after_seconds,
)


def scripted(*responses: httpx.Response):
    calls = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return httpx.MockTransport(handler), calls


def client(transport, sleeps, attempts=4):
    return ChannelHttpClient(
        "https://api.example.test/", transport=transport, sleep=sleeps.append,
        retry=RetryPolicy(max_attempts=attempts, base_delay_s=1.0, max_delay_s=8.0), rng=random.Random(7),
    )  # fmt: skip


def test_429_retry_after_seconds_is_honoured():
    transport, calls = scripted(
        httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json={"ok": 1})
    )
    sleeps = []
    assert client(transport, sleeps).get_json("x") == {"ok": 1}
    assert sleeps == [3.0] and len(calls) == 2


def test_429_without_retry_after_uses_amazon_rate_limit():
    transport, _ = scripted(
        httpx.Response(429, headers={"x-amzn-RateLimit-Limit": "0.5"}), httpx.Response(200, json=[])
    )
    sleeps = []
    client(transport, sleeps).get_json("x")
    assert sleeps == [2.0]


def test_5xx_backs_off_exponentially_with_jitter_then_gives_up():
    transport, calls = scripted(httpx.Response(503))
    sleeps = []
    with pytest.raises(ChannelHttpError) as err:
        client(transport, sleeps).get_json("orders")
    assert err.value.status == 503 and err.value.attempts == 4 and len(calls) == 4
    assert len(sleeps) == 3
    assert all(0 <= s <= cap for s, cap in zip(sleeps, [1.0, 2.0, 4.0], strict=True))
    assert "after 4 attempts" in str(err.value)


def test_client_errors_are_not_retried():
    transport, calls = scripted(httpx.Response(401, text="bad token"))
    with pytest.raises(ChannelHttpError) as err:
        client(transport, []).get_json("orders")
    assert err.value.status == 401 and len(calls) == 1 and "bad token" in str(err.value)


def test_204_is_none_and_fractional_numbers_are_decimal():
    transport, _ = scripted(httpx.Response(204))
    assert client(transport, []).get_json("x") is None
    transport, _ = scripted(httpx.Response(200, content=b'{"price": 19.99}'))
    assert str(client(transport, []).get_json("x")["price"]) == "19.99"


def test_retry_after_http_date():
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    headers = {"retry-after": "Wed, 01 May 2024 12:00:30 GMT"}
    assert retry_after_seconds(headers, now=now) == 30.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_rate_limit_header_parsing():
    assert rate_limit_delay({"x-amzn-ratelimit-limit": "0.0167"}) == pytest.approx(59.88, abs=0.01)
    assert rate_limit_delay({"x-amzn-ratelimit-limit": "0"}) is None
    assert rate_limit_delay({}) is None


def test_no_retry_is_waited_for_past_the_callers_total_deadline():
    from conveyor.shared.deadline import total_deadline

    transport, calls = scripted(httpx.Response(429, headers={"Retry-After": "60"}), httpx.Response(200, json={}))
    sleeps = []
    with total_deadline(30), pytest.raises(ChannelHttpError, match="no time is left") as failed:
        client(transport, sleeps).get_json("orders")
    assert sleeps == [] and len(calls) == 1 and failed.value.status == 429
    # Without a deadline the same answer is waited out.
    transport, calls = scripted(httpx.Response(429, headers={"Retry-After": "60"}), httpx.Response(200, json={}))
    assert client(transport, sleeps).get_json("orders") == {} and sleeps == [60.0]
