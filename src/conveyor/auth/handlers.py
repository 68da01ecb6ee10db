"""API key use cases, one transaction each."""

from __future__ import annotations

from conveyor.auth import service
from conveyor.auth.model import ApiKey
from conveyor.bootstrap import Container
from conveyor.shared.handlers import run


def create_key(c: Container, role: str, name: str = "", channel: str | None = None,
               grants: list[str] | tuple[str, ...] = ()) -> tuple[ApiKey, str]:
    """A new key and its token (shown once; only a hash is stored). It works as soon as this returns."""
    return run(c.uow, lambda uow: service.create_key(uow, role, name, channel, grants))


def revoke_key(c: Container, key_id: str) -> ApiKey:
    return run(c.uow, lambda uow: service.revoke_key(uow, key_id))
