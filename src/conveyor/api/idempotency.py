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
from pydantic import BaseModel

from conveyor.api.deps import idempotency_claim
from conveyor.api.schemas import PlainJson
from conveyor.auth.service import Principal
from conveyor.shared import jsontext
from conveyor.shared.handlers import Idempotency, Replayed

T = TypeVar("T")


async def idempotency_for(request: Request, who: Principal, render: Callable[[T], Any],
                          status_code: int = 201) -> Idempotency[T] | None:
    """The request's Idempotency-Key as a claim for the handler (None without the header)."""
    claim = await idempotency_claim(request, who)
    if claim is None:
        return None
    return Idempotency(claim, lambda value: json_body(render(value)), status_code)


def json_body(rendered: Any) -> Any:
    """A rendered response as JSON-able data. Renderers that build plain dicts (orders, on the hot
    path) pass through untouched; pydantic models and anything else go through FastAPI's encoder."""
    if isinstance(rendered, PlainJson):
        return rendered
    if isinstance(rendered, BaseModel):
        return rendered.model_dump(mode="json")
    return jsonable_encoder(rendered)


class FastJSONResponse(JSONResponse):
    """JSONResponse written by orjson (`shared.jsontext`): the answer to every command, orders'
    placement among them, is rendered once per request on the hot path."""

    def render(self, content: Any) -> bytes:
        return jsontext.dumps_bytes(content)


def respond(result: T | Replayed, render: Callable[[T], Any], status_code: int = 201,
            idempotency: Idempotency[T] | None = None) -> JSONResponse:
    if isinstance(result, Replayed):
        return FastJSONResponse(result.body, status_code=result.status_code, headers={"Idempotent-Replayed": "true"})
    if idempotency is not None and idempotency.body is not None:
        return FastJSONResponse(idempotency.body, status_code=status_code)
    return FastJSONResponse(json_body(render(result)), status_code=status_code)
