"""Run Alembic migrations programmatically (`conveyor db upgrade`, `make run`, tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def for_dialect(dialect: str) -> Callable[..., bool]:
    """Alembic's `include_object` for comparing the models with a database of `dialect`: an index
    the model declares for another database only (`Index(...).ddl_if(dialect=...)`, which Alembic
    does not read) is not expected there."""
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        only = getattr(obj, "_ddl_if", None) if type_ == "index" and not reflected else None
        return only is None or only.dialect is None or only.dialect == dialect
    return include


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def make_revision(url: str, message: str) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True)


def head_revision() -> str | None:
    """The newest migration this code knows (what `conveyor db upgrade` brings a database to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
