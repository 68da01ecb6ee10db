"""Channel endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from conveyor.api.deps import container, require
from conveyor.api.schemas import Code, Currency, ShortText, Strict
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.channels import service

router = APIRouter(prefix="/channels", tags=["channels"])


class ChannelIn(Strict):
    code: Code
    name: ShortText = Field(min_length=1)
    type: Annotated[str, Field(pattern=r"^(native|shopify|woocommerce|bigcommerce|amazon|csv|pos|phone)$")] = "native"
    currency: Currency = "USD"
    backorder_policy: Annotated[str, Field(pattern=r"^(reject|backorder)$")] | None = None
    routing_strategy: Annotated[str, Field(max_length=30)] | None = None


class ChannelOut(BaseModel):
    id: str
    code: str
    name: str
    type: str
    currency: str
    backorder_policy: str | None
    routing_strategy: str | None
    active: bool


@router.post("", response_model=ChannelOut, status_code=201)
def create_channel(body: ChannelIn, _: Principal = Depends(require("channels:write")),
                   c: Container = Depends(container)) -> ChannelOut:
    with c.uow() as uow:
        return ChannelOut.model_validate(service.create_channel(uow, **body.model_dump()), from_attributes=True)


@router.get("", response_model=list[ChannelOut])
def list_channels(_: Principal = Depends(require("channels:read")),
                  c: Container = Depends(container)) -> list[ChannelOut]:
    with c.reader() as uow:
        return [ChannelOut.model_validate(ch, from_attributes=True) for ch in service.list_channels(uow)]
