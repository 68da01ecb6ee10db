"""A fresh PostgreSQL database for a benchmark: `<database>_<suffix>` on the server that
CONVEYOR_TEST_POSTGRES_URL names (the local test server by default), dropped first if a previous
run left it. Returns its URL; the benchmark migrates it."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, make_url, text

from conveyor.shared.db import normalise_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def fresh_postgres(suffix: str, base: str | None = None) -> str:
    url = make_url(normalise_url(base or os.environ.get("CONVEYOR_TEST_POSTGRES_URL", DEFAULT_PG)))
    name = f"{url.database}_{suffix}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)
