"""Database engine, declarative base and the unit of work.

SQLite is the embedded default: WAL, a busy timeout, and `BEGIN IMMEDIATE` for writing
transactions so that two writers queue on the lock instead of failing half-way with
"database is locked". PostgreSQL is the production store (psycopg 3).
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session

from conveyor.shared.errors import DomainError, ErrorCode

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")
UtcDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _install_sqlite_behaviour(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the sqlite3 module) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("conveyor_write", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def make_engine(url: str, pool_size: int = 20, echo: bool = False, durable: bool = True) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _install_sqlite_behaviour(engine)
        return engine
    # `durable=False` (tests only) skips waiting for the WAL flush at commit: same semantics,
    # same locking, just no fsync latency on every one of thousands of tiny transactions.
    connect_args = {} if durable else {"options": "-c synchronous_commit=off"}
    return create_engine(
        url,
        echo=echo,
        connect_args=connect_args,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_timeout=30,
    )


class Database:
    """The engine plus two flavours of it: writers (BEGIN IMMEDIATE on SQLite) and readers."""

    def __init__(self, url: str, pool_size: int = 20, echo: bool = False, durable: bool = True) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, pool_size=pool_size, echo=echo, durable=durable)
        self.writer = self.engine.execution_options(conveyor_write=True)
        self.reader = self.engine.execution_options(conveyor_write=False)
        # SQLite has one writer at a time. Waiting writers in SQLite's busy handler sleep and poll,
        # which serves them out of order (seconds of p99 under load); queueing them on a lock in
        # this process first makes them take turns. Other processes still meet the busy handler.
        self.write_lock = threading.RLock() if self.is_sqlite else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """One transaction. Services receive it, change things through `session`, and commit.

    Leaving the block without `commit()` rolls everything back, so nothing half-written stays.
    """

    def __init__(self, db: Database, write: bool = True) -> None:
        self.db = db
        self.write = write
        self._locked = False
        if write and db.write_lock is not None:
            if not db.write_lock.acquire(timeout=30):
                raise DomainError(ErrorCode.BUSY, "the database is busy; retry the request")
            self._locked = True
        self.session: Session = Session(bind=db.writer if write else db.reader, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def commit(self) -> None:
        try:
            self.session.commit()
        except OperationalError as exc:
            raise _as_busy(exc) from exc

    def rollback(self) -> None:
        self.session.rollback()

    def close(self) -> None:
        try:
            self.session.close()
        finally:
            if self._locked:
                self._locked = False
                self.db.write_lock.release()


def _as_busy(exc: OperationalError) -> Exception:
    if "database is locked" in str(exc):
        return DomainError(ErrorCode.BUSY, "the database is busy; retry the request")
    return exc


@contextmanager
def unit_of_work(db: Database, write: bool = True) -> Iterator[UnitOfWork]:
    uow = UnitOfWork(db, write=write)
    try:
        yield uow
    except OperationalError as exc:
        uow.rollback()
        raise _as_busy(exc) from exc
    except BaseException:
        uow.rollback()
        raise
    finally:
        uow.close()


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
    data = [values(row) for row in rows] if len(columns) > 1 else [(row[columns[0]],) for row in rows]
    if convert:
        data = [list(v) for v in data]
        for v in data:
            for i, process in convert:
                v[i] = process(v[i])
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    session.connection().connection.driver_connection.cursor().executemany(sql, data)


def _copy_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    import json

    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    cursor = session.connection().connection.driver_connection.cursor()
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
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        statement = _statements[key] = (dialect_insert(table).on_conflict_do_nothing(index_elements=keys)
                                        .returning(table.c[keys[0]]))
    return len(session.execute(statement, rows).all())
