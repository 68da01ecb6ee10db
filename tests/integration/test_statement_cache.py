"""psycopg remembers how it parsed our hot path's long multi-row INSERTs (shared/db.py
`cache_statement_parsing`): placing orders of one shape parses each statement text once, not once
per order. Fails if a psycopg upgrade moves the settings it relies on."""

from __future__ import annotations

import pytest
from psycopg import _queries

from conveyor.orders.handlers import place_order
from tests.helpers import order_cmd, seed_world


def test_the_hot_paths_statements_are_parsed_once_per_shape(container, monkeypatch):
    if container.settings.database_url.startswith("sqlite"):
        pytest.skip("psycopg is the PostgreSQL driver")
    seed_world(container, {"SKU-A": 100, "SKU-B": 100})
    place = lambda: place_order(container, order_cmd({"SKU-A": 1, "SKU-B": 2}), actor="test")  # noqa: E731
    place()  # the shapes' first parse
    uncached = []  # statements psycopg parses without its cache (too long, too many parameters)
    parse = _queries._query2pg_nocache
    monkeypatch.setattr(_queries, "_query2pg_nocache", lambda query, encoding: uncached.append(query)
                        or parse(query, encoding))
    before = _queries._query2pg.cache_info()
    for _ in range(5):
        place()
    after = _queries._query2pg.cache_info()
    assert uncached == []
    assert after.misses == before.misses, (before, after)  # nothing parsed again
    assert after.hits >= 5 * 3  # at least the order with its lines + allocations, deferred rows, stock UPDATE
    assert _queries.MAX_CACHED_STATEMENT_LENGTH >= 32_768 and _queries.MAX_CACHED_STATEMENT_PARAMS >= 2_000
