"""SKU mapping endpoints: channel SKU / listing id → our SKU, as JSON or a CSV upload."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field

from conveyor.api.deps import container, require
from conveyor.api.schemas import Code, Strict
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.channels import handlers, skumap

router = APIRouter()


class MappingIn(Strict):
    channel_sku: Annotated[str, Field(min_length=1, max_length=100)]
    sku: Code
    external_ref: Annotated[str, Field(max_length=100)] = ""


class MappingOut(BaseModel):
    channel_sku: str
    sku: str
    external_ref: str


@router.put("/{code}/sku-map")
def put_mappings(code: str, body: Annotated[list[MappingIn], Field(min_length=1, max_length=5000)],
                 _: Principal = Depends(require("channels:write")), c: Container = Depends(container)) -> dict:
    """Create or replace mappings, all or nothing (an unknown SKU is named in a 422)."""
    count = handlers.set_mappings(c, code, [skumap.Mapping(m.channel_sku, m.sku, m.external_ref) for m in body])
    return {"mapped": count}


@router.post("/{code}/sku-map/import")
def import_mappings(code: str, csv_text: Annotated[str, Body(media_type="text/csv", min_length=1)],
                    _: Principal = Depends(require("channels:write")), c: Container = Depends(container)) -> dict:
    """A CSV with header `channel_sku,sku[,external_ref]`; every bad row is reported, nothing half-done."""
    entries = skumap.parse_mapping_csv(csv_text.splitlines(keepends=True))
    return {"mapped": handlers.set_mappings(c, code, entries)}


class ReleasedOut(BaseModel):
    channel_sku: str
    sku: str
    released: list[str] = Field(description="orders no longer held (allocated now, stock permitting)")
    still_held: list[dict[str, str]] = Field(description="orders still held for something else: order_id, hold_reason")


@router.post("/{code}/sku-map/release", response_model=ReleasedOut)
def map_and_release(code: str, body: MappingIn, who: Principal = Depends(require("channels:write")),
                    c: Container = Depends(container)) -> ReleasedOut:
    """Map one channel key (a SKU or a stable key such as `shopify:variant:123`) and release every
    order held for it, in one step; the mapping applies to future orders too."""
    done = handlers.map_and_release(c, code, skumap.Mapping(body.channel_sku, body.sku, body.external_ref), who.actor)
    return ReleasedOut(channel_sku=done.channel_sku, sku=body.sku, released=done.released,
                       still_held=[{"order_id": o, "hold_reason": r} for o, r in done.still_held])


@router.get("/{code}/sku-map", response_model=list[MappingOut])
def get_mappings(code: str, after: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                 _: Principal = Depends(require("channels:read")),
                 c: Container = Depends(container)) -> list[MappingOut]:
    with c.reader() as uow:
        return [MappingOut(channel_sku=m.channel_sku, sku=m.sku, external_ref=m.external_ref)
                for m in skumap.list_mappings(uow, code, limit, after)]


@router.delete("/{code}/sku-map/{channel_sku}", status_code=204)
def delete_mapping(code: str, channel_sku: str, _: Principal = Depends(require("channels:write")),
                   c: Container = Depends(container)) -> None:
    handlers.delete_mapping(c, code, channel_sku)
