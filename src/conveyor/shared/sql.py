"""Bulk inserts: the fastest way to write many rows for each database and size."""

from __future__ import annotations

import json
import operator
from typing import Any

from sqlalchemy import JSON, insert
from sqlalchemy.orm import Session

_statements: dict[tuple, Any] = {}


def _pk(table: Any) -> Any:
    return list(table.primary_key.columns)[0]


COPY_THRESHOLD = 50


def insert_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in one statement, whichever way is fastest for the size and database.

    A few rows (the order hot path): ONE multi-row INSERT. Asking for RETURNING makes SQLAlchemy
    batch the rows into a single statement ("insertmanyvalues") where a plain executemany would
    send one INSERT per row; the statement object is built once, so it is compiled once.
    Many rows on PostgreSQL (imports): COPY in the same transaction — a multi-row INSERT with
    thousands of placeholders spends most of its time in psycopg's query parsing."""
    if not rows:
        return
    if len(rows) >= COPY_THRESHOLD:
        if session.get_bind().dialect.name == "postgresql":
            _copy_rows(session, table, rows)
        else:
            _sqlite_executemany(session, table, rows)
        return
    key = ("insert", table.name)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = insert(table).returning(_pk(table))
    session.execute(statement, rows).all()


def _sqlite_executemany(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """sqlite3's executemany loops in C; SQLAlchemy's per-row parameter handling was the larger
    cost of big imports. Values go through each column type's own bind processor, so they are
    stored exactly as SQLAlchemy would store them (datetimes, JSON, booleans)."""
    dialect = session.get_bind().dialect
    columns = list(rows[0])
    convert = [(i, p) for i, c in enumerate(columns) if (p := table.c[c].type._cached_bind_processor(dialect))]
    values = operator.itemgetter(*columns)  # one C call per row instead of a loop over columns
    data: list[Any] = [values(row) for row in rows] if len(columns) > 1 else [(row[columns[0]],) for row in rows]
    if convert:
        data = [list(v) for v in data]
        for v in data:
            for i, process in convert:
                v[i] = process(v[i])
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    _driver_cursor(session).executemany(sql, data)


def _driver_cursor(session: Session) -> Any:
    """The DB-API driver's own cursor on the session's connection (for executemany and COPY)."""
    connection = session.connection().connection.driver_connection
    assert connection is not None
    return connection.cursor()


def _copy_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    cursor = _driver_cursor(session)
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in json_columns and row[c] is not None else row[c]
                            for c in columns])


def insert_ignoring_conflicts(session: Session, table: Any, rows: list[dict[str, Any]],
                              keys: list[str]) -> int:
    """INSERT … ON CONFLICT (keys) DO NOTHING, for either dialect; returns how many rows were
    inserted (counted with RETURNING: drivers' rowcount for INSERT is not reliable)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    key = ("upsert", dialect, table.name, tuple(keys))
    statement = _statements.get(key)
    if statement is None:
        from sqlalchemy.dialects import postgresql, sqlite

        dialect_insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _statements[key] = (dialect_insert(table).on_conflict_do_nothing(index_elements=keys)
                                        .returning(table.c[keys[0]]))
    return len(session.execute(statement, rows).all())
