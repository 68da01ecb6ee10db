"""The one HTTP call of outbound webhooks: POST with a connect timeout and a hard total deadline.

httpx's own timeouts apply per operation (connect, each read), so a server that trickles one
byte every few seconds could hold a caller for ever. Here the whole exchange (connect, send,
headers, up to 1 KB of the body for the delivery log) runs under one `asyncio.timeout`: at the
deadline it is cancelled and the connection closed. `post_many` runs deliveries concurrently,
so one dead endpoint never delays the others. Redirects are not followed (Standard Webhooks
treats 3xx as a failure: the subscriber should update the URL).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx

from conveyor.messaging.aio import run_sync
from conveyor.messaging.webhooks import EXCERPT_BYTES, DeliveryAttempt, OutboundRequest, excerpt


@dataclass(frozen=True, slots=True)
class PostResult:
    status_code: int | None
    latency_ms: int
    response_excerpt: str = ""
    error: str = ""
    retry_after_s: float | None = None  # from a Retry-After header given in seconds

    def attempt(self, subscription_id: str, message_id: str, number: int, started_at: datetime) -> DeliveryAttempt:
        """This result as a row of the delivery log."""
        return DeliveryAttempt(subscription_id, message_id, number, started_at, self.status_code, self.latency_ms,
                               self.response_excerpt, self.error)


def post(url: str, body: bytes, headers: dict[str, str], *, connect_timeout: float = 5.0,
         total_timeout: float = 15.0, client: httpx.AsyncClient | None = None) -> PostResult:
    """Synchronous form for the worker (see `apost`)."""
    return run_sync(lambda: apost(url, body, headers, connect_timeout=connect_timeout,
                                  total_timeout=total_timeout, client=client))


async def apost(url: str, body: bytes, headers: dict[str, str], *, connect_timeout: float = 5.0,
                total_timeout: float = 15.0, client: httpx.AsyncClient | None = None,
                clock: Callable[[], float] = time.monotonic) -> PostResult:
    """POST and report what happened; never raises for network trouble, which is data for the
    delivery log. `client` is injected in tests (httpx.MockTransport) or shared by a worker."""
    started = clock()
    own = client is None
    http = client or httpx.AsyncClient(follow_redirects=False)
    timeout = httpx.Timeout(total_timeout, connect=min(connect_timeout, total_timeout))
    try:
        async with asyncio.timeout(total_timeout):
            return await _exchange(http, url, body, headers, timeout, started, clock)
    except TimeoutError:
        return PostResult(None, _ms(started, clock), error=f"timeout: no complete answer within {total_timeout:g} s")
    except httpx.TimeoutException as exc:
        return PostResult(None, _ms(started, clock), error=f"timeout: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return PostResult(None, _ms(started, clock), error=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        if own:
            await http.aclose()


async def post_many(requests: Sequence[OutboundRequest], *, connect_timeout: float = 5.0,
                    total_timeout: float = 15.0, client: httpx.AsyncClient | None = None) -> list[PostResult]:
    """Deliver several requests at once; results in the order given."""
    return list(await asyncio.gather(*(
        apost(r.url, r.body, r.headers, connect_timeout=connect_timeout, total_timeout=total_timeout, client=client)
        for r in requests)))


async def _exchange(http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str],
                    timeout: httpx.Timeout, started: float, clock: Callable[[], float]) -> PostResult:
    request = http.build_request("POST", url, content=body, headers=headers, timeout=timeout)
    response = await http.send(request, stream=True, follow_redirects=False)
    try:
        head = bytearray()
        async for chunk in response.aiter_bytes():
            head += chunk
            if len(head) >= EXCERPT_BYTES:
                break  # the log keeps 1 KB; the rest is not worth waiting for
    finally:
        await response.aclose()
    return PostResult(response.status_code, _ms(started, clock), excerpt(bytes(head)),
                      retry_after_s=_retry_after(response.headers.get("retry-after")))


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the form receivers use for webhooks); an HTTP date is ignored."""
    return float(value.strip()) if value and value.strip().isdigit() else None


def _ms(started: float, clock: Callable[[], float]) -> int:
    return int(round((clock() - started) * 1000))
