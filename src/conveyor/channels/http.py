"""A small pull client for channel APIs, on httpx.

Why its own module: every platform rate-limits, and a connector that hammers a 429 gets its
app throttled or its webhook endpoint blocklisted. So each request is retried with
exponential backoff and full jitter on timeouts, connection errors, 429 and 5xx; a 429's
`Retry-After` (seconds or HTTP date) wins over the backoff, and without it SP-API's
`x-amzn-RateLimit-Limit` (requests per second) tells how long one token takes to refill.
After `max_attempts` a `ChannelHttpError` says what failed, how often and why.
`sleep` and `rng` are injectable so tests neither wait nor flake.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from conveyor.shared.deadline import DeadlineTransport, remaining

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ChannelHttpError(Exception):
    """A channel API call failed for good: a non-retryable status, or retries ran out."""

    def __init__(self, message: str, *, url: str, status: int | None, attempts: int) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.attempts = attempts


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    # A server asking for more than this is treated as an outage, not a pause.
    max_retry_after_s: float = 120.0


class ChannelHttpClient:
    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout = 10.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        # The deadline transport ends every call by the caller's total deadline, if it set one
        # (channels/delivery.py); tests inject a MockTransport.
        self._client = httpx.Client(
            base_url=base_url, headers=dict(headers or {}), timeout=timeout, transport=transport or DeadlineTransport()
        )
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ChannelHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_json(
        self, path: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        """GET and decode JSON; an empty body (BigCommerce answers 204 for empty lists) is None."""
        response = self.request("GET", path, params=params, headers=headers)
        if response.status_code == 204 or not response.content:
            return None
        # Decimal, never float: amounts in these bodies are money.
        return json.loads(response.content, parse_float=Decimal)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with retries; return the first non-retryable success, raise otherwise."""
        url = str(self._client.base_url.join(path))
        for attempt in range(1, self.retry.max_attempts + 1):
            last = attempt == self.retry.max_attempts
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.TransportError as exc:  # timeouts, refused connections, resets
                if last:
                    raise ChannelHttpError(
                        f"{method} {url} failed after {attempt} attempts: {type(exc).__name__}: {exc}",
                        url=url,
                        status=None,
                        attempts=attempt,
                    ) from exc
                self._wait(self._backoff(attempt), method, url, attempt, exc)
                continue
            if response.status_code not in RETRY_STATUSES:
                return _raise_for_status(response, method, url, attempt)
            if last:
                raise ChannelHttpError(
                    f"{method} {url} gave HTTP {response.status_code} after {attempt} attempts",
                    url=url,
                    status=response.status_code,
                    attempts=attempt,
                )
            self._wait(self._delay_for(response, attempt), method, url, attempt, response.status_code)
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises

    def _wait(self, seconds: float, method: str, url: str, attempt: int, why: object) -> None:
        """Sleep before the next attempt, unless the caller's total deadline comes first."""
        left = remaining()
        if left is not None and seconds >= left:
            status = why if isinstance(why, int) else None
            raise ChannelHttpError(f"{method} {url} failed after {attempt} attempts ({why}); no time is left "
                                   f"for another within the total deadline", url=url, status=status, attempts=attempt)
        self._sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        # Full jitter (AWS architecture blog): spreads clients that failed together.
        ceiling = min(self.retry.max_delay_s, self.retry.base_delay_s * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)

    def _delay_for(self, response: httpx.Response, attempt: int) -> float:
        if response.status_code == 429:
            hinted = retry_after_seconds(response.headers) or rate_limit_delay(response.headers)
            if hinted is not None:
                return min(hinted, self.retry.max_retry_after_s)
        return self._backoff(attempt)


def _raise_for_status(response: httpx.Response, method: str, url: str, attempt: int) -> httpx.Response:
    if response.is_success:
        return response
    raise ChannelHttpError(
        f"{method} {url} gave HTTP {response.status_code}: {response.text[:300]}",
        url=url,
        status=response.status_code,
        attempts=attempt,
    )


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: either a number of seconds or an HTTP date (RFC 9110)."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def rate_limit_delay(headers: Mapping[str, str]) -> float | None:
    """SP-API's `x-amzn-RateLimit-Limit` is the sustained rate in requests per second
    (e.g. "0.0167" for getOrders); one request's worth of tokens refills in 1/rate seconds."""
    try:
        rate = float(headers.get("x-amzn-ratelimit-limit") or "")
    except ValueError:
        return None
    return 1.0 / rate if rate > 0 else None
