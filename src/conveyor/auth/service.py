"""API keys: `cvk_<key id>_<secret>`. Only a sha256 of the secret is stored; the secret is 256
random bits, so a slow password hash would add latency and no safety. Verified keys are cached
for a few seconds per process (revocation takes effect within that time)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from conveyor.auth.model import ApiKey
from conveyor.auth.roles import Role
from conveyor.channels.service import get_channel
from conveyor.shared import ids
from conveyor.shared.clock import utcnow
from conveyor.shared.db import UnitOfWork
from conveyor.shared.errors import DomainError, ErrorCode, NotFound, ValidationFailed


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: str
    channel_id: str | None
    name: str

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(uow: UnitOfWork, role: str, name: str = "", channel: str | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its plaintext token (shown once, never stored)."""
    if role not in set(Role):
        raise ValidationFailed(f"unknown role {role!r}; one of {', '.join(Role)}")
    channel_id = None
    if role == Role.CHANNEL:
        if not channel:
            raise ValidationFailed("a channel key needs the channel it acts for")
        channel_id = get_channel(uow, channel).id
    elif channel:
        raise ValidationFailed("only channel keys are bound to a channel")
    key_id = ids.new_id("api_key")
    secret = secrets.token_urlsafe(32)
    key = ApiKey(id=key_id, name=name, secret_hash=_hash(secret), role=role, channel_id=channel_id)
    uow.session.add(key)
    uow.commit()
    return key, f"cvk_{key_id}_{secret}"


def revoke_key(uow: UnitOfWork, key_id: str) -> ApiKey:
    key = uow.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("api key", key_id)
    key.revoked_at = utcnow()
    uow.commit()
    _cache.clear()
    return key


def list_keys(uow: UnitOfWork) -> list[ApiKey]:
    return list(uow.session.scalars(select(ApiKey).order_by(ApiKey.id)))


_cache: dict[str, tuple[float, Principal]] = {}
_cache_lock = threading.Lock()


def _unauthorized(detail: str = "missing or invalid API key") -> DomainError:
    return DomainError(ErrorCode.UNAUTHORIZED, detail)


def cached_principal(token: str, cache_seconds: float) -> Principal | None:
    """The principal for a token verified less than `cache_seconds` ago, without the database."""
    hit = _cache.get(token)
    if hit and time.monotonic() - hit[0] < cache_seconds:
        return hit[1]
    return None


def authenticate(uow_factory, token: str | None, cache_seconds: float = 5.0) -> Principal:
    """The principal for a bearer token, or 401. `uow_factory()` opens a read transaction."""
    if not token or not token.startswith("cvk_"):
        raise _unauthorized()
    now = time.monotonic()
    if hit := cached_principal(token, cache_seconds):
        return hit
    try:
        _, key_prefix, key_body, secret = token.split("_", 3)
    except ValueError:
        raise _unauthorized() from None
    with uow_factory() as uow:
        key = uow.session.get(ApiKey, f"{key_prefix}_{key_body}")
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        raise _unauthorized()
    principal = Principal(key.id, key.role, key.channel_id, key.name)
    with _cache_lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[token] = (now, principal)
    return principal
