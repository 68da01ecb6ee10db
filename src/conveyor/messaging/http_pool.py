"""A small keep-alive HTTP/1.1 client for webhook deliveries: asyncio streams + h11.

Why not httpx here: measured on this machine, httpx's AsyncClient spent 2.3-4.2 ms of CPU per
POST to a loopback receiver; this client spends about 0.12 ms (docs/benchmarks.md), which is
what lets four worker processes deliver over a thousand webhooks a second. It does only what
webhooks need: POST, connections reused per (scheme, host, port) and capped per host, a connect
timeout, a hard total deadline per request (the caller's `asyncio.timeout`: a connection that
timed out is closed, never reused), no redirects, and at most `MAX_BODY` bytes of a response
read (a longer answer is cut off and its connection closed). A pooled connection the server
closed meanwhile is retried once on a fresh one when nothing had been received (webhooks are
at-least-once anyway).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

from conveyor.messaging.webhook_http import PostResult
from conveyor.messaging.webhooks import excerpt

MAX_BODY = 64 * 1024  # read at most this much of an answer (the log keeps 1 KB)
PER_HOST = 16  # connections to one endpoint at once


@dataclass(slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes  # at most MAX_BODY bytes


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.used = False  # served a request before (so a failure may be a stale keep-alive)

    def close(self) -> None:
        self.writer.close()


class Pool:
    def __init__(self, per_host: int = PER_HOST) -> None:
        self.per_host = per_host
        self._idle: dict[tuple[str, str, int], list[_Connection]] = defaultdict(list)
        self._slots: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self._tls = ssl.create_default_context()

    async def post(self, url: str, body: bytes, headers: dict[str, str], connect_timeout: float) -> Answer:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rpartition("@")[2]
        slot = self._slots.setdefault(key, asyncio.Semaphore(self.per_host))
        async with slot:
            for _ in range(2):
                connection = await self._checkout(key, connect_timeout)
                try:
                    answer, reusable = await _exchange(connection, host, target, body, headers)
                except (ConnectionError, h11.RemoteProtocolError, asyncio.IncompleteReadError) as exc:
                    connection.close()
                    if connection.used and isinstance(exc, ConnectionError | asyncio.IncompleteReadError):
                        continue  # the server had closed this kept-alive connection: once more, fresh
                    raise
                except BaseException:
                    connection.close()  # timeout or cancellation mid-request: never reuse it
                    raise
                connection.used = True
                if reusable:
                    self._idle[key].append(connection)
                else:
                    connection.close()
                return answer
        raise ConnectionError("the server closed the connection twice")

    async def _checkout(self, key: tuple[str, str, int], connect_timeout: float) -> _Connection:
        idle = self._idle[key]
        while idle:
            connection = idle.pop()
            if not connection.reader.at_eof() and not connection.writer.is_closing():
                return connection
            connection.close()
        scheme, hostname, port = key
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            hostname, port, ssl=self._tls if scheme == "https" else None,
            server_hostname=hostname if scheme == "https" else None), connect_timeout)
        return _Connection(reader, writer)

    async def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


async def _exchange(connection: _Connection, host: str, target: str, body: bytes,
                    headers: dict[str, str]) -> tuple[Answer, bool]:
    protocol = h11.Connection(h11.CLIENT)
    fields = [("host", host), ("content-length", str(len(body)))]
    fields += [(name, value) for name, value in headers.items() if name.lower() not in ("host", "content-length")]
    connection.writer.write(protocol.send(h11.Request(method="POST", target=target, headers=fields))
                            + protocol.send(h11.Data(data=body)) + protocol.send(h11.EndOfMessage()))
    await connection.writer.drain()
    status, answer_headers, received = 0, {}, bytearray()
    while True:
        event = protocol.next_event()
        if event is h11.NEED_DATA:
            chunk = await connection.reader.read(65536)
            if not chunk and status == 0:
                raise ConnectionError("the server closed the connection without answering")
            protocol.receive_data(chunk)
        elif isinstance(event, h11.Response):
            status = event.status_code
            answer_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
        elif isinstance(event, h11.Data):
            received += event.data
            if len(received) > MAX_BODY:
                return Answer(status, answer_headers, bytes(received[:MAX_BODY])), False
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
    reusable = protocol.our_state is h11.DONE and protocol.their_state is h11.DONE
    return Answer(status, answer_headers, bytes(received)), reusable


async def post_result(pool: Pool, url: str, body: bytes, headers: dict[str, str], *, connect_timeout: float,
                      total_timeout: float, clock: Callable[[], float] = time.monotonic) -> PostResult:
    """One delivery attempt as a row of the delivery log; never raises for network trouble."""
    started = clock()

    def ms() -> int:
        return int(round((clock() - started) * 1000))

    try:
        async with asyncio.timeout(total_timeout):
            answer = await pool.post(url, body, headers, min(connect_timeout, total_timeout))
    except TimeoutError:
        return PostResult(None, ms(), error=f"timeout: no complete answer within {total_timeout:g} s")
    except (OSError, ValueError, h11.ProtocolError) as exc:
        return PostResult(None, ms(), error=f"{type(exc).__name__}: {exc}"[:500])
    retry_after = answer.headers.get("retry-after", "").strip()
    return PostResult(answer.status, ms(), excerpt(answer.body),
                      retry_after_s=float(retry_after) if retry_after.isdigit() else None)
