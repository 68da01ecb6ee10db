"""Refuse oversized request bodies (413, problem+json) before the application parses them.

The body is read here, up to the limit, and handed on to the application from memory. Counting
while the application reads would not work: FastAPI's body parser turns any error raised from
`receive` into a 400, and a chunked or understated body has no trustworthy Content-Length."""

from __future__ import annotations

import json

from conveyor.shared.errors import ErrorCode


class BodySizeLimit:
    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(send)
        body = await self._read(receive)
        if body is None:
            return await self._refuse(send)
        return await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive) -> bytes | None:
        """The whole body, or None once it passes the limit (the rest is not read)."""
        parts, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(parts)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)

    async def _refuse(self, send) -> None:
        body = json.dumps({"type": f"https://conveyor.dev/problems/{ErrorCode.PAYLOAD_TOO_LARGE}",
                           "title": "payload too large", "status": 413, "code": ErrorCode.PAYLOAD_TOO_LARGE,
                           "detail": f"request bodies are limited to {self.max_bytes} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
