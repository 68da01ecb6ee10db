"""Database engine, declarative base and column types (the unit of work is in `shared.uow`).

SQLite is the embedded default: WAL, a busy timeout, and `BEGIN IMMEDIATE` for writing
transactions so that two writers queue on the lock instead of failing half-way with
"database is locked". PostgreSQL is the production store (psycopg 3).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import structlog
from sqlalchemy import JSON, DateTime, Engine, MetaData, Table, TypeDecorator, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase

from conveyor.shared import jsontext

try:
    import fcntl
except ImportError:  # Windows: writers of one process still queue; other processes meet the busy handler
    fcntl = None  # type: ignore[assignment]

log = structlog.get_logger("conveyor.db")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class _UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC both ways. SQLite keeps no offset and hands back naive values, which
    then left the API without one (not an RFC 3339 date-time); PostgreSQL answers in the
    session's time zone. Naive values given are taken as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        # SQLite stores the wall time without its offset: it must be UTC's.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = _UtcDateTime()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A mapped class's Table (typed as such: `__table__` is declared as a plain FromClause)."""
    return cast(Table, model.__table__)


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


WAL_BACKSTOP_PAGES = 10_000  # ~40 MB of WAL


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
        # The WAL is copied back by `WalCheckpointer`, out of the writers' turns; a writer does it
        # itself only if the WAL grows this far (no checkpointer running, or one falling behind).
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("conveyor_write", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


@dataclass(frozen=True, slots=True)
class EngineOptions:
    pool_size: int = 20
    # Bounded waits, so an unreachable or saturated database is a quick 503, not a hung request.
    pool_timeout_seconds: float = 5.0
    connect_timeout_seconds: int = 3
    statement_timeout_ms: int = 30_000
    # False (tests only): PostgreSQL commits without waiting for the WAL flush.
    durable: bool = True
    echo: bool = False


def make_engine(url: str, options: EngineOptions | None = None) -> Engine:
    o = options or EngineOptions()
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        engine = create_engine(url, echo=o.echo, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=o.pool_size, max_overflow=o.pool_size, hide_parameters=True,
                               json_serializer=jsontext.dumps)
        _install_sqlite_behaviour(engine)
        return engine
    server = f"-c statement_timeout={o.statement_timeout_ms}"
    if not o.durable:  # same semantics and locking, just no fsync latency on thousands of tiny commits
        server += " -c synchronous_commit=off"
    # hide_parameters: an error message never carries the values (customer data) of its statement.
    # A connection found dead invalidates the pool, so the service recovers by itself once the
    # database is back (the first request after an outage may still get a 503).
    connect_args = {"options": server, "connect_timeout": o.connect_timeout_seconds}
    cache_statement_parsing()
    return create_engine(url, echo=o.echo, connect_args=connect_args, pool_size=o.pool_size,
                         max_overflow=o.pool_size, pool_pre_ping=False, pool_timeout=o.pool_timeout_seconds,
                         hide_parameters=True, json_serializer=jsontext.dumps)


STATEMENT_SHAPES = 1024  # distinct statement texts whose parsing psycopg remembers
LONGEST_CACHED_STATEMENT = 32_768  # bytes
MOST_CACHED_PARAMETERS = 2_000


def cache_statement_parsing() -> None:
    """Let psycopg remember how it parsed our multi-row INSERTs.

    psycopg turns a statement's `%s` placeholders into PostgreSQL's `$n` with a regex, and caches
    the result only for statements of at most 4 kB and 50 parameters, in 128 entries: ORMs send
    INSERTs with ever-varying row counts, which would fill a cache for nothing
    (psycopg discussion 628). Ours come in few shapes (one text per table, column set and row count,
    see shared/sql.py), and the hot path's are all over those limits: profiled under load, psycopg
    re-parsed them on every order for ~9 % of a worker's CPU. The limits are module settings of
    psycopg's query module, read on every call; `tests/integration/test_statement_cache.py` fails if
    an upgrade moves them, rather than letting the cost come back unseen."""
    from psycopg import _queries

    if getattr(_queries, "_conveyor_cache", False):
        return
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, LONGEST_CACHED_STATEMENT)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, MOST_CACHED_PARAMETERS)
    _queries._query2pg = lru_cache(maxsize=STATEMENT_SHAPES)(_queries._query2pg_nocache)
    _queries._conveyor_cache = True  # type: ignore[attr-defined]


class Database:
    """The engine plus two flavours of it: writers (BEGIN IMMEDIATE on SQLite) and readers."""

    def __init__(self, url: str, options: EngineOptions | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, options)
        self.writer = self.engine.execution_options(conveyor_write=True)
        self.reader = self.engine.execution_options(conveyor_write=False)
        # SQLite has one writer at a time (see WriterQueue), and its WAL is copied back to the
        # database file out of their turns (see WalCheckpointer).
        lock_file = _lock_file_of(self.url) if self.is_sqlite else None
        self.write_lock = WriterQueue(lock_file) if self.is_sqlite else None
        self.checkpointer = WalCheckpointer(make_url(self.url).database or "", self.write_lock) if lock_file else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def committed(self) -> None:
        """A writing transaction has committed (and its writer's turn ended)."""
        if self.checkpointer is not None:
            self.checkpointer.committed()

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


