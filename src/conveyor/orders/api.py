"""Order endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from conveyor.api.deps import container, idempotency_claim, require
from conveyor.api.schemas import PageOut
from conveyor.auth.roles import Role
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.channels.service import channel_code_for
from conveyor.orders import operations, service
from conveyor.orders.placement import place_order
from conveyor.orders.schemas import (
    CancelIn,
    DeliverIn,
    EventOut,
    HoldIn,
    NoteIn,
    OrderIn,
    OrderOut,
    ShipIn,
    TagsIn,
    render_order,
)
from conveyor.shared.errors import DomainError, ErrorCode

router = APIRouter(prefix="/orders", tags=["orders"])


def scope(who: Principal) -> str | None:
    """Channel keys see only their channel's orders; everyone else sees all."""
    return who.channel_id if who.role == Role.CHANNEL else None


def _json(order, status: int = 200) -> JSONResponse:
    return JSONResponse(render_order(order), status_code=status)


@router.post("", response_model=OrderOut, status_code=201, responses={200: {"model": OrderOut}})
async def create_order(body: OrderIn, request: Request, who: Principal = Depends(require("orders:create")),
                       c: Container = Depends(container)) -> JSONResponse:
    """Place an order. 201 when created; 200 with the existing order when the channel already sent
    this `external_id`, or when an `Idempotency-Key` is replayed."""
    claim = await idempotency_claim(request, who)
    return await _run_sync(_create, body, claim, who, c)


async def _run_sync(fn, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _create(body: OrderIn, claim, who: Principal, c: Container) -> JSONResponse:
    with c.uow() as uow:
        channel = _channel_for(uow, body.channel, who)
        result = place_order(uow, body.to_command(channel), actor=who.actor,
                             default_policy=c.settings.backorder_policy,
                             max_lines=c.settings.max_order_lines, idempotency=claim, render=render_order)
    if result.replay is not None:
        return JSONResponse(result.replay.body, status_code=result.replay.status_code,
                            headers={"Idempotent-Replayed": "true"})
    return _json(result.order, 201 if result.created else 200)


def _channel_for(uow, requested: str | None, who: Principal) -> str:
    if who.role == Role.CHANNEL:
        own = channel_code_for(uow, who.channel_id)
        if requested not in (None, own):
            raise DomainError(ErrorCode.FORBIDDEN, "a channel key may only place orders for its own channel")
        return own
    if not requested:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "channel is required")
    return requested


@router.get("", response_model=PageOut[OrderOut])
def list_orders(
    who: Principal = Depends(require("orders:read")), c: Container = Depends(container),
    status: str | None = None, channel: str | None = None,
    created_from: datetime | None = None, created_to: datetime | None = None,
    sku: str | None = None, email: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="free text: id, external id, name, e-mail")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None,
) -> JSONResponse:
    with c.reader() as uow:
        page = service.list_orders(uow, limit=limit, cursor=cursor, scope_channel_id=scope(who), status=status,
                                   channel=channel, created_from=created_from, created_to=created_to, sku=sku,
                                   email=email, q=q)
        return JSONResponse({"items": [render_order(o) for o in page.items], "next_cursor": page.next_cursor})


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: str, who: Principal = Depends(require("orders:read")),
              c: Container = Depends(container)) -> JSONResponse:
    with c.reader() as uow:
        return _json(service.get_order(uow, order_id, scope(who)))


@router.get("/{order_id}/timeline", response_model=list[EventOut])
def get_timeline(order_id: str, who: Principal = Depends(require("orders:read")),
                 c: Container = Depends(container)) -> list[EventOut]:
    with c.reader() as uow:
        return [EventOut.model_validate(e, from_attributes=True)
                for e in service.timeline(uow, order_id, scope(who))]


