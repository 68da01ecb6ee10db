"""A body sent as something other than what the operation reads is 415, not a confusing 422.

FastAPI reads a JSON body only when the Content-Type says JSON; anything else (a form, text, no
JSON at all) reaches validation as raw bytes and comes back as "input should be an object". The
caller's mistake is the media type, so say that. Only requests that name a non-JSON type pay for
the look-up (in the OpenAPI document's request bodies); operations that read CSV
(`Body(media_type="text/csv")`) are left alone.
"""

from __future__ import annotations

import re
from typing import Any

from conveyor.api.errors import problem
from conveyor.shared.errors import ErrorCode

WITH_BODY = (b"POST", b"PUT", b"PATCH")


def is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


class JsonBodies:
    def __init__(self, app: Any, api: Any) -> None:
        self.app = app
        self.api = api  # the FastAPI application, for its OpenAPI document
        self._json_operations: list[tuple[str, re.Pattern[str]]] | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"].encode() in WITH_BODY:
            sent = dict(scope.get("headers") or []).get(b"content-type")
            if sent is not None and not is_json(sent.decode("latin-1")) and self._reads_json(scope):
                response = problem(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                                   "send the body as JSON with Content-Type: application/json")
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)

    def _reads_json(self, scope: dict) -> bool:
        if self._json_operations is None:
            self._json_operations = [
                (method.upper(), re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"))
                for path, operations in self.api.openapi()["paths"].items()
                for method, operation in operations.items()
                if any(is_json(kind) for kind in operation.get("requestBody", {}).get("content", {}))]
        return any(method == scope["method"] and pattern.match(scope["path"])
                   for method, pattern in self._json_operations)
