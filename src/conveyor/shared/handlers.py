"""What every command handler does the same way: open one unit of work, honour an
Idempotency-Key, run the use case, commit once.

    result = run(c.uow, lambda uow: service.create_thing(uow, …), idempotency, status_code=201)

With an `Idempotency` (the API's claim on the key plus how to render the response), the key is
claimed in the same transaction as the change and the rendered response is stored just before
the commit: a retry (or a concurrent duplicate, which waits on the key) gets `Replayed` with the
first answer, and a failed attempt leaves no claim behind, so it may be retried.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from conveyor.shared.idempotency import IdempotencyClaim, claim, complete
from conveyor.shared.uow import UnitOfWork

T = TypeVar("T")
UowFactory = Callable[[], AbstractContextManager[UnitOfWork]]


@dataclass(slots=True)
class Idempotency(Generic[T]):
    claim: IdempotencyClaim
    render: Callable[[T], Any]
    status_code: int = 201
    body: Any = None  # the rendered response, once stored (so the caller needn't render it again)


@dataclass(frozen=True, slots=True)
class Replayed:
    """The stored first answer to a repeated Idempotency-Key."""
    status_code: int
    body: Any


def store_response(uow: UnitOfWork, idempotency: Idempotency[T] | None, result: T,
                   status_code: int | None = None) -> None:
    """Store the rendered response for the key (call inside the handler's transaction)."""
    if idempotency is not None:
        idempotency.body = idempotency.render(result)
        complete(uow, idempotency.claim, status_code or idempotency.status_code, idempotency.body)


def replay_of(uow: UnitOfWork, idempotency: Idempotency[Any] | None) -> Replayed | None:
    """Take the key for this transaction, or return the first answer given to it."""
    if idempotency is None:
        return None
    stored = claim(uow, idempotency.claim)
    return None if stored is None else Replayed(stored.status_code, stored.body)


@overload
def run(uow_factory: UowFactory, work: Callable[[UnitOfWork], T]) -> T: ...


@overload
def run(uow_factory: UowFactory, work: Callable[[UnitOfWork], T], idempotency: Idempotency[T] | None) -> T | Replayed:
    ...


def run(uow_factory: UowFactory, work: Callable[[UnitOfWork], T],
        idempotency: Idempotency[T] | None = None) -> T | Replayed:
    """Run `work` in one transaction and commit it (see the module docstring)."""
    with uow_factory() as uow:
        if (replayed := replay_of(uow, idempotency)) is not None:
            return replayed
        result = work(uow)
        store_response(uow, idempotency, result)
        uow.commit()
        return result
