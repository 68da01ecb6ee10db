"""Dashboard users and their login sessions (docs/decisions.md 30).

Passwords are hashed with argon2 (pwdlib's recommended parameters); a login compares against a
dummy hash when the user is unknown, so the answer takes as long either way and does not tell
which usernames exist. A session is a 256-bit random token in an HttpOnly cookie; the table keeps
only its sha256, with an absolute expiry. Deactivating a user or changing the role takes effect on
the next request (every request reads the user with the session)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import delete, func, select

from conveyor.auth.model import User, WebSession
from conveyor.auth.roles import Role
from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.errors import Conflict, DomainError, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork

# A user acts for the whole business: a channel-bound role is for API keys only.
USER_ROLES = (Role.ADMIN, Role.OPS, Role.SUPPORT, Role.READONLY)
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")
MIN_PASSWORD = 10


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class UserView:
    id: str
    username: str
    name: str
    role: str
    active: bool


def _view(user: User) -> UserView:
    return UserView(user.id, user.username, user.name, user.role, user.active)


def _check(username: str, password: str, role: str) -> None:
    if not USERNAME.match(username):
        raise ValidationFailed("username: 2-100 letters, digits, '.', '_', '@' or '-'", username=username)
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"the password needs at least {MIN_PASSWORD} characters")
    if role not in USER_ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(USER_ROLES)}", role=role)


def create_user(uow: UnitOfWork, username: str, password: str, role: str, name: str = "") -> UserView:
    username = username.strip().lower()
    _check(username, password, role)
    if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists already", username=username)
    user = User(id=ids.new_id("user"), username=username, name=name or username,
                password_hash=_hasher().hash(password), role=role, active=True)
    uow.session.add(user)
    uow.session.flush()
    return _view(user)


def list_users(uow: UnitOfWork) -> list[UserView]:
    return [_view(u) for u in uow.session.scalars(select(User).order_by(User.username))]


def _get_for_update(uow: UnitOfWork, user_id: str) -> User:
    query = select(User).where(User.id == user_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    user = uow.session.scalar(query)
    if user is None:
        raise NotFound("user", user_id)
    return user


def update_user(uow: UnitOfWork, user_id: str, *, role: str | None = None, active: bool | None = None,
                password: str | None = None) -> UserView:
    """Change a user's role, active flag or password. The last active admin can't lose admin rights
    (nobody could manage users then). A deactivated user or a new password ends every session."""
    user = _get_for_update(uow, user_id)
    if role is not None and role not in USER_ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(USER_ROLES)}", role=role)
    loses_admin = user.role == Role.ADMIN and user.active and (active is False or role not in (None, Role.ADMIN))
    if loses_admin and _active_admins(uow) <= 1:
        raise DomainError(ErrorCode.CONFLICT, "this is the last active admin; make another admin first")
    if password is not None:
        _check(user.username, password, role or user.role)
        user.password_hash = _hasher().hash(password)
    user.role = role or user.role
    user.active = user.active if active is None else active
    if password is not None or active is False:
        uow.session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    uow.session.flush()
    return _view(user)


def _active_admins(uow: UnitOfWork) -> int:
    query = select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
    if uow.dialect == "postgresql":
        query = query.with_for_update()  # two demotions at once can't both pass the check
    return len(uow.session.scalars(query).all())


def count_users(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(User)) or 0)


# --- sessions ------------------------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(uow: UnitOfWork, username: str, password: str, lifetime: timedelta) -> tuple[UserView, str]:
    """A new session token for a right username and password of an active user; else 401 (the same
    answer, and about the same time, for an unknown user, a wrong password or an inactive user)."""
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    hasher = _hasher()
    valid, new_hash = hasher.verify_and_update(password, user.password_hash if user else _dummy_hash())
    if user is None or not valid or not user.active:
        raise DomainError(ErrorCode.UNAUTHORIZED, "wrong username or password")
    if new_hash:  # the hash parameters were raised since: store the stronger hash
        user.password_hash = new_hash
    now = utcnow()
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    # Expired sessions of this user go as a new one starts, so the table does not grow forever.
    uow.session.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at < now))
    uow.session.add(WebSession(id=_digest(token), user_id=user.id, created_at=now, expires_at=now + lifetime))
    uow.session.flush()
    return _view(user), token


def session_user(uow: UnitOfWork, token: str) -> UserView | None:
    """The active user of an unexpired session, or None."""
    if not token or len(token) > 100:
        return None
    row = uow.session.execute(select(User, WebSession.expires_at).join(WebSession, WebSession.user_id == User.id)
                              .where(WebSession.id == _digest(token))).first()
    if row is None or as_utc(row[1]) <= utcnow() or not row[0].active:
        return None
    return _view(row[0])


def log_out(uow: UnitOfWork, token: str) -> None:
    uow.session.execute(delete(WebSession).where(WebSession.id == _digest(token)))


def csrf_token(secret_key: str, session_token: str) -> str:
    """The form token of a session: an HMAC of the session's token, so it needs no storage, differs
    per session and can't be made without the server's secret key."""
    return hmac.new(secret_key.encode(), f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: str, session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret_key, session_token), presented or "")
