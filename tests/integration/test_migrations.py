"""The migrations build exactly the schema the models describe (on each database)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import conveyor.models  # noqa: F401  (register every table)
from conveyor.shared.db import Base, normalise_url


def test_models_and_migrations_agree(database_url):
    engine = create_engine(normalise_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []
