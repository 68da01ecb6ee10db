"""Bulk inserts: the fastest way to write many rows for each database and size."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, Connection, String
from sqlalchemy.orm import Session

_statements: dict[tuple, Any] = {}


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
    _insert_values(session, table, rows)


def insert_tables(session: Session, parts: list[tuple[Any, list[dict[str, Any]]]]) -> None:
    """Insert rows into several tables. On PostgreSQL, when every part is small (the order hot
    path: lines, allocations, ledger, timeline, outbox, fulfilment orders), all of them go in ONE
    statement - each INSERT a data-modifying CTE of the last - so the transaction pays one round
    trip and one statement's overhead instead of one per table. Foreign keys between the parts
    hold: PostgreSQL checks them at the end of the statement, when every part is in. Otherwise
    (SQLite, where a statement costs no round trip; or a big part) one `insert_rows` per table,
    in the order given (parents first)."""
    parts = [(table, rows) for table, rows in parts if rows]
    if not parts:
        return
    connection = session.connection()
    if len(parts) == 1 or not _one_statement_fits(connection.dialect, parts):
        for table, rows in parts:
            insert_rows(session, table, rows)
        return
    statements, params = [], []
    for table, rows in parts:
        sql, values = _values_statement(connection.dialect, table, rows)
        statements.append(sql)
        params.extend(values)
    *first, last = statements
    ctes = ", ".join(f"i{n} AS ({sql})" for n, sql in enumerate(first))
    driver_execute(connection, f"WITH {ctes} {last}", params, returns_rows=False)


MAX_PARAMETERS = 30_000  # PostgreSQL's protocol allows 65,535 per statement


def _one_statement_fits(dialect: Any, parts: list[tuple[Any, list[dict[str, Any]]]], extra_parameters: int = 0) -> bool:
    """Whether `parts` (plus `extra_parameters`) may go as one chained statement: PostgreSQL only
    (on SQLite a statement costs no round trip), every part small (big ones go by COPY) and the
    parameters within the protocol's limit."""
    return (dialect.name == "postgresql" and all(len(rows) < COPY_THRESHOLD for _, rows in parts)
            and extra_parameters + sum(len(rows) * len(rows[0]) for _, rows in parts) <= MAX_PARAMETERS)


def _values_statement(dialect: Any, table: Any, rows: list[dict[str, Any]], suffix: str = "",
                      gated_by: str | None = None) -> tuple[str, list[Any]]:
    """`INSERT … VALUES (…), (…)` for `rows` and its parameters, the text built once per table,
    column set and row count; values go through each column type's own bind processor.
    `gated_by` (PostgreSQL): `INSERT … SELECT … FROM (VALUES …)` that inserts only when the CTE of
    that name returned a row (see `insert_unique_with`)."""
    columns = tuple(rows[0])
    key = ("values", dialect.name, table.name, columns, len(rows), suffix, gated_by)
    prepared = _statements.get(key)
    if prepared is None:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        if gated_by is None:
            one = "(" + ", ".join([mark] * len(columns)) + ")"
            sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {', '.join([one] * len(rows))}"
                   f"{suffix}")
        else:
            one = "(" + ", ".join(f"CAST({mark} AS {_cast_type(table.c[c].type, dialect)})" for c in columns) + ")"
            sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM"
                   f" (VALUES {', '.join([one] * len(rows))}) AS v WHERE EXISTS (SELECT FROM {gated_by}){suffix}")
        convert = [(i, p) for i, c in enumerate(columns) if (p := table.c[c].type._cached_bind_processor(dialect))]
        prepared = _statements[key] = (sql, convert)
    sql, convert = prepared
    params: list[Any] = []
    for row in rows:
        values = [row[c] for c in columns]
        for i, process in convert:
            values[i] = process(values[i])
        params.extend(values)
    return sql, params


def _cast_type(column_type: Any, dialect: Any) -> str:
    return "text" if isinstance(column_type, String) else column_type.compile(dialect=dialect)


def _insert_values(session: Session, table: Any, rows: list[dict[str, Any]], suffix: str = "") -> list[Any]:
    """One multi-row `INSERT … VALUES (…), (…)` sent as driver SQL: the statement text is built once
    per table, column set and row count (no compilation per call), values go through each column
    type's own bind processor (JSON, datetimes stored exactly as SQLAlchemy stores them). Returns
    the rows of a RETURNING `suffix`."""
    connection = session.connection()
    sql, params = _values_statement(connection.dialect, table, rows, suffix)
    return driver_execute(connection, sql, params, returns_rows=bool(suffix))


def driver_sql(dialect: str, name: str, build: Callable[[str], str]) -> str:
    """Statement text for `driver_execute`, built once per dialect and `name` by `build(mark)` with
    the driver's placeholder ("?" for sqlite3, "%s" for psycopg): no compilation per call."""
    key = (dialect, name)
    sql = _driver_texts.get(key)
    if sql is None:
        sql = _driver_texts[key] = build("?" if dialect == "sqlite" else "%s")
    return sql


_driver_texts: dict[tuple[str, str], str] = {}


def stored_as(column: Any, dialect: Any) -> Callable[[Any], Any]:
    """How `dialect` stores a value of `column` (a datetime as SQLAlchemy's text on SQLite), for
    values sent with `driver_execute`: the column type's bind processor, which SQLAlchemy caches
    per dialect, or the value as it is."""
    return column.type._cached_bind_processor(dialect) or _as_is


def _as_is(value: Any) -> Any:
    return value


