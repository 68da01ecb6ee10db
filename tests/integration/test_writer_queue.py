"""SQLite's writers queue on `WriterQueue`: threads of a process on a lock, processes on a `flock`
of the database's lock file (forked children included), so the one writer SQLite allows is never
chosen by its sleeping busy handler."""

from __future__ import annotations

import multiprocessing
import threading

from conveyor.shared.db import Database, WriterQueue, _lock_file_of
from conveyor.shared.uow import UnitOfWork
from tests.forking import in_forked_child


def _hold_until_told(path, held, release) -> None:
    queue = WriterQueue(path)
    assert queue.acquire(timeout=5)
    held.set()
    release.wait(10)
    queue.release()


def test_another_process_waits_for_the_writer(tmp_path):
    path = tmp_path / "db.sqlite.writer-lock"
    spawn = multiprocessing.get_context("spawn")
    held, release = spawn.Event(), spawn.Event()
    other = spawn.Process(target=_hold_until_told, args=(path, held, release))
    other.start()
    try:
        assert held.wait(30)
        queue = WriterQueue(path)
        assert not queue.acquire(timeout=0.2)  # the other process writes
        release.set()
        assert queue.acquire(timeout=5)
        queue.release()
    finally:
        release.set()
        other.join(10)
    assert other.exitcode == 0


def test_a_forked_child_does_not_share_its_parents_turn(tmp_path):
    queue = WriterQueue(tmp_path / "db.sqlite.writer-lock")
    assert queue.acquire(timeout=1)  # the parent writes while it forks
    try:  # the child: its turn comes only after the parent's
        assert not in_forked_child(lambda: queue.acquire(timeout=0.2))
    finally:
        queue.release()


def test_threads_take_turns_and_one_thread_may_hold_it_twice(tmp_path):
    queue = WriterQueue(tmp_path / "db.sqlite.writer-lock")
    assert queue.acquire(timeout=1)
    assert queue.acquire(timeout=1)  # re-entrant: a unit of work inside another's thread
    queue.release()
    waited: list[bool] = []
    other = threading.Thread(target=lambda: waited.append(queue.acquire(timeout=0.2)))
    other.start()
    other.join()
    assert waited == [False]  # still held once by this thread
    queue.release()
    other = threading.Thread(target=lambda: (waited.append(queue.acquire(timeout=1)), queue.release()))
    other.start()
    other.join()
    assert waited == [False, True]


def test_a_file_database_gets_a_lock_file_and_memory_none(tmp_path):
    assert Database(f"sqlite:///{tmp_path / 'a.db'}").write_lock._path == tmp_path / "a.db.writer-lock"
    assert _lock_file_of("sqlite://") is None
    assert _lock_file_of("sqlite:///:memory:") is None


def test_the_next_writer_goes_once_a_transaction_commits(tmp_path):
    """The writer's turn ends at commit, not when the unit of work closes: what runs after the
    commit (closing the session, after-commit hooks) no longer holds the next writer back."""
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        first = UnitOfWork(db)
        first.session.connection()  # BEGIN IMMEDIATE: the turn is the first's
        assert not _acquires_in_another_thread(db.write_lock)
        hook_saw: list[bool] = []
        first.after_commit(lambda: hook_saw.append(_acquires_in_another_thread(db.write_lock)))
        first.commit()
        assert hook_saw == [True]  # another writer got in before the hooks ran and the session closed
        first.close()  # and closing does not let go of a turn it no longer holds
        assert _acquires_in_another_thread(db.write_lock)
    finally:
        db.dispose()


def _acquires_in_another_thread(queue) -> bool:
    got: list[bool] = []

    def other() -> None:
        ok = queue.acquire(timeout=0.2)
        got.append(ok)
        if ok:
            queue.release()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(5)
    return got == [True]
