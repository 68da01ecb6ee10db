"""API key and dashboard user use cases, one transaction each."""

from __future__ import annotations

from datetime import timedelta

from conveyor.auth import service, users
from conveyor.auth.model import ApiKey
from conveyor.bootstrap import Container
from conveyor.shared.handlers import run


def create_key(c: Container, role: str, name: str = "", channel: str | None = None,
               grants: list[str] | tuple[str, ...] = ()) -> tuple[ApiKey, str]:
    """A new key and its token (shown once; only a hash is stored). It works as soon as this returns."""
    return run(c.uow, lambda uow: service.create_key(uow, role, name, channel, grants))


def revoke_key(c: Container, key_id: str) -> ApiKey:
    return run(c.uow, lambda uow: service.revoke_key(uow, key_id))


# --- dashboard users and sessions (auth/users.py) -------------------------------------------------------

def create_user(c: Container, username: str, password: str, role: str, name: str = "") -> users.UserView:
    return run(c.uow, lambda uow: users.create_user(uow, username, password, role, name))


def update_user(c: Container, user_id: str, *, role: str | None = None, active: bool | None = None,
                password: str | None = None) -> users.UserView:
    return run(c.uow, lambda uow: users.update_user(uow, user_id, role=role, active=active, password=password))


def log_in(c: Container, username: str, password: str) -> tuple[users.UserView, str]:
    lifetime = timedelta(hours=c.settings.web_session_hours)
    return run(c.uow, lambda uow: users.log_in(uow, username, password, lifetime))


def log_out(c: Container, token: str) -> None:
    run(c.uow, lambda uow: users.log_out(uow, token))
