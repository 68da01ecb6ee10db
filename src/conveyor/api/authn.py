"""Authenticate every /api/v1 request before anything else runs (body parsing included), so an
unauthenticated caller learns nothing from validation errors: deny by default, 401 first.

Paths that prove themselves another way (platform-signed webhooks) or are public (health) are
listed in PUBLIC_PATHS."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool

from conveyor.api.errors import problem
from conveyor.auth.service import authenticate, cached_principal
from conveyor.shared.errors import DomainError, ErrorCode

PUBLIC_PATHS = [
    re.compile(r"^/api/v1/health$"),
    re.compile(r"^/api/v1/channels/[^/]+/inbound$"),  # verified by the platform's signature
    re.compile(r"^/api/v1/tracking/webhooks/easypost$"),  # verified by EasyPost's X-Hmac-Signature
    re.compile(r"^/api/v1/return-links/[^/]+(/returns)?$"),  # a customer's signed return link is the proof
]


def is_public(path: str) -> bool:
    return not path.startswith("/api/v1/") or any(p.match(path) for p in PUBLIC_PATHS)


def bearer_token(headers: dict[bytes, bytes]) -> str:
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class Authenticate:
    def __init__(self, app, container) -> None:
        self.app = app
        self.container = container

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or is_public(scope["path"]):
            return await self.app(scope, receive, send)
        token = bearer_token(dict(scope.get("headers") or []))
        c = self.container
        who = cached_principal(c.caches, token)
        if who is None:
            try:
                who = await run_in_threadpool(authenticate, c.reader, c.caches, token)
            except DomainError as exc:
                response = problem(401, ErrorCode.UNAUTHORIZED, exc.detail)
                return await response(scope, receive, send)
        scope.setdefault("state", {})["principal"] = who
        return await self.app(scope, receive, send)
