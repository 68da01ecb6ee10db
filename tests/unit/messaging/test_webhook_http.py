"""The webhook POST: status, latency and excerpt for the log; a hard deadline; no waiting on others."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from conveyor.messaging.webhook_http import post, post_many
from conveyor.messaging.webhooks import OutboundRequest

URL = "https://hooks.example.com/conveyor"


def _client(handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=False)


def test_a_successful_delivery_is_logged_with_status_and_excerpt():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(body=request.content, signature=request.headers["webhook-signature"])
        return httpx.Response(202, text='{"received": true}')

    result = post(URL, b'{"type":"order.shipped"}', {"webhook-signature": "v1,abc"}, client=_client(handler))
    assert (result.status_code, result.response_excerpt, result.error) == (202, '{"received": true}', "")
    assert seen == {"body": b'{"type":"order.shipped"}', "signature": "v1,abc"}
    assert result.latency_ms >= 0


def test_a_large_error_body_is_cut_to_1kb_and_retry_after_is_read():
    big = "x" * 5000
    result = post(URL, b"{}", {}, client=_client(lambda r: httpx.Response(503, text=big,
                                                                          headers={"Retry-After": "120"})))
    assert result.status_code == 503 and len(result.response_excerpt) == 1024 and result.retry_after_s == 120


def test_redirects_are_not_followed():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(302, headers={"Location": "https://elsewhere.example.com/"})

    assert post(URL, b"{}", {}, client=_client(handler)).status_code == 302
    assert calls == [URL]


def test_network_errors_become_log_entries():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    result = post(URL, b"{}", {}, client=_client(handler))
    assert result.status_code is None and "ConnectError" in result.error


class Trickle(httpx.AsyncByteStream):
    """A server that answers 200 and then sends one byte every 50 ms (for 20 s if let)."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self):
        for _ in range(400):
            self.sent += 1
            yield b"."
            await asyncio.sleep(0.05)


def test_a_trickling_server_cannot_hold_the_caller_past_the_deadline():
    trickle = Trickle()
    result = post(URL, b"{}", {}, total_timeout=0.3, client=_client(lambda r: httpx.Response(200, stream=trickle)))
    assert result.status_code is None and result.error.startswith("timeout")
    assert trickle.sent < 400  # cut off long before the server was done


def test_a_server_that_never_answers_hits_the_deadline():
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    result = post(URL, b"{}", {}, total_timeout=0.2, client=_client(handler))
    assert result.status_code is None and result.error == "timeout: no complete answer within 0.2 s"


def test_one_dead_endpoint_does_not_delay_the_others():
    events: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "dead.example.com":
            events.append("dead: waiting")
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                events.append("dead: cut off")
                raise
        events.append(f"{request.url.host}: answered")
        return httpx.Response(204)

    requests = [OutboundRequest(f"https://{host}/hook", b"{}", {}) for host in
                ("dead.example.com", "a.example.com", "b.example.com")]
    results = asyncio.run(post_many(requests, total_timeout=0.5, client=_client(handler)))
    assert [r.status_code for r in results] == [None, 204, 204]
    # The live endpoints were served while the dead one was still hanging, not after it.
    assert events == ["dead: waiting", "a.example.com: answered", "b.example.com: answered", "dead: cut off"]


@pytest.mark.parametrize("status", [200, 204, 299])
def test_any_2xx_counts_as_delivered(status):
    result = post(URL, b"{}", {}, client=_client(lambda r: httpx.Response(status)))
    assert result.attempt("whs_1", "msg_1", 1, datetime.now(UTC)).succeeded
