"""API keys: `cvk_<key id>_<secret>`. Only a sha256 of the secret is stored; the secret is 256
random bits, so a slow password hash would add latency and no safety. Verified keys are cached
per process (`api_keys` in the container's caches) for CONVEYOR_API_KEY_CACHE_SECONDS: a revocation
is seen at once by the process that made it and by the others within that time. Unknown tokens
are never cached, so a new key works the moment it is created."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from sqlalchemy import select

from conveyor.auth.model import ApiKey
from conveyor.auth.roles import GRANTABLE, Role, allows
from conveyor.channels.service import get_channel
from conveyor.shared import ids
from conveyor.shared.cache import Caches
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: str
    channel_id: str | None
    name: str
    grants: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"

    def may(self, permission: str) -> bool:
        return allows(self.role, permission, self.grants)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(uow: UnitOfWork, role: str, name: str = "", channel: str | None = None,
               grants: list[str] | tuple[str, ...] = ()) -> tuple[ApiKey, str]:
    """Create a key and return it with its plaintext token (shown once, never stored)."""
    if role not in set(Role):
        raise ValidationFailed(f"unknown role {role!r}; one of {', '.join(Role)}")
    if unknown := sorted(set(grants) - GRANTABLE):
        raise ValidationFailed(f"cannot grant {', '.join(unknown)}; grantable: {', '.join(sorted(GRANTABLE))}")
    channel_id = None
    if role == Role.CHANNEL:
        if not channel:
            raise ValidationFailed("a channel key needs the channel it acts for")
        channel_id = get_channel(uow, channel).id
    elif channel:
        raise ValidationFailed("only channel keys are bound to a channel")
    key_id = ids.new_id("api_key")
    secret = secrets.token_urlsafe(32)
    key = ApiKey(id=key_id, name=name, secret_hash=_hash(secret), role=role, channel_id=channel_id,
                 grants=sorted(set(grants)))
    uow.session.add(key)
    uow.session.flush()
    return key, f"cvk_{key_id}_{secret}"


def revoke_key(uow: UnitOfWork, key_id: str) -> ApiKey:
    """Revoke a key. The last active admin key can't be revoked: nobody could manage keys then."""
    query = select(ApiKey).where(ApiKey.id == key_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    key = uow.session.scalar(query)
    if key is None:
        raise NotFound("api key", key_id)
    if key.revoked_at is None and key.role == Role.ADMIN and _active_admins(uow) <= 1:
        raise DomainError(ErrorCode.CONFLICT, "this is the last active admin key; create another admin key "
                          "before revoking it", key_id=key_id)
    key.revoked_at = utcnow()
    uow.session.flush()
    uow.after_commit(uow.caches.named(KEY_CACHE).invalidate)
    return key


def _active_admins(uow: UnitOfWork) -> int:
    query = select(ApiKey.id).where(ApiKey.role == Role.ADMIN, ApiKey.revoked_at.is_(None))
    if uow.dialect == "postgresql":
        query = query.with_for_update()  # two revocations at once can't both pass the check
    return len(uow.session.scalars(query).all())


def list_keys(uow: UnitOfWork) -> list[ApiKey]:
    return list(uow.session.scalars(select(ApiKey).order_by(ApiKey.id)))


KEY_CACHE = "api_keys"


def _unauthorized(detail: str = "missing or invalid API key") -> DomainError:
    return DomainError(ErrorCode.UNAUTHORIZED, detail)


def cached_principal(caches: Caches, token: str) -> Principal | None:
    """The principal for a token verified a moment ago, without the database."""
    found: Principal | None = caches.named(KEY_CACHE).peek(token)
    return found


def authenticate(reader: Callable[[], AbstractContextManager[UnitOfWork]], caches: Caches,
                 token: str | None) -> Principal:
    """The principal for a bearer token, or 401. `reader()` opens a read-only unit of work."""
    if not token or not token.startswith("cvk_"):
        raise _unauthorized()
    if hit := cached_principal(caches, token):
        return hit
    try:
        _, key_prefix, key_body, secret = token.split("_", 3)
    except ValueError:
        raise _unauthorized() from None
    with reader() as uow:
        key = uow.session.get(ApiKey, f"{key_prefix}_{key_body}")
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        raise _unauthorized()
    principal = Principal(key.id, key.role, key.channel_id, key.name, frozenset(key.grants or ()))
    caches.named(KEY_CACHE).put(token, principal)
    return principal
