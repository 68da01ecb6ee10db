"""Calling asyncio clients (aiosmtplib, nats-py, aio-pika, httpx.AsyncClient) from the
synchronous worker."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run the coroutine `make()` to completion and return its result.

    Without a running event loop (the worker's normal case) it gets a fresh one. Inside a
    running loop (a FastAPI handler, a test on pytest-asyncio) blocking that loop would
    deadlock, so the coroutine then runs on its own loop in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(make))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _await(make)).result()


async def _await(make: Callable[[], Awaitable[T]]) -> T:
    return await make()