def driver_execute(connection: Connection, sql: str, params: Any, *, returns_rows: bool = True,
                   many: bool = False) -> list[Any]:
    """Run `sql` on the DB-API driver's own cursor, inside the connection's transaction, and return
    its rows (`returns_rows`: the statement has a result to fetch; asking the driver whether it has
    one builds its column descriptions, a cost of its own).

    The hot path's few statements go this way: SQLAlchemy's execution around a statement (execution
    context, result set-up) cost as much as the statement itself on SQLite, and about a third of it
    on PostgreSQL (docs/benchmarks.md, "Issue 13", sixth and eighth sessions). What stays true:
    `before_cursor_execute` listeners still see the statement (tests and benchmarks count statements
    with them), and a driver error is handled as SQLAlchemy handles its own - wrapped
    (IntegrityError, OperationalError ...) and, for a lost connection, the pool invalidated - so
    callers and recovery behave alike whichever way the statement went."""
    cursor = _driver_cursor(connection)
    if connection._has_events or connection.engine._has_events:
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, cursor, sql, params, None, many)
    try:
        with _driver_errors(connection, sql, params, cursor):
            if many:
                cursor.executemany(sql, params)
                return []
            cursor.execute(sql, params)
            return cursor.fetchall() if returns_rows else []
    finally:
        cursor.close()


@contextmanager
def _driver_errors(connection: Connection, sql: str, params: Any, cursor: Any = None) -> Iterator[None]:
    """The driver's errors on its own cursor, handled as SQLAlchemy handles them on its own
    (`Connection._handle_dbapi_exception`: the same exception classes, the same invalidation of a
    connection found dead)."""
    try:
        yield
    except connection.dialect.loaded_dbapi.Error as exc:
        connection._handle_dbapi_exception(exc, sql, params, cursor, None)
        raise  # not reached: the call above raises the wrapped error


def _sqlite_executemany(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """sqlite3's executemany loops in C; SQLAlchemy's per-row parameter handling was the larger
    cost of big imports. Values go through each column type's own bind processor, so they are
    stored exactly as SQLAlchemy would store them (datetimes, JSON, booleans)."""
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    convert = [(i, p) for i, c in enumerate(columns) if (p := table.c[c].type._cached_bind_processor(dialect))]
    values = operator.itemgetter(*columns)  # one C call per row instead of a loop over columns
    data: list[Any] = [values(row) for row in rows] if len(columns) > 1 else [(row[columns[0]],) for row in rows]
    if convert:
        data = [list(v) for v in data]
        for i, process in convert:
            _convert_column(data, i, process)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    driver_execute(connection, sql, data, returns_rows=False, many=True)


def _convert_column(data: list[list[Any]], i: int, process: Any) -> None:
    """Column i of every row through its bind processor, each distinct object once: a batch's rows
    share their timestamps (one `now` per transaction) and NULLs, and formatting a datetime the
    way SQLAlchemy stores it costs more than the insert of the value itself. By identity, so
    equal-but-different values (datetimes in other time zones) are still converted each."""
    done: dict[int, Any] = {}
    for row in data:
        value = row[i]
        key = id(value)
        converted = done.get(key, done)
        if converted is done:
            converted = done[key] = process(value)
        row[i] = converted


def _driver_cursor(connection: Connection) -> Any:
    """The DB-API driver's own cursor on `connection` (small SQLite inserts, executemany, COPY)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver.cursor()


def _copy_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    connection, sql = session.connection(), f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with _driver_errors(connection, sql, None), _driver_cursor(connection).copy(sql) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in json_columns and row[c] is not None else row[c]
                            for c in columns])


def insert_unique_with(session: Session, table: Any, row: dict[str, Any], keys: list[str],
                       parts: list[tuple[Any, list[dict[str, Any]]]]) -> bool:
    """Insert `row` unless a row with the same `keys` exists, and the rows of `parts` only if it
    went in (the order, then its lines and allocations). False when `row` was there already.

    On PostgreSQL, when everything is small, ONE statement: the row's INSERT … ON CONFLICT DO
    NOTHING RETURNING is a data-modifying CTE, and each part an `INSERT … SELECT` from its VALUES
    that runs only when that CTE returned a row — the placement's hot path saves a round trip.
    (Values of a VALUES list in a SELECT have no target column to take a type from, so each is cast
    to its column's type; strings to text, so an over-long one still fails the column's length.)"""
    parts = [(t, rows) for t, rows in parts if rows]
    connection = session.connection()
    if not _one_statement_fits(connection.dialect, parts, extra_parameters=len(row)):
        if insert_ignoring_conflicts(session, table, [row], keys) == 0:
            return False
        insert_tables(session, parts)
        return True
    sql, params = _values_statement(connection.dialect, table, [row], _on_conflict_nothing(keys))
    ctes = [f"head AS ({sql})"]
    for n, (part, rows) in enumerate(parts):
        sql, values = _values_statement(connection.dialect, part, rows, gated_by="head")
        ctes.append(f"i{n} AS ({sql})")
        params.extend(values)
    [(inserted,)] = driver_execute(connection, f"WITH {', '.join(ctes)} SELECT count(*) FROM head", params)
    return bool(inserted)


def _on_conflict_nothing(keys: list[str]) -> str:
    return f" ON CONFLICT ({', '.join(keys)}) DO NOTHING RETURNING {keys[0]}"


def insert_ignoring_conflicts(session: Session, table: Any, rows: list[dict[str, Any]],
                              keys: list[str]) -> int:
    """INSERT … ON CONFLICT (keys) DO NOTHING, for either dialect; returns how many rows were
    inserted (counted with RETURNING: drivers' rowcount for INSERT is not reliable)."""
    if not rows:
        return 0
    return len(_insert_values(session, table, rows, _on_conflict_nothing(keys)))
