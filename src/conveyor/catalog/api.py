"""Catalog endpoints: products, SKUs, kits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.schemas import Amount, Code, Currency, PageOut, Patch, ShortText, Strict
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.catalog import handlers, service
from conveyor.catalog.model import Product, Sku
from conveyor.shared.money import format_minor, to_minor

router = APIRouter(tags=["catalog"])


class SkuIn(Strict):
    code: Code
    name: ShortText
    price: Amount = "0"
    currency: Currency = "USD"
    barcode: Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{4,64}$")] | None = None
    weight_grams: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    length_mm: Annotated[int, Field(ge=0, le=100_000)] = 0
    width_mm: Annotated[int, Field(ge=0, le=100_000)] = 0
    height_mm: Annotated[int, Field(ge=0, le=100_000)] = 0
    hs_code: Annotated[str, Field(pattern=r"^[0-9.]{4,16}$")] | None = None
    active: bool = True
    kit_components: dict[Code, Annotated[int, Field(ge=1, le=10_000)]] = Field(
        default_factory=dict, description="For a kit: component SKU code → quantity per kit")
    kit_allows_split: bool = False

    def to_data(self) -> service.SkuData:
        data = self.model_dump(exclude={"price"})
        return service.SkuData(price_minor=to_minor(self.price, self.currency), **data)


class ProductIn(Strict):
    name: ShortText = Field(min_length=1)
    description: Annotated[str, Field(max_length=10_000)] = ""
    active: bool = True
    skus: Annotated[list[SkuIn], Field(min_length=1, max_length=200)]


class SkuPatch(Patch):
    nullable = frozenset({"barcode", "hs_code"})

    name: ShortText | None = None
    price: Amount | None = None
    barcode: Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{4,64}$")] | None = None
    weight_grams: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    hs_code: Annotated[str, Field(pattern=r"^[0-9.]{4,16}$")] | None = None
    active: bool | None = None


class SkuOut(BaseModel):
    id: str
    product_id: str
    code: str
    name: str
    price: str
    currency: str
    barcode: str | None
    weight_grams: int
    length_mm: int
    width_mm: int
    height_mm: int
    hs_code: str | None
    active: bool
    is_kit: bool
    kit_allows_split: bool
    kit_components: dict[str, int]


class ProductOut(BaseModel):
    id: str
    name: str
    description: str
    active: bool
    skus: list[SkuOut]


def sku_out(sku: Sku, codes: dict[str, str] | None = None) -> SkuOut:
    return SkuOut(
        id=sku.id, product_id=sku.product_id, code=sku.code, name=sku.name,
        price=format_minor(sku.price_minor, sku.currency), currency=sku.currency, barcode=sku.barcode,
        weight_grams=sku.weight_grams, length_mm=sku.length_mm, width_mm=sku.width_mm,
        height_mm=sku.height_mm, hs_code=sku.hs_code, active=sku.active, is_kit=sku.is_kit,
        kit_allows_split=sku.kit_allows_split,
        kit_components={(codes or {}).get(c.component_sku_id, c.component_sku_id): c.quantity
                        for c in sku.components})


def product_out(p: Product) -> ProductOut:
    return ProductOut(id=p.id, name=p.name, description=p.description, active=p.active,
                      skus=[sku_out(s) for s in p.skus])


@router.post("/products", response_model=ProductOut, status_code=201)
async def create_product(body: ProductIn, request: Request, who: Principal = Depends(require("catalog:write")),
                         c: Container = Depends(container)) -> JSONResponse:
    idem = await idempotency_for(request, who, product_out)
    result = await run_in_threadpool(handlers.create_product, c, body.name, [s.to_data() for s in body.skus],
                                     body.description, body.active, idem)
    return respond(result, product_out, 201, idem)


@router.get("/products", response_model=PageOut[ProductOut])
def list_products(_: Principal = Depends(require("catalog:read")), c: Container = Depends(container),
                  q: Annotated[str | None, Query(max_length=200)] = None, active: bool | None = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> PageOut:
    with c.reader() as uow:
        page = service.list_products(uow, limit, cursor, q, active)
        return PageOut(items=[product_out(p) for p in page.items], next_cursor=page.next_cursor)


@router.get("/products/{product_id}", response_model=ProductOut)
def get_product(product_id: str, _: Principal = Depends(require("catalog:read")),
                c: Container = Depends(container)) -> ProductOut:
    with c.reader() as uow:
        return product_out(service.get_product(uow, product_id))


@router.post("/products/{product_id}/skus", response_model=SkuOut, status_code=201)
async def add_sku(product_id: str, body: SkuIn, request: Request,
                  who: Principal = Depends(require("catalog:write")),
                  c: Container = Depends(container)) -> JSONResponse:
    idem = await idempotency_for(request, who, sku_out)
    result = await run_in_threadpool(handlers.add_sku, c, product_id, body.to_data(), idem)
    return respond(result, sku_out, 201, idem)


@router.get("/skus", response_model=PageOut[SkuOut])
def list_skus(_: Principal = Depends(require("catalog:read")), c: Container = Depends(container),
              q: Annotated[str | None, Query(max_length=200)] = None, barcode: str | None = None,
              limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> PageOut:
    with c.reader() as uow:
        page = service.list_skus(uow, limit, cursor, q, barcode)
        return PageOut(items=[sku_out(s) for s in page.items], next_cursor=page.next_cursor)


@router.get("/skus/{sku}", response_model=SkuOut)
def get_sku(sku: str, _: Principal = Depends(require("catalog:read")),
            c: Container = Depends(container)) -> SkuOut:
    with c.reader() as uow:
        return sku_out(service.get_sku(uow, sku))


@router.patch("/skus/{sku}", response_model=SkuOut)
def update_sku(sku: str, body: SkuPatch, _: Principal = Depends(require("catalog:write")),
               c: Container = Depends(container)) -> SkuOut:
    return sku_out(handlers.update_sku(c, sku, body.model_dump(exclude_unset=True)))
