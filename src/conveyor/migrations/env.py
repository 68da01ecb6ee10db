"""Alembic environment: the URL comes from the caller (conveyor db upgrade) or settings."""

from __future__ import annotations

from alembic import context

from conveyor.config import get_settings
from conveyor.models import metadata
from conveyor.shared.db import EngineOptions, make_engine, normalise_url
from conveyor.shared.migrate import for_dialect

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(normalise_url(url), EngineOptions(pool_size=1, statement_timeout_ms=3_600_000))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                          include_object=for_dialect(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
