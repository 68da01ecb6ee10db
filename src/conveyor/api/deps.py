"""Request-scoped helpers: the container, the caller (principal) and its permissions.

They are `async def` on purpose: FastAPI runs a plain-function dependency in the thread pool, and
three thread hand-offs per request for three dictionary lookups cost more than the lookups."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from conveyor.auth.roles import allows
from conveyor.auth.service import Principal, authenticate
from conveyor.bootstrap import Container
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.idempotency import IdempotencyClaim, request_hash

MAX_IDEMPOTENCY_KEY = 255


async def container(request: Request) -> Container:
    return request.app.state.container


async def principal(request: Request) -> Principal:
    """The caller, as the Authenticate middleware found it (or authenticated here, off the loop)."""
    found = getattr(request.state, "principal", None)
    if found is not None:
        return found
    c: Container = request.app.state.container
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        token = ""
    return await run_in_threadpool(authenticate, c.reader, c.caches, token.strip())


def require(permission: str) -> Callable[..., Principal]:
    """A dependency: the caller must hold `permission`, else 403 (401 without a valid key)."""

    async def check(who: Principal = Depends(principal)) -> Principal:
        if not allows(who.role, permission, who.grants):
            raise DomainError(ErrorCode.FORBIDDEN, f"role {who.role!r} may not {permission.replace(':', ' ')}",
                              permission=permission)
        return who

    check.permission = permission  # type: ignore[attr-defined]  # read by api/contract.py (403 documented)
    return check


async def idempotency_claim(request: Request, who: Principal) -> IdempotencyClaim | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not key or len(key) > MAX_IDEMPOTENCY_KEY:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "Idempotency-Key must be 1-255 characters")
    body = await request.body()
    return IdempotencyClaim(who.key_id, key, request_hash(request.method, request.url.path, body))


def check_channel_scope(c: Container, who: Principal, channel_code: str) -> None:
    """A channel key acts only for its own channel: anything else is 403."""
    from conveyor.auth.roles import Role
    from conveyor.channels.service import channel_code_for

    if who.role != Role.CHANNEL:
        return
    with c.reader() as uow:
        own = channel_code_for(uow, who.channel_id)
    if channel_code != own:
        raise DomainError(ErrorCode.FORBIDDEN, "a channel key may only act for its own channel")
