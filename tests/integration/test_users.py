"""Dashboard users and sessions (auth/users.py) on each database: passwords, sessions, last admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from conveyor.auth import handlers, users
from conveyor.auth.users import csrf_token, csrf_valid, session_user
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.handlers import run

PASSWORD = "a long enough password"


def _session(container, token):
    with container.reader() as uow:
        return session_user(uow, token)


def test_a_right_password_opens_a_session_and_a_wrong_one_or_an_unknown_user_does_not(container):
    created = handlers.create_user(container, "Ada", PASSWORD, "support", "Ada L.")
    assert (created.username, created.role, created.active) == ("ada", "support", True)
    user, token = handlers.log_in(container, "ADA", PASSWORD)
    assert _session(container, token) == user
    for name, password in (("ada", PASSWORD + "!"), ("bob", PASSWORD)):
        with pytest.raises(DomainError) as refused:
            handlers.log_in(container, name, password)
        assert refused.value.code == ErrorCode.UNAUTHORIZED and refused.value.detail == "wrong username or password"
    handlers.log_out(container, token)
    assert _session(container, token) is None


def test_a_session_ends_when_it_expires_or_the_user_is_deactivated_or_given_a_new_password(container):
    user = handlers.create_user(container, "ops1", PASSWORD, "ops")
    handlers.create_user(container, "boss", PASSWORD, "admin")
    _, expired = run(container.uow, lambda uow: users.log_in(uow, "ops1", PASSWORD, timedelta(0)))  # ends at once
    assert _session(container, expired) is None
    _, token = handlers.log_in(container, "ops1", PASSWORD)
    handlers.update_user(container, user.id, password=PASSWORD + " two")
    assert _session(container, token) is None
    _, token = handlers.log_in(container, "ops1", PASSWORD + " two")
    handlers.update_user(container, user.id, active=False)
    assert _session(container, token) is None
    with pytest.raises(DomainError):
        handlers.log_in(container, "ops1", PASSWORD + " two")


def test_rules_for_new_users_and_the_last_admin(container):
    for username, password, role in (("x", PASSWORD, "ops"), ("okname", "short", "ops"),
                                     ("okname", PASSWORD, "channel"), ("bad name", PASSWORD, "ops")):
        with pytest.raises(DomainError) as refused:
            handlers.create_user(container, username, password, role)
        assert refused.value.code == ErrorCode.VALIDATION_ERROR
    admin = handlers.create_user(container, "root", PASSWORD, "admin")
    with pytest.raises(DomainError) as duplicate:
        handlers.create_user(container, "ROOT", PASSWORD, "ops")
    assert duplicate.value.code == ErrorCode.CONFLICT
    with pytest.raises(DomainError) as last:
        handlers.update_user(container, admin.id, role="ops")
    assert last.value.code == ErrorCode.CONFLICT
    handlers.create_user(container, "root2", PASSWORD, "admin")
    assert handlers.update_user(container, admin.id, role="ops").role == "ops"


def test_the_csrf_token_belongs_to_one_session_and_one_secret():
    token = csrf_token("secret-key-0123456789", "session-a")
    assert csrf_valid("secret-key-0123456789", "session-a", token)
    assert not csrf_valid("secret-key-0123456789", "session-b", token)
    assert not csrf_valid("another-secret-key-xx", "session-a", token)
    assert not csrf_valid("secret-key-0123456789", "session-a", None)


def test_cli_creates_lists_and_changes_users(container, monkeypatch):
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", container.settings.database_url)
    monkeypatch.setenv("CONVEYOR_NEW_USER_PASSWORD", PASSWORD)
    from conveyor.cli.main import app
    from conveyor.config import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        made = runner.invoke(app, ["users", "create", "--username", "pat", "--role", "ops", "--name", "Pat"])
        assert made.exit_code == 0, made.output
        assert "user pat (ops) created" in made.output
        changed = runner.invoke(app, ["users", "set", "pat", "--role", "support", "--inactive"])
        assert changed.exit_code == 0 and "role support, inactive" in changed.output
        listed = runner.invoke(app, ["users", "list"])
        assert "pat" in listed.output and "support" in listed.output
        refused = runner.invoke(app, ["users", "create", "--username", "pat", "--role", "ops"])
        assert refused.exit_code == 1 and "exists already" in refused.output
    finally:
        get_settings.cache_clear()
    with pytest.raises(DomainError):  # inactive now
        handlers.log_in(container, "pat", PASSWORD)
