"""The unit of work: one database transaction, opened and committed by a command handler.

Service functions receive a unit of work, change things through `session` (ORM or Core), queue
multi-row inserts with `defer_insert` and cache invalidations with `after_commit` — and never
commit. The handler that opened the unit of work commits exactly once; leaving the block
without a commit rolls everything back, so nothing half-written stays.

Deferred inserts let several areas add rows to one table in one statement: placing an order
queues `order.created` while the stock ledger queues `stock.changed`, and both leave in one
multi-row INSERT when the unit of work is flushed (explicitly, e.g. before placement's guarded
stock UPDATE, or at commit); on PostgreSQL all the deferred tables leave in one statement.

Reactions keep one area's bookkeeping in step with another's change without either handler having
to remember it: the area that changes something says so with `uow.changed(kind, key, detail)`, the
area that follows it registers `react_to(kind, reaction)` once (conveyor/wiring.py), and commit runs
the reaction for every changed key before the transaction ends. Fulfilment orders follow an order's
allocation rows this way, whoever moved them (a receipt filling backorders, a channel cancelling).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from sqlalchemy import Table
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from conveyor.shared.cache import Caches
from conveyor.shared.db import Database
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.sql import insert_tables

log = structlog.get_logger("conveyor.uow")
WRITE_LOCK_SECONDS = 30

# kind of change -> what follows it: each called with the unit of work and {key: detail} before commit.
Reaction = Callable[["UnitOfWork", dict[str, dict[str, Any]]], None]
_REACTIONS: dict[str, list[Reaction]] = {}


def react_to(kind: str, reaction: Reaction) -> None:
    """Register what must follow every change of `kind` before its transaction commits (once;
    registering the same function again does nothing). Reactions run in registration order."""
    reactions = _REACTIONS.setdefault(kind, [])
    if reaction not in reactions:
        reactions.append(reaction)


class UnitOfWork:
    def __init__(self, db: Database, write: bool = True, caches: Caches | None = None) -> None:
        self.db = db
        self.write = write
        self.caches = caches if caches is not None else Caches()
        self._locked = False
        self._deferred: dict[str, tuple[Table, list[dict[str, Any]]]] = {}
        self._after_commit: list[Callable[[], None]] = []
        self._changed: dict[str, dict[str, dict[str, Any]]] = {}
        if write and db.write_lock is not None:
            if not db.write_lock.acquire(timeout=WRITE_LOCK_SECONDS):
                raise DomainError(ErrorCode.BUSY, "the database is busy; retry the request")
            self._locked = True
        self.session: Session = Session(bind=db.writer if write else db.reader, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def defer_insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Queue rows for `table`; all rows queued for one table go in one INSERT at `flush`."""
        entry = self._deferred.setdefault(table.name, (table, []))
        entry[1].extend(rows)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (e.g. to invalidate a cache)."""
        self._after_commit.append(callback)

    def changed(self, kind: str, key: str, **detail: Any) -> None:
        """Note that `key` changed in a way the reaction registered for `kind` must follow; details
        of several changes to one key merge (a value given later wins, None never overwrites)."""
        merged = self._changed.setdefault(kind, {}).setdefault(key, {})
        merged.update({name: value for name, value in detail.items() if value is not None})

    def followed(self, kind: str, key: str) -> None:
        """The reaction to `key` has run by hand (e.g. with options only its caller knew)."""
        self._changed.get(kind, {}).pop(key, None)

    def react_now(self, kind: str) -> None:
        """Run the reactions to `kind` now rather than at commit, for a caller whose answer depends
        on them (placement answering with the order a declined payment put on hold)."""
        keys = self._changed.pop(kind, None)
        if keys:
            for reaction in _REACTIONS.get(kind) or ():
                reaction(self, keys)

    def _react(self) -> None:
        # A reaction may change things others follow, so run until nothing is left.
        while self._changed:
            kind = next(iter(self._changed))
            keys = self._changed.pop(kind)
            if not keys:
                continue
            reactions = _REACTIONS.get(kind)
            if not reactions:
                raise RuntimeError(f"nothing follows {kind!r} changes: conveyor.wiring.install() was not run")
            for reaction in reactions:
                reaction(self, keys)

    def flush(self) -> None:
        """Send pending ORM changes and deferred inserts (the transaction stays open)."""
        self.session.flush()
        deferred, self._deferred = self._deferred, {}
        insert_tables(self.session, list(deferred.values()))  # in the order first queued: parents first

    def commit(self) -> None:
        self._react()
        try:
            self.flush()
            self.session.commit()
        except OperationalError as exc:
            raise as_busy(exc) from exc
        # The transaction is over: the next writer's turn starts now, not after this one has
        # closed its session and run its hooks (SQLite's writers take turns, see WriterQueue).
        self._end_turn()
        if self.write:
            self.db.committed()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - the data is committed; a hook must not undo the answer
                log.warning("after-commit hook failed", error=repr(exc))

    def rollback(self) -> None:
        self.session.rollback()
        self._deferred.clear()
        self._after_commit.clear()
        self._changed.clear()

    def close(self) -> None:
        try:
            self.session.close()
        finally:
            self._end_turn()

    def _end_turn(self) -> None:
        """Let the next writer in (once; a write after it queues on SQLite's own lock)."""
        if self._locked and self.db.write_lock is not None:
            self._locked = False
            self.db.write_lock.release()


def as_busy(exc: OperationalError) -> Exception:
    if "database is locked" in str(exc):
        return DomainError(ErrorCode.BUSY, "the database is busy; retry the request")
    return exc


@contextmanager
def unit_of_work(db: Database, write: bool = True, caches: Caches | None = None) -> Iterator[UnitOfWork]:
    uow = UnitOfWork(db, write=write, caches=caches)
    try:
        yield uow
    except OperationalError as exc:
        uow.rollback()
        raise as_busy(exc) from exc
    except BaseException:
        uow.rollback()
        raise
    finally:
        uow.close()
