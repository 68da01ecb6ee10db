"""Rate limiting per API key: a token bucket per key, in this process.

Each key may make CONVEYOR_RATE_LIMIT_PER_SECOND requests a second on average and save up to
CONVEYOR_RATE_LIMIT_BURST for a burst; over that it gets 429 `rate_limited` with `Retry-After`
(whole seconds until a token is back), before its body is read. The buckets live in the process:
with `serve --workers N` a key may reach N times the rate in total (docs/operations.md, "Rate
limits"); a shared limit belongs in the proxy in front. The middleware runs on the event loop, one
request at a time, so the buckets need no lock. Public paths (health, platform webhooks) carry no
key and are not limited here."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from conveyor.api.errors import problem
from conveyor.shared.errors import ErrorCode

now = time.monotonic  # the clock (tests replace it instead of sleeping)
MAX_BUCKETS = 100_000  # keys are few; this only bounds memory if something goes wrong


@dataclass(slots=True)
class Bucket:
    tokens: float
    at: float


class TokenBuckets:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, Bucket] = {}

    def take(self, key: str) -> float:
        """Take a token for `key`: 0 when allowed, else the seconds until one is back."""
        t = now()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_BUCKETS:
                self.buckets.clear()
            bucket = self.buckets[key] = Bucket(float(self.burst), t)
        bucket.tokens = min(float(self.burst), bucket.tokens + (t - bucket.at) * self.rate)
        bucket.at = t
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


class RateLimit:
    """ASGI middleware, inside Authenticate (it needs the caller's key)."""

    def __init__(self, app: Any, rate: float, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate, burst) if rate > 0 else None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        who = (scope.get("state") or {}).get("principal") if scope["type"] == "http" else None
        if self.buckets is None or who is None:
            return await self.app(scope, receive, send)
        wait = self.buckets.take(who.key_id)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            response = problem(429, ErrorCode.RATE_LIMITED, f"too many requests for this API key; retry in "
                               f"{seconds} s", headers={"Retry-After": str(seconds)})
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)
