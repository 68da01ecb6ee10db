"""Channel endpoints: channels as data. Secrets go in, never out (only their names are shown).

Sub-routers for what happens on a channel (inbound webhooks, SKU mapping, imports, POS, phone
drafts, feeds) live in `api_*.py` beside this file and are mounted here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.schemas import Code, Currency, Patch, ShortText, Strict
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.channels import handlers, service
from conveyor.channels.model import Channel
from conveyor.channels.secrets import Vault

router = APIRouter(prefix="/channels", tags=["channels"])
SecretMap = Annotated[dict[Annotated[str, Field(max_length=50)], Annotated[str, Field(max_length=2000)]],
                      Field(max_length=20, description="e.g. webhook_secret, access_token; write-only")]


class BufferIn(Strict):
    fixed: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    percent: Annotated[int, Field(ge=0, le=100)] = 0
    locations: Annotated[list[Code], Field(max_length=200)] = []


class ChannelIn(Strict):
    code: Code
    name: ShortText = Field(min_length=1)
    type: Annotated[str, Field(pattern=r"^(native|shopify|woocommerce|bigcommerce|amazon|csv|pos|phone)$")] = "native"
    currency: Currency = "USD"
    backorder_policy: Annotated[str, Field(pattern=r"^(reject|backorder)$")] | None = None
    routing_strategy: Annotated[str, Field(max_length=30)] | None = None
    config: dict[str, Any] = Field({}, description="base_url, store_hash, csv_profile, feed_url, sync …")
    stock_buffer: BufferIn = BufferIn()
    secrets: SecretMap = {}


class ChannelPatch(Patch):
    nullable = frozenset({"backorder_policy", "routing_strategy"})  # null: the service defaults

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None  # as when created
    backorder_policy: Annotated[str, Field(pattern=r"^(reject|backorder)$")] | None = None
    routing_strategy: Annotated[str, Field(max_length=30)] | None = None
    active: bool | None = None
    config: dict[str, Any] | None = None
    stock_buffer: BufferIn | None = None
    secrets: SecretMap = Field({}, description="merged into the stored secrets; an empty value removes one")


class ChannelOut(BaseModel):
    id: str
    code: str
    name: str
    type: str
    currency: str
    backorder_policy: str | None
    routing_strategy: str | None
    active: bool
    config: dict[str, Any]
    stock_buffer: dict[str, Any]
    secrets_set: list[str] = Field(description="names of the stored secrets; values are never returned")
    inbound_url: str = Field(description="where the platform's webhooks go (path under this API)")


def render(channel: Channel, vault: Vault) -> ChannelOut:
    return ChannelOut(id=channel.id, code=channel.code, name=channel.name, type=channel.type,
                      currency=channel.currency, backorder_policy=channel.backorder_policy,
                      routing_strategy=channel.routing_strategy, active=channel.active,
                      config=channel.config or {}, stock_buffer=channel.stock_buffer or {},
                      secrets_set=service.secret_names(channel, vault),
                      inbound_url=f"/api/v1/channels/{channel.code}/inbound")


@router.post("", response_model=ChannelOut, status_code=201)
async def create_channel(body: ChannelIn, request: Request, who: Principal = Depends(require("channels:write")),
                         c: Container = Depends(container)) -> JSONResponse:
    vault = Vault.from_settings(c.settings)

    def out(channel: Channel) -> ChannelOut:
        return render(channel, vault)

    idem = await idempotency_for(request, who, out)
    result = await run_in_threadpool(lambda: handlers.create_channel(c, idem, **body.model_dump()))
    return respond(result, out, 201, idem)


@router.get("", response_model=list[ChannelOut])
def list_channels(_: Principal = Depends(require("channels:read")),
                  c: Container = Depends(container)) -> list[ChannelOut]:
    vault = Vault.from_settings(c.settings)
    with c.reader() as uow:
        return [render(ch, vault) for ch in service.list_channels(uow)]


@router.get("/{code}", response_model=ChannelOut)
def get_channel(code: str, _: Principal = Depends(require("channels:read")),
                c: Container = Depends(container)) -> ChannelOut:
    vault = Vault.from_settings(c.settings)
    with c.reader() as uow:
        return render(service.get_channel(uow, code), vault)


@router.patch("/{code}", response_model=ChannelOut)
def update_channel(code: str, body: ChannelPatch, _: Principal = Depends(require("channels:write")),
                   c: Container = Depends(container)) -> ChannelOut:
    vault = Vault.from_settings(c.settings)
    changes = body.model_dump(exclude_unset=True, exclude={"secrets"})
    return render(handlers.update_channel(c, code, changes, body.secrets), vault)


def _mount() -> None:
    from conveyor.channels import api_drafts, api_inbound, api_ops, api_skumap

    for sub in (api_inbound.router, api_skumap.router, api_ops.router, api_drafts.router):
        router.include_router(sub)


_mount()
