"""SQLite's WAL is copied back into the database by `WalCheckpointer`'s thread, not by the commit
that crosses SQLite's threshold (which would do it in the writer's turn, every other writer waiting)."""

from __future__ import annotations

import os
import threading
import time

from sqlalchemy import text

from conveyor.shared.db import WAL_BACKSTOP_PAGES, Database, WalCheckpointer
from conveyor.shared.uow import UnitOfWork
from tests.forking import in_forked_child

PAGE = 4096


def _database(tmp_path, every: int, restart_frames: int = 10**9) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert db.checkpointer is not None
    db.checkpointer = WalCheckpointer(str(tmp_path / "db.sqlite"), db.write_lock, every=every,
                                      restart_frames=restart_frames)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE blob (id INTEGER PRIMARY KEY, body TEXT)"))
    return db


def _commit_pages(db: Database, commits: int, pages_each: int = 100, wal=None) -> int:
    """Commit `commits` transactions of ~`pages_each` pages; the largest WAL seen (bytes) if `wal`."""
    largest = 0
    for _ in range(commits):
        uow = UnitOfWork(db)
        try:
            uow.session.execute(text("INSERT INTO blob (body) VALUES (:b)"), [{"b": "x" * 3000}] * pages_each)
            uow.commit()
        finally:
            uow.close()
        if wal is not None:
            largest = max(largest, os.path.getsize(wal))
    return largest


def _wal_bytes(tmp_path) -> int:
    return os.path.getsize(tmp_path / "db.sqlite-wal")


def _reaches(checkpointer: WalCheckpointer, runs: int) -> bool:
    """Whether the checkpointer has run `runs` times within 10 s."""
    deadline = time.monotonic() + 10
    while checkpointer.runs < runs and time.monotonic() < deadline:
        time.sleep(0.01)
    return checkpointer.runs >= runs


def test_a_commit_leaves_the_checkpoint_to_the_checkpointer(tmp_path):
    db = _database(tmp_path, every=10**9)  # the checkpointer is never asked
    try:
        with db.writer.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_BACKSTOP_PAGES
        _commit_pages(db, commits=25)  # ~2,500 pages: SQLite's default would checkpoint at 1,000
        assert _wal_bytes(tmp_path) > 2_000 * PAGE  # no writer checkpointed and started the WAL over
        assert db.checkpointer.runs == 0
    finally:
        db.dispose()


def test_every_few_commits_its_thread_copies_the_wal_back(tmp_path):
    db = _database(tmp_path, every=5)
    try:
        _commit_pages(db, commits=5)
        assert _reaches(db.checkpointer, 1)
        busy, frames, copied = db.checkpointer.last
        assert busy == 0 and frames >= 500 and copied == frames  # everything written so far is in the file
        thread = db.checkpointer._thread
        assert thread is not None and thread.name == "sqlite-checkpoint" and thread is not threading.current_thread()
        _commit_pages(db, commits=1)  # the next writer starts the WAL over: it grows no further
        assert _wal_bytes(tmp_path) <= (frames + 1) * (PAGE + 24) + 32
    finally:
        db.dispose()
    assert not thread.is_alive()  # dispose stops it


def test_a_forked_child_checkpoints_on_its_own_thread(tmp_path):
    db = _database(tmp_path, every=3)
    try:
        _commit_pages(db, commits=3)
        assert _reaches(db.checkpointer, 1)  # the parent's thread is running: it does not come along

        def commits_start_the_childs_own() -> bool:
            before = db.checkpointer.runs
            _commit_pages(db, commits=3)
            return _reaches(db.checkpointer, before + 1)

        assert in_forked_child(commits_start_the_childs_own)
    finally:
        db.dispose()


def test_under_steady_writes_the_wal_still_starts_over(tmp_path):
    """A checkpoint beside busy writers rarely ends with every frame copied, which the WAL needs to
    start over; past `restart_frames` the thread finishes in a writer's turn of its own."""
    db = _database(tmp_path, every=2, restart_frames=500)
    try:
        largest = _commit_pages(db, commits=80, wal=tmp_path / "db.sqlite-wal")  # ~8,000 pages, no pause
        assert db.checkpointer.turns >= 1
        # Without the turn the WAL never starts over and holds all ~8,000 pages (34 MB). With it, the
        # WAL starts over: ~1,000-2,000 frames at most on a quiet machine; a CI run with every core
        # busy saw 2,930 before the thread got its turn. Half the no-restart size tells them apart.
        assert largest < 4_000 * (PAGE + 24)
    finally:
        db.dispose()