def _lock_file_of(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None  # one process's own database
    return Path(f"{database}.writer-lock")


class WriterQueue:
    """SQLite's writers, one at a time, across the threads of a process and across processes.

    SQLite lets one transaction write at a time; the others wait in its busy handler, which sleeps
    1, 2, 5, 10 … up to 100 ms between tries and serves them out of order (seconds of p99 under
    load, and CPU left idle while a writer sleeps on a lock already free). Writers queue here first:
    threads of this process on a lock; processes (API workers, the outbox worker, an import's
    workers) on an exclusive `flock` of `<database>.writer-lock`, tried every 50 µs → 1 ms. Holding
    it, a writer finds SQLite's own lock free. Re-entrant within a thread, like the RLock it was."""

    def __init__(self, path: Path | None) -> None:
        self._path = path if fcntl is not None else None
        self._pid = os.getpid()
        self._threads = threading.RLock()
        self._depth = 0  # how many times the owning thread holds it
        self._file: Any = None

    def acquire(self, timeout: float) -> bool:
        self._after_fork()
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        if self._depth == 0 and self._path is not None and not self._lock_file(deadline):
            self._threads.release()
            return False
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()

    def _lock_file(self, deadline: float) -> bool:
        if self._file is None:
            assert self._path is not None
            self._file = open(self._path, "a+b")  # noqa: SIM115 (kept open: the lock lives on it)
        pause = 50e-6
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 1e-3)

    def _after_fork(self) -> None:
        """A forked child shares its parent's open lock file, and so its lock: it opens its own."""
        if self._pid != os.getpid():
            self._pid, self._threads, self._depth, self._file = os.getpid(), threading.RLock(), 0, None


CHECKPOINT_EVERY_COMMITS = 16  # an order adds ~70 pages to the WAL: ~1,100 pages a checkpoint
WAL_RESTART_FRAMES = 4_000  # ~16 MB: from here a checkpoint finishes in a writer's turn of its own


class WalCheckpointer:
    """Copies SQLite's WAL back into the database file on a thread of its own, every few commits.

    SQLite's own automatic checkpoint runs inside the commit that crosses its threshold: in the
    writer's turn, which every other writer waits out. In-process, one thread, it was ~30 % of the
    turn (~0.7–1.0 ms per order: copying the ~70 pages an order writes, and fsyncs). Here a
    PASSIVE checkpoint (it never waits for, nor blocks, readers and writers) runs on its own
    connection while the next writer writes.

    The WAL starts over from its beginning only when a writer begins with every frame copied, and a
    checkpoint running beside writers rarely ends so: left at that, the WAL grew past 100 MB. So once
    it holds `WAL_RESTART_FRAMES`, the thread takes a writer's turn of its own (`WriterQueue`) and
    copies the little written since its last pass; the next writer starts the WAL over. The WAL
    file so stays under ~20 MB. `wal_autocheckpoint` stays as a backstop (`WAL_BACKSTOP_PAGES`) for
    a process that never starts the thread. The thread starts with a process's first commits (a
    forked import worker starts its own) and stops with `Database.dispose`."""

    def __init__(self, path: str, queue: WriterQueue | None = None, every: int = CHECKPOINT_EVERY_COMMITS,
                 restart_frames: int = WAL_RESTART_FRAMES) -> None:
        self._path = path
        self._queue = queue
        self._every = every
        self._restart_frames = restart_frames
        self._commits = 0
        self._pid = 0
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._starting = threading.Lock()
        self._stopped = False
        self.runs = 0  # checkpoints this process ran, and the last one's (busy, WAL frames, frames copied)
        self.last: tuple[int, int, int] | None = None
        self.turns = 0  # of them, run in a writer's turn to let the WAL start over

    def committed(self) -> None:
        self._commits += 1  # unlocked: an approximate count is all it needs
        if self._commits % self._every == 0:
            self._running().set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            thread.join(timeout=5)

    def _running(self) -> threading.Event:
        if self._pid != os.getpid():  # new, or a forked child (the parent's thread did not come along)
            self._pid, self._thread, self._wake, self._starting = os.getpid(), None, threading.Event(), threading.Lock()
        if self._thread is None and not self._stopped:
            with self._starting:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, args=(self._wake,),
                                                    name="sqlite-checkpoint", daemon=True)
                    self._thread.start()
        return self._wake

    def _run(self, wake: threading.Event) -> None:
        conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            while True:
                wake.wait()
                wake.clear()
                if self._stopped:
                    return
                try:
                    self._checkpoint(conn)
                    if self.last is not None and self.last[1] >= self._restart_frames:
                        self._finish_in_a_turn(conn)
                except sqlite3.Error as exc:  # the backstop still checkpoints; try again next time
                    log.warning("WAL checkpoint failed", error=repr(exc))
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        self.last = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.runs += 1

    def _finish_in_a_turn(self, conn: sqlite3.Connection) -> None:
        """Copy what was written during the last pass while nobody writes, so that the next writer
        finds every frame copied and starts the WAL over."""
        if self._queue is None or not self._queue.acquire(timeout=1):
            return  # the backstop is there; the next pass tries again
        try:
            self._checkpoint(conn)
            self.turns += 1
        finally:
            self._queue.release()
