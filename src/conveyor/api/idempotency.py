"""Idempotency-Key for every POST that creates something (orders have their own, fully atomic
path in `orders.placement`).

The key is claimed in the same transaction as the change it protects, so a claim exists only if
the change committed. The response is stored right after, in a second short transaction. A retry
that arrives in between (or a concurrent duplicate, which on PostgreSQL waits on the claim's key)
finds the claim without a response and waits briefly for it. Only if the process died in that
instant does the key stay "in progress" (409): the change is there, the response is not."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import idempotency_claim
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.shared.db import UnitOfWork
from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.idempotency import IdempotencyClaim, StoredResponse, claim, complete

WAIT_FOR_RESPONSE_SECONDS = 5.0


async def idempotent(request: Request, who: Principal, c: Container, status_code: int,
                     work: Callable[[UnitOfWork], Any]) -> JSONResponse:
    """Run `work(uow)` (which commits) at most once per Idempotency-Key; replay its response."""
    key = await idempotency_claim(request, who)
    return await run_in_threadpool(_run, c, key, status_code, work)


def _run(c: Container, key: IdempotencyClaim | None, status_code: int,
         work: Callable[[UnitOfWork], Any]) -> JSONResponse:
    if key is None:
        with c.uow() as uow:
            return JSONResponse(jsonable_encoder(work(uow)), status_code=status_code)
    deadline = time.monotonic() + WAIT_FOR_RESPONSE_SECONDS
    while True:
        try:
            with c.uow() as uow:
                stored = claim(uow, key)
                if stored is None:
                    body = jsonable_encoder(work(uow))
            break
        except DomainError as exc:
            if exc.code != ErrorCode.IDEMPOTENCY_IN_PROGRESS or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    if stored is not None:
        return _replay(stored)
    with c.uow() as uow:
        complete(uow, key, status_code, body)
        uow.commit()
    return JSONResponse(body, status_code=status_code)


def _replay(stored: StoredResponse) -> JSONResponse:
    return JSONResponse(stored.body, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"})
