"""Location and inventory endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.schemas import Code, PageOut, Patch, ShortText, Strict
from conveyor.auth.roles import Role
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.inventory import handlers, service
from conveyor.inventory import locations as loc_service
from conveyor.inventory.ledger import StockChange
from conveyor.inventory.model import Location, Reservation
from conveyor.inventory.service import LevelView
from conveyor.orders.service import order_ids_of_channel

router = APIRouter(tags=["inventory"])

Qty = Annotated[int, Field(ge=1, le=10_000_000, strict=True)]
# Orders a location can take in a day: far below what the column holds (32-bit).
MAX_DAILY_CAPACITY = 100_000_000


class LocationIn(Strict):
    code: Code
    name: ShortText = Field(min_length=1)
    type: Annotated[str, Field(pattern=r"^(warehouse|store|3pl)$")] = "warehouse"
    address_line1: ShortText = ""
    address_line2: ShortText = ""
    city: Annotated[str, Field(max_length=100)] = ""
    region: Annotated[str, Field(max_length=100)] = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    can_ship: bool = True
    can_pickup: bool = False
    can_return: bool = True
    priority: Annotated[int, Field(ge=0, le=1_000_000)] = 100
    daily_capacity: Annotated[int, Field(ge=0, le=MAX_DAILY_CAPACITY)] | None = None
    active: bool = True


class LocationPatch(Patch):
    nullable = frozenset({"latitude", "longitude", "daily_capacity"})  # null: unknown / no cap

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None  # as when created
    type: Annotated[str, Field(pattern=r"^(warehouse|store|3pl)$")] | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    can_ship: bool | None = None
    can_pickup: bool | None = None
    can_return: bool | None = None
    priority: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    daily_capacity: Annotated[int, Field(ge=0, le=MAX_DAILY_CAPACITY)] | None = None
    active: bool | None = None


class LocationOut(LocationIn):
    id: str


class LevelOut(BaseModel):
    id: str
    sku_id: str
    location_id: str
    on_hand: int
    allocated: int
    reserved: int
    incoming: int
    safety_stock: int
    quarantined: int
    available: int


class LedgerOut(BaseModel):
    id: str
    sku_id: str
    location_id: str
    reason: str
    d_on_hand: int
    d_allocated: int
    d_reserved: int
    d_incoming: int
    d_quarantined: int
    reference_type: str | None
    reference_id: str | None
    note: str
    actor: str
    created_at: datetime


class ReceiptIn(Strict):
    sku: Code
    location: Code
    quantity: Qty
    reference: Annotated[str, Field(max_length=64)] = ""
    note: Annotated[str, Field(max_length=1000)] = ""


class AdjustmentIn(Strict):
    sku: Code
    location: Code
    delta: Annotated[int, Field(ge=-10_000_000, le=10_000_000, strict=True)]
    reason: Annotated[str, Field(pattern=r"^(damaged|lost|found|correction|expired|theft|sample|other)$")]
    note: Annotated[str, Field(max_length=1000)] = ""


class TransferIn(Strict):
    sku: Code
    source: Code
    destination: Code
    quantity: Qty
    note: Annotated[str, Field(max_length=1000)] = ""


class CountIn(Strict):
    location: Code
    counts: Annotated[dict[Code, Annotated[int, Field(ge=0, le=10_000_000, strict=True)]],
                      Field(min_length=1, max_length=5000)]


class SafetyStockIn(Strict):
    sku: Code
    location: Code
    quantity: Annotated[int, Field(ge=0, le=10_000_000, strict=True)]


class ReservationIn(Strict):
    sku: Code
    location: Code
    quantity: Qty
    ttl_seconds: Annotated[int, Field(ge=1, le=2_592_000)] = 900
    reference: Annotated[str, Field(max_length=100)] = ""


class ReservationOut(BaseModel):
    id: str
    sku_id: str
    location_id: str
    quantity: int
    status: str
    reference: str
    expires_at: datetime


def level_out(lv: LevelView) -> LevelOut:
    return LevelOut(id=lv.id, sku_id=lv.sku_id, location_id=lv.location_id, on_hand=lv.on_hand,
                    allocated=lv.allocated, reserved=lv.reserved, incoming=lv.incoming,
                    safety_stock=lv.safety_stock, quarantined=lv.quarantined, available=lv.available)


def location_out(loc: Location) -> LocationOut:
    return LocationOut.model_validate(loc, from_attributes=True)


@router.post("/locations", response_model=LocationOut, status_code=201)
async def create_location(body: LocationIn, request: Request, who: Principal = Depends(require("locations:write")),
                          c: Container = Depends(container)) -> JSONResponse:
    idem = await idempotency_for(request, who, location_out)
    result = await run_in_threadpool(handlers.create_location, c, loc_service.LocationData(**body.model_dump()),
                                     idem)
    return respond(result, location_out, 201, idem)


@router.get("/locations", response_model=list[LocationOut])
def list_locations(_: Principal = Depends(require("locations:read")), c: Container = Depends(container),
                   active: bool | None = None) -> list[LocationOut]:
    with c.reader() as uow:
        return [location_out(loc) for loc in loc_service.list_locations(uow, active)]


@router.get("/locations/{location}", response_model=LocationOut)
def get_location(location: str, _: Principal = Depends(require("locations:read")),
                 c: Container = Depends(container)) -> LocationOut:
    with c.reader() as uow:
        return location_out(loc_service.get_location(uow, location))


@router.patch("/locations/{location}", response_model=LocationOut)
def update_location(location: str, body: LocationPatch, _: Principal = Depends(require("locations:write")),
                    c: Container = Depends(container)) -> LocationOut:
    return location_out(handlers.update_location(c, location, body.model_dump(exclude_unset=True)))


@router.get("/inventory/levels", response_model=PageOut[LevelOut])
def list_levels(_: Principal = Depends(require("inventory:read")), c: Container = Depends(container),
                sku: str | None = None, location: str | None = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> PageOut:
    with c.reader() as uow:
        page = service.list_levels(uow, sku=sku, location=location, limit=limit, cursor=cursor)
        return PageOut(items=[level_out(lv) for lv in page.items], next_cursor=page.next_cursor)


@router.get("/inventory/availability/{sku}")
def availability(sku: str, _: Principal = Depends(require("inventory:read")),
                 c: Container = Depends(container)) -> dict:
    """Available-to-promise per location and in total (kits: derived from their components)."""
    with c.reader() as uow:
        a = service.availability(uow, sku)
        return {"sku": a.sku, "total": a.total, "by_location": a.by_location}


@router.get("/inventory/ledger", response_model=PageOut[LedgerOut])
def list_ledger(who: Principal = Depends(require("inventory:read")), c: Container = Depends(container),
                sku: str | None = None, location: str | None = None, reason: str | None = None,
                reference: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                cursor: str | None = None) -> PageOut:
    with c.reader() as uow:
        # A channel's key sees the ledger entries of its own orders only (others name other orders).
        scoped = order_ids_of_channel(who.channel_id or "") if who.role == Role.CHANNEL else None
        page = service.list_ledger(uow, sku=sku, location=location, reason=reason, reference=reference,
                                   limit=limit, cursor=cursor, only_orders=scoped)
        return PageOut(items=[LedgerOut.model_validate(e, from_attributes=True) for e in page.items],
                       next_cursor=page.next_cursor)


@router.post("/inventory/receipts", response_model=LevelOut, status_code=201)
async def receive(body: ReceiptIn, request: Request, who: Principal = Depends(require("inventory:write")),
                  c: Container = Depends(container)) -> JSONResponse:
    idem = await idempotency_for(request, who, level_out)
    result = await run_in_threadpool(handlers.receive, c, body.sku, body.location, body.quantity, who.actor,
                                     body.reference, body.note, idem)
    return respond(result, level_out, 201, idem)


@router.post("/inventory/adjustments", response_model=LevelOut, status_code=201)
async def adjust(body: AdjustmentIn, request: Request, who: Principal = Depends(require("inventory:write")),
                 c: Container = Depends(container)) -> JSONResponse:
    idem = await idempotency_for(request, who, level_out)
    result = await run_in_threadpool(handlers.adjust, c, body.sku, body.location, body.delta, body.reason,
                                     who.actor, body.note, idem)
    return respond(result, level_out, 201, idem)


class QuarantineIn(Strict):
    sku: Code
    location: Code
    quantity: Annotated[int, Field(ge=1, le=10_000_000, strict=True)]
    action: Literal["release", "scrap"] = Field(description="release: fit to sell again; scrap: write off")
    note: Annotated[str, Field(max_length=500)] = ""


@router.post("/inventory/quarantine", response_model=LevelOut)
def quarantine(body: QuarantineIn, who: Principal = Depends(require("inventory:write")),
               c: Container = Depends(container)) -> LevelOut:
    """Move units out of quarantine (returned damaged or defective): back to sellable stock, or
    written off. Each is a stock ledger entry (`quarantine_release` / `quarantine_scrap`)."""
    return level_out(handlers.move_quarantine(c, body.sku, body.location, body.quantity, body.action, who.actor,
                                              body.note))


@router.post("/inventory/transfers", response_model=list[LevelOut], status_code=201)
async def transfer(body: TransferIn, request: Request, who: Principal = Depends(require("inventory:write")),
                   c: Container = Depends(container)) -> JSONResponse:
    def render(levels: tuple[LevelView, LevelView]) -> list[LevelOut]:
        return [level_out(levels[0]), level_out(levels[1])]

    idem = await idempotency_for(request, who, render)
    result = await run_in_threadpool(handlers.transfer, c, body.sku, body.source, body.destination,
                                     body.quantity, who.actor, body.note, idem)
    return respond(result, render, 201, idem)


@router.post("/inventory/counts", status_code=201)
async def count(body: CountIn, request: Request, who: Principal = Depends(require("inventory:write")),
                c: Container = Depends(container)) -> JSONResponse:
    def render(changes: list[StockChange]) -> dict:
        return {"location": body.location, "changed": len(changes),
                "deltas": [{"sku_id": ch.sku_id, "delta": ch.d_on_hand} for ch in changes]}

    idem = await idempotency_for(request, who, render)
    result = await run_in_threadpool(handlers.cycle_count, c, body.location, body.counts, who.actor, idem)
    return respond(result, render, 201, idem)


@router.put("/inventory/safety-stock", response_model=LevelOut)
def safety_stock(body: SafetyStockIn, _: Principal = Depends(require("inventory:write")),
                 c: Container = Depends(container)) -> LevelOut:
    return level_out(handlers.set_safety_stock(c, body.sku, body.location, body.quantity))


@router.post("/inventory/reservations", response_model=ReservationOut, status_code=201)
async def reserve(body: ReservationIn, request: Request, who: Principal = Depends(require("inventory:write")),
                  c: Container = Depends(container)) -> JSONResponse:
    def render(r: Reservation) -> ReservationOut:
        return ReservationOut.model_validate(r, from_attributes=True)

    idem = await idempotency_for(request, who, render)
    result = await run_in_threadpool(handlers.reserve, c, body.sku, body.location, body.quantity,
                                     body.ttl_seconds, body.reference, who.actor, idem)
    return respond(result, render, 201, idem)


@router.delete("/inventory/reservations/{reservation_id}", response_model=ReservationOut)
def release(reservation_id: str, who: Principal = Depends(require("inventory:write")),
            c: Container = Depends(container)) -> ReservationOut:
    return ReservationOut.model_validate(handlers.release_reservation(c, reservation_id, who.actor),
                                         from_attributes=True)


class HotSkuIn(Strict):
    sku: Code
    location: Code
    buckets: Annotated[int, Field(ge=2, le=64, strict=True)] | None = Field(
        8, description="how many buckets to split the free stock over; null turns hot mode off")


@router.put("/inventory/hot-skus")
def hot_sku(body: HotSkuIn, who: Principal = Depends(require("inventory:write")),
            c: Container = Depends(container)) -> dict:
    """Hot-SKU mode for a flash sale: the SKU's free stock at the location is split over buckets so
    concurrent orders don't queue on one row (docs/operations.md). `buckets: null` folds them back."""
    in_buckets = handlers.set_hot_mode(c, body.sku, body.location, body.buckets, who.actor)
    return {"sku": body.sku, "location": body.location, "hot": body.buckets is not None, "buckets": body.buckets,
            "units_in_buckets": in_buckets}
