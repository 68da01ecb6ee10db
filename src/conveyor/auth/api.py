"""API key management (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field

from conveyor.api.deps import container, require
from conveyor.api.schemas import Code, Strict
from conveyor.auth import handlers, service
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container

router = APIRouter(prefix="/api-keys", tags=["auth"])


class StaffKeyIn(Strict):
    role: Literal["admin", "ops", "support", "readonly"]
    name: Annotated[str, Field(max_length=100)] = ""
    grants: Annotated[list[Literal["pii:read"]], Field(max_length=5,
                      description="permissions beyond the role: `pii:read` shows personal data unmasked")] = []


class ChannelKeyIn(Strict):
    """A channel key acts for one channel, so it names it (and only it does)."""

    role: Literal["channel"]
    name: Annotated[str, Field(max_length=100)] = ""
    channel: Code


# The two shapes are told apart by `role` (an enum in one, a constant in the other), so a plain union
# validates the same. Not a pydantic discriminator: its OpenAPI `discriminator.mapping` sends four
# roles to one schema, which schemathesis' negative-data generation reads as "`support` violates the
# enum" and then reports the 201 as invalid data accepted (seen in CI).
KeyIn = StaffKeyIn | ChannelKeyIn


class KeyOut(BaseModel):
    id: str
    name: str
    role: str
    channel_id: str | None
    grants: list[str] = []
    created_at: datetime
    revoked_at: datetime | None


class NewKeyOut(KeyOut):
    token: str = Field(description="The secret token. Shown once; only its hash is stored.")


@router.post("", response_model=NewKeyOut, status_code=201)
def create_key(body: Annotated[KeyIn, Body()], _: Principal = Depends(require("keys:manage")),
               c: Container = Depends(container)) -> NewKeyOut:
    channel = body.channel if isinstance(body, ChannelKeyIn) else None
    grants = tuple(body.grants) if isinstance(body, StaffKeyIn) else ()
    key, token = handlers.create_key(c, body.role, body.name, channel, grants)
    return NewKeyOut(**KeyOut.model_validate(key, from_attributes=True).model_dump(), token=token)


@router.get("", response_model=list[KeyOut])
def list_keys(_: Principal = Depends(require("keys:manage")), c: Container = Depends(container)) -> list[KeyOut]:
    with c.reader() as uow:
        return [KeyOut.model_validate(k, from_attributes=True) for k in service.list_keys(uow)]


@router.delete("/{key_id}", response_model=KeyOut)
def revoke_key(key_id: str, _: Principal = Depends(require("keys:manage")),
               c: Container = Depends(container)) -> KeyOut:
    return KeyOut.model_validate(handlers.revoke_key(c, key_id), from_attributes=True)
