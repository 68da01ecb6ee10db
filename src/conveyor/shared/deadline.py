"""A total deadline for synchronous outbound HTTP (httpx), on top of its connect timeout.

httpx's timeouts apply to each socket operation: a receiver that sends one byte a second never
trips a 10 s read timeout and can hold a caller for as long as it likes, and a client that retries
adds its waits on top. Inside `with total_deadline(15):` every connect, TLS handshake, read and
write made through a `DeadlineTransport` gets at most the time left, and fails with httpx's own
timeout error once it is gone; `remaining()` lets retry loops stop waiting when there is no time
left. Outside such a block the transport behaves like httpx's default one.

The deadline lives in a thread-local, so it covers exactly the calls the worker thread makes for
one delivery (adapters that make several calls, with retries, included).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import httpcore
import httpx

_local = threading.local()


@contextmanager
def total_deadline(seconds: float) -> Iterator[None]:
    """Everything the current thread does over a `DeadlineTransport` in the block ends within
    `seconds` (an enclosing, earlier deadline still wins)."""
    outer: float | None = getattr(_local, "at", None)
    at = time.monotonic() + seconds
    _local.at = at if outer is None else min(outer, at)
    try:
        yield
    finally:
        _local.at = outer


def remaining() -> float | None:
    """Seconds left before the current deadline (may be negative), or None outside any."""
    at: float | None = getattr(_local, "at", None)
    return None if at is None else at - time.monotonic()


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error("the total deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address,
                                               socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout),
                                                       socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's HTTP/1.1 transport over `DeadlineBackend`. httpx takes no network backend, so its
    connection pool is replaced by an equivalent one that has it (tests/unit/shared/test_deadline.py
    proves a slow-drip server is cut off, should an httpx upgrade change this)."""

    def __init__(self) -> None:
        context = _tls_context()
        super().__init__(verify=context)
        self._pool = httpcore.ConnectionPool(ssl_context=context, http1=True, http2=False,
                                             network_backend=DeadlineBackend())


def warm_up() -> None:
    """Load the TLS context now (the worker does at start), not inside the first deadline."""
    _tls_context()


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs about 0.3 s of CPU: once per process, not once per delivery
    # (it would eat a short deadline before the first byte). Contexts are safe to share.
    return httpx.create_ssl_context()


def client(connect_timeout: float, total_timeout: float, **kwargs: Any) -> httpx.Client:
    """An httpx client for one outbound delivery: connect timeout, per-operation timeouts no longer
    than the total, and the total deadline enforced when called inside `total_deadline`."""
    timeout = httpx.Timeout(total_timeout, connect=min(connect_timeout, total_timeout))
    return httpx.Client(transport=DeadlineTransport(), timeout=timeout, **kwargs)
