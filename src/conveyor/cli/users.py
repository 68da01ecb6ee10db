"""CLI for dashboard users: `conveyor users create|list|set`."""

from __future__ import annotations

import os

import typer
from rich.console import Console
from rich.table import Table

from conveyor.cli.common import container, fail
from conveyor.shared.errors import DomainError

users_app = typer.Typer(help="Dashboard users (log in at http://HOST:PORT/)", no_args_is_help=True)
console = Console()
PASSWORD_ENV = "CONVEYOR_NEW_USER_PASSWORD"


def _password() -> str:
    """From CONVEYOR_NEW_USER_PASSWORD (scripts), else asked twice without echo."""
    return os.environ.get(PASSWORD_ENV) or typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("create")
def create(username: str = typer.Option(..., help="the login name"),
           role: str = typer.Option(..., help="admin, ops, support or readonly"),
           name: str = typer.Option("", help="the name shown in the dashboard")) -> None:
    """Create a dashboard user (the password is read from CONVEYOR_NEW_USER_PASSWORD or asked)."""
    from conveyor.auth.handlers import create_user

    try:
        user = create_user(container(), username, _password(), role, name)
    except DomainError as exc:
        fail(exc)
    console.print(f"user {user.username} ({user.role}) created: {user.id}")


@users_app.command("list")
def list_() -> None:
    from conveyor.auth.users import list_users

    with container().reader() as uow:
        found = list_users(uow)
    table = Table("id", "username", "name", "role", "active")
    for u in found:
        table.add_row(u.id, u.username, u.name, u.role, "yes" if u.active else "no")
    console.print(table)


@users_app.command("set")
def set_(username: str, role: str = typer.Option(None, help="a new role"),
         active: bool = typer.Option(None, "--active/--inactive", help="allow or stop logging in"),
         password: bool = typer.Option(False, "--password", help="set a new password (read like create's)")) -> None:
    """Change a user's role, active flag or password (deactivating or a new password ends their sessions)."""
    from conveyor.auth.handlers import update_user
    from conveyor.auth.users import list_users

    c = container()
    with c.reader() as uow:
        match = [u for u in list_users(uow) if u.username == username.strip().lower()]
    if not match:
        fail(f"no user {username!r}")
    try:
        user = update_user(c, match[0].id, role=role, active=active, password=_password() if password else None)
    except DomainError as exc:
        fail(exc)
    console.print(f"user {user.username}: role {user.role}, {'active' if user.active else 'inactive'}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
