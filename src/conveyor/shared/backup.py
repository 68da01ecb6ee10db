"""Online backup and restore of the embedded SQLite database (`conveyor db backup|restore`).

Backup uses sqlite3's online backup API: a consistent copy while the server keeps serving (in WAL
mode the copy reads one snapshot and writers are not blocked). Restore replaces the database's
contents with a backup's, through the same API, so the WAL and every open page stay consistent —
but a running server would keep cached values (keys, channels, stock it has just read) and
continue from a world that no longer exists, so restore refuses while a server or worker has the
database open: `conveyor serve` and `conveyor worker` hold a shared lock on `<database>.lock`,
restore needs it exclusively. PostgreSQL has pg_dump/pg_restore (docs/operations.md, "Backups").
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from conveyor.shared.errors import DomainError, ErrorCode, ValidationFailed


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        raise ValidationFailed("backup and restore here are for SQLite; for PostgreSQL use pg_dump and pg_restore "
                               "(docs/operations.md, \"Backups\")")
    if not url.database or url.database == ":memory:":
        raise ValidationFailed("an in-memory database has nothing to back up")
    return Path(url.database)


def _lock_file(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def in_use(database_url: str) -> Iterator[None]:
    """Held by a server or worker for its whole life (a shared lock: several may hold it)."""
    try:
        database = sqlite_path(database_url)
    except ValidationFailed:
        yield  # PostgreSQL: nothing to hold
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(_lock_file(database), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        yield


def backup(database_url: str, target: Path, overwrite: bool = False) -> int:
    """Copy the database to `target` while it is in use; returns the pages copied."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise ValidationFailed(f"no database at {source}")
    if target.exists() and not overwrite:
        raise ValidationFailed(f"{target} exists; choose another file or overwrite it explicitly")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with _connect(source) as src, _connect(partial) as dst:
        src.backup(dst)  # one step: one consistent snapshot
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    os.replace(partial, target)  # never a half-written backup under the real name
    return int(pages)


def restore(database_url: str, source: Path) -> str:
    """Replace the database's contents with the backup's; returns the backup's migration."""
    target = sqlite_path(database_url)
    revision = check_backup(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(_lock_file(target), "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DomainError(ErrorCode.CONFLICT, "a Conveyor server or worker is using this database; stop it "
                              "before restoring") from None
        with _connect(source) as src, _connect(target) as dst:
            src.backup(dst)
    return revision


def check_backup(path: Path) -> str:
    """A readable, intact Conveyor database: its migration revision, or a clear refusal."""
    if not path.is_file():
        raise ValidationFailed(f"no backup at {path}")
    try:
        with _connect(path, read_only=True) as db:
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ValidationFailed(f"{path} is damaged (integrity check failed)")
            return str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise ValidationFailed(f"{path} is not a Conveyor SQLite backup ({exc})") from None


@contextmanager
def _connect(path: Path, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    connection = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        yield connection
    finally:
        connection.close()