@router.get("/{order_id}/routing")
def get_routing(order_id: str, who: Principal = Depends(require("orders:read")),
                c: Container = Depends(container)) -> dict:
    """Why the order was allocated where it was: every routing decision, newest last."""
    with c.reader() as uow:
        events = service.timeline(uow, order_id, scope(who))
    decisions = [{"event": e.type, "at": e.created_at, **e.data["routing"]}
                 for e in events if (e.data or {}).get("routing")]
    return {"order_id": order_id, "decisions": decisions}


@router.post("/{order_id}/cancel", response_model=OrderOut)
def cancel(order_id: str, body: CancelIn, who: Principal = Depends(require("orders:write")),
           c: Container = Depends(container)) -> JSONResponse:
    with c.uow() as uow:
        return _json(operations.cancel_order(uow, order_id, lines=body.lines, reason=body.reason,
                                             actor=who.actor, scope_channel_id=scope(who)))


@router.post("/{order_id}/hold", response_model=OrderOut)
def hold(order_id: str, body: HoldIn, who: Principal = Depends(require("orders:write")),
         c: Container = Depends(container)) -> JSONResponse:
    with c.uow() as uow:
        return _json(service.hold_order(uow, order_id, body.reason, who.actor, scope(who)))


@router.post("/{order_id}/release", response_model=OrderOut)
def release(order_id: str, who: Principal = Depends(require("orders:write")),
            c: Container = Depends(container)) -> JSONResponse:
    with c.uow() as uow:
        return _json(service.release_hold(uow, order_id, who.actor, scope(who)))


@router.post("/{order_id}/notes", response_model=OrderOut)
def add_note(order_id: str, body: NoteIn, who: Principal = Depends(require("orders:write")),
             c: Container = Depends(container)) -> JSONResponse:
    with c.uow() as uow:
        return _json(service.add_note(uow, order_id, body.text, who.actor, scope(who)))


@router.post("/{order_id}/tags", response_model=OrderOut)
def tags(order_id: str, body: TagsIn, who: Principal = Depends(require("orders:write")),
         c: Container = Depends(container)) -> JSONResponse:
    with c.uow() as uow:
        return _json(service.change_tags(uow, order_id, body.add, body.remove, who.actor, scope(who)))


@router.post("/{order_id}/shipments", status_code=201)
async def ship(order_id: str, body: ShipIn, request: Request, who: Principal = Depends(require("orders:fulfil")),
               c: Container = Depends(container)) -> JSONResponse:
    """Record a shipment of allocated units from one location (the fulfilment issue builds the
    pick/pack flow on top of this). Accepts an Idempotency-Key."""
    from conveyor.api.idempotency import idempotent

    return await idempotent(request, who, c, 201, lambda uow: _ship(uow, order_id, body, who))


def _ship(uow, order_id: str, body: ShipIn, who: Principal) -> dict:
    from conveyor.inventory.locations import resolve_location

    location = resolve_location(uow, body.location)
    shipment = operations.ship_order(uow, order_id, location_id=location.id, lines=body.lines,
                                     carrier=body.carrier, tracking_number=body.tracking_number,
                                     actor=who.actor, scope_channel_id=scope(who))
    return {"id": shipment.id, "order_id": order_id, "location_id": location.id, "items": shipment.items,
            "carrier": shipment.carrier, "tracking_number": shipment.tracking_number}


@router.post("/{order_id}/deliver", response_model=OrderOut)
def deliver(order_id: str, body: DeliverIn, who: Principal = Depends(require("orders:fulfil")),
            c: Container = Depends(container)) -> JSONResponse:
    with c.uow() as uow:
        return _json(operations.deliver_shipment(uow, order_id, body.shipment_id, who.actor, scope(who)))


@router.post("/{order_id}/complete", response_model=OrderOut)
def complete(order_id: str, who: Principal = Depends(require("orders:fulfil")),
             c: Container = Depends(container)) -> JSONResponse:
    with c.uow() as uow:
        return _json(operations.complete_order(uow, order_id, who.actor, scope(who)))
