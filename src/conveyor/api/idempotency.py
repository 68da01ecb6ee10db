"""Idempotency-Key on every POST that creates something: the API's half.

The handler claims the key in the same transaction as the change and stores the rendered
response just before it commits (shared/handlers.py); here we build the claim from the request
and turn the handler's result — or the replay of the first answer — into the HTTP response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from conveyor.api.deps import idempotency_claim
from conveyor.auth.service import Principal
from conveyor.shared.handlers import Idempotency, Replayed

T = TypeVar("T")


async def idempotency_for(request: Request, who: Principal, render: Callable[[T], Any],
                          status_code: int = 201) -> Idempotency[T] | None:
    """The request's Idempotency-Key as a claim for the handler (None without the header)."""
    claim = await idempotency_claim(request, who)
    if claim is None:
        return None
    return Idempotency(claim, lambda value: jsonable_encoder(render(value)), status_code)


def respond(result: T | Replayed, render: Callable[[T], Any], status_code: int = 201,
            idempotency: Idempotency[T] | None = None) -> JSONResponse:
    if isinstance(result, Replayed):
        return JSONResponse(result.body, status_code=result.status_code, headers={"Idempotent-Replayed": "true"})
    if idempotency is not None and idempotency.body is not None:
        return JSONResponse(idempotency.body, status_code=status_code)
    return JSONResponse(jsonable_encoder(render(result)), status_code=status_code)
