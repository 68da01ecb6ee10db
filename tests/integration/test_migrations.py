"""The migrations build exactly the schema the models describe (on each database)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import conveyor.models  # noqa: F401  (register every table)
from conveyor.shared.db import Base, normalise_url
from conveyor.shared.migrate import for_dialect


def test_models_and_migrations_agree(database_url):
    engine = create_engine(normalise_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False,
                                                         "include_object": for_dialect(conn.dialect.name)})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_indexes_for_one_database_exist_on_that_one_only(database_url):
    """Indexes the models declare for one database only (`ddl_if`, e.g. PostgreSQL's trigram
    indexes) are built there and nowhere else (migration 0020 dropped SQLite's B-tree copies).
    Alembic's comparison above does not notice an extra one, so this checks by name."""
    engine = create_engine(normalise_url(database_url))
    dialect = engine.dialect.name
    with engine.connect() as conn:
        inspector = inspect(conn)
        for table in Base.metadata.sorted_tables:
            only = [ix for ix in table.indexes if getattr(ix, "_ddl_if", None) is not None]
            if not only:
                continue
            present = {ix["name"] for ix in inspector.get_indexes(table.name)}
            for ix in only:
                assert (ix.name in present) == (ix._ddl_if.dialect == dialect), (table.name, ix.name, dialect)
    engine.dispose()
