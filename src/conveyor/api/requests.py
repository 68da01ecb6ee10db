"""Every request gets an id (the caller's sane `X-Request-Id`, or a new one) before anything else
runs: it is bound to every log line, stored on the timeline events and outbox messages the request
writes, and returned in the `X-Request-Id` response header.

Here too, before any route runs: text with a NUL character is refused (422) in the path and the
query string — PostgreSQL can't store NUL in text, and a filter containing one must never reach
the database (bodies are checked by the request models, see api/schemas.py)."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool

from conveyor.api.errors import answer_failure, problem
from conveyor.shared.context import start_request
from conveyor.shared.errors import ErrorCode

NUL_MARKERS = (b"%00", b"\x00")


class RequestContext:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1") or None
        rid = start_request(given)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=rid, method=scope["method"], path=scope["path"])

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        if _has_nul(scope):
            response = problem(422, ErrorCode.VALIDATION_ERROR, "text may not contain NUL characters",
                               errors=[{"loc": ["query"], "msg": "NUL character", "type": "nul_character"}])
            return await response(scope, receive, send_with_id)
        return await self.app(scope, receive, send_with_id)


def _has_nul(scope: dict) -> bool:
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string") or b""
    return any(m in query.lower() or m in raw_path.lower() for m in NUL_MARKERS) or "\x00" in scope["path"]


class ErrorBoundary:
    """Catches whatever the application raised and did not answer: one log entry, one problem+json
    answer in milliseconds (logged off the event loop), nothing re-raised to the server (which would
    log it again, unredacted)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - this is the boundary
            response = await run_in_threadpool(answer_failure, exc)
            if not started:
                await response(scope, receive, send)
