"""Order endpoints."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from contextvars import Context, copy_context
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, cast

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.personal import document_view, may_read, order_view, orders_view
from conveyor.api.schemas import PageOut, Timestamp
from conveyor.auth.roles import Role
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.channels.service import channel_code_for, get_channel
from conveyor.orders import handlers, service
from conveyor.orders.commands import PlaceOrder
from conveyor.orders.model import Shipment
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
from conveyor.shared.handlers import Idempotency, Replayed
from conveyor.shared.pii import mask_order

router = APIRouter(prefix="/orders", tags=["orders"])


def scope(who: Principal) -> str | None:
    """Channel keys see only their channel's orders; everyone else sees all."""
    return who.channel_id if who.role == Role.CHANNEL else None


def _json(order, who: Principal, status: int = 200) -> JSONResponse:
    return JSONResponse(order_view(who, "order")(render_order(order)), status_code=status)


@router.post("", response_model=OrderOut, status_code=201, responses={200: {"model": OrderOut}})
async def create_order(body: OrderIn, request: Request, who: Principal = Depends(require("orders:create")),
                       c: Container = Depends(container)) -> JSONResponse:
    """Place an order. 201 when created; 200 with the existing order when the channel already sent
    this `external_id`, or when an `Idempotency-Key` is replayed."""
    render = _renderer(who)
    idem = await idempotency_for(request, who, render)
    return await _placer(request, c).place(_Placing(body, who, render, idem, copy_context()))


@dataclass(slots=True)
class _Placing:
    """One POST /orders waiting to be placed."""
    body: OrderIn
    who: Principal
    render: Callable[[Any], Any]
    idem: Idempotency[Any] | None
    context: Context  # the request's: its id goes on what its order writes, and on its log lines

    @property
    def joins_others(self) -> bool:
        """May share a transaction with other orders (`handlers.place_together`): not when its
        Idempotency-Key is claimed in its own transaction, nor when it pays at placement."""
        return self.idem is None and self.body.payment is None


class _Placer:
    """A worker's orders, placed on at most `placement_threads` threads at once. Orders that
    arrive while every thread is busy wait here, and the next free thread places those waiting
    together, up to `placement_batch` in one transaction (decisions 41): under load a worker
    writes several orders per transaction, and alone an order is placed at once, as before.
    Lives on the worker's event loop (made on first use); only the loop touches its queue."""

    def __init__(self, c: Container) -> None:
        self.c = c
        self.threads = placement_threads(c)
        self.batch = c.settings.placement_batch
        self.waiting: deque[tuple[_Placing, asyncio.Future[JSONResponse]]] = deque()
        self.running: set[asyncio.Task[None]] = set()

    async def place(self, placing: _Placing) -> JSONResponse:
        answer: asyncio.Future[JSONResponse] = asyncio.get_running_loop().create_future()
        self.waiting.append((placing, answer))
        self._start()
        return await answer

    def _start(self) -> None:
        while len(self.running) < self.threads and self.waiting:
            batch = [self.waiting.popleft()]
            while (batch[0][0].joins_others and self.waiting and len(batch) < self.batch
                   and self.waiting[0][0].joins_others):
                batch.append(self.waiting.popleft())
            # A batch's own context is empty: each order runs in its request's (`_place`).
            task = asyncio.get_running_loop().create_task(self._run(batch), context=Context())
            self.running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.running.discard(task)
        self._start()

    async def _run(self, batch: list[tuple[_Placing, asyncio.Future[JSONResponse]]]) -> None:
        answers = [answer for _, answer in batch]
        outcomes: list[JSONResponse | Exception] = []
        try:
            outcomes = await anyio.to_thread.run_sync(partial(_place, self.c, [p for p, _ in batch]))
        except Exception as exc:  # noqa: BLE001 - every waiting request answers with it
            outcomes = [exc] * len(batch)
        finally:
            if len(outcomes) != len(answers):  # cancelled while placing (the worker stopping)
                for answer in answers:
                    answer.cancel()  # nobody is left waiting for an answer that will not come
        for answer, outcome in zip(answers, outcomes, strict=True):
            if answer.done():  # its request went away
                continue
            if isinstance(outcome, BaseException):
                answer.set_exception(outcome)
            else:
                answer.set_result(outcome)


def _placer(request: Request, c: Container) -> _Placer:
    state = request.app.state
    placer = getattr(state, "placer", None)
    if placer is None:
        placer = state.placer = _Placer(c)
    return placer


def placement_threads(c: Container) -> int:
    """Orders one worker places at once: as configured, else 1 on SQLite and 2 on PostgreSQL.
    SQLite's writers take turns (WriterQueue), and its throughput is one over the turn: a second
    placing thread in the worker routes the next order under the same GIL as the writer and
    stretches the turn, while with one thread a worker routes while the other worker writes."""
    return c.settings.placement_threads or (1 if c.db.is_sqlite else 2)


def _renderer(who: Principal):  # noqa: ANN202
    """render_order, masked for callers without `pii:read` (what a replay returns is stored so).
    Not logged as a read: the answer to a placement echoes what the caller just sent (and the
    hot path stays free of a log line per order)."""
    if may_read(who):
        return render_order
    return lambda order: mask_order(render_order(order))


def _place(c: Container, batch: list[_Placing]) -> list[JSONResponse | Exception]:
    """Place `batch` (on a worker thread): one order as `_create` places it; several together.
    Each request's answer, or the error it answers with."""
    if len(batch) == 1:
        only = batch[0]
        try:
            return [only.context.run(_create, only.body, only.idem, only.who, c, only.render)]
        except Exception as exc:  # noqa: BLE001 - raised again in the request's own task
            return [exc]
    outcomes: list[JSONResponse | Exception | None] = [None] * len(batch)
    orders, positions = [], []
    for n, placing in enumerate(batch):
        try:
            cmd = placing.context.run(_command_for, c, placing)
        except Exception as exc:  # noqa: BLE001 - this order's answer; the others go on
            outcomes[n] = exc
            continue
        orders.append((cmd, placing.who.actor))
        positions.append(n)
    contexts = [batch[n].context for n in positions]
    for n, outcome in zip(positions, handlers.place_together(c, orders, contexts), strict=True):
        outcomes[n] = outcome if isinstance(outcome, DomainError) else respond(
            outcome.order, batch[n].render, 201 if outcome.created else 200)
    assert all(outcome is not None for outcome in outcomes)
    return cast(list[JSONResponse | Exception], outcomes)


def _command_for(c: Container, placing: _Placing) -> PlaceOrder:
    return placing.body.to_command(_channel_for(c, placing.body.channel, placing.who))


def _create(body: OrderIn, idem, who: Principal, c: Container, render) -> JSONResponse:  # noqa: ANN001
    channel = _channel_for(c, body.channel, who)
    result = handlers.place_order(c, body.to_command(channel), actor=who.actor, idempotency=idem)
    if isinstance(result, Replayed):
        return respond(result, render, 201, idem)
    return respond(result.order, render, 201 if result.created else 200, idem)


def _channel_for(c: Container, requested: str | None, who: Principal) -> str:
    """The channel an order is placed for: a channel key's own (read from the database), else the
    one the body names."""
    if who.role == Role.CHANNEL:
        with c.reader() as uow:
            own = channel_code_for(uow, who.channel_id or "")
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
    created_from: Timestamp | None = None, created_to: Timestamp | None = None,
    sku: str | None = None, email: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="free text: id, external id, name, e-mail")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None,
) -> JSONResponse:
    with c.reader() as uow:
        channel_id = _channel_id(uow, channel) if channel else None
        page = service.list_orders(uow, limit=limit, cursor=cursor, scope_channel_id=scope(who), status=status,
                                   channel_id=channel_id, created_from=created_from, created_to=created_to,
                                   sku=sku, email=email, q=q)
        items = orders_view(who, "order list", [render_order(o) for o in page.items])
        return JSONResponse({"items": items, "next_cursor": page.next_cursor})


def _channel_id(uow, channel: str) -> str:  # noqa: ANN001
    """A channel filter by code or id; an unknown one matches nothing."""
    from conveyor.shared.errors import NotFound

    try:
        return get_channel(uow, channel).id
    except NotFound:
        return "-"


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: str, who: Principal = Depends(require("orders:read")),
              c: Container = Depends(container)) -> JSONResponse:
    """The order with its fulfilment orders (where each part ships from, how far it got) and
    its shipments."""
    from conveyor.fulfillment import service as fulfilment
    from conveyor.fulfillment import views

    with c.reader() as uow:
        order = service.get_order(uow, order_id, scope(who))
        shipments = uow.session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id))
        fulfilment_orders = [views.fulfilment_order(fo) for fo in fulfilment.for_order(uow, order.id)]
        body = {**render_order(order), "fulfilment_orders": fulfilment_orders,
                "shipments": [views.shipment(s) for s in shipments]}
        return JSONResponse(order_view(who, "order")(body))


@router.get("/{order_id}/timeline", response_model=list[EventOut])
def get_timeline(order_id: str, who: Principal = Depends(require("orders:read")),
                 c: Container = Depends(container)) -> list[EventOut]:
    with c.reader() as uow:
        events = [EventOut.model_validate(e, from_attributes=True)
                  for e in service.order_timeline(uow, order_id, scope(who))]
    # Channel updates put contact details and addresses on the timeline.
    for event in events:
        if event.data:
            event.data = document_view(who, "timeline", [order_id], event.data)
    return events


@router.get("/{order_id}/routing")
def get_routing(order_id: str, who: Principal = Depends(require("orders:read")),
                c: Container = Depends(container)) -> dict:
    """Why the order was allocated where it was: every routing decision, newest last."""
    with c.reader() as uow:
        events = service.order_timeline(uow, order_id, scope(who))
    decisions = [{"event": e.type, "at": e.created_at, **e.data["routing"]}
                 for e in events if (e.data or {}).get("routing")]
    return {"order_id": order_id, "decisions": decisions}


@router.post("/{order_id}/cancel", response_model=OrderOut)
def cancel(order_id: str, body: CancelIn, who: Principal = Depends(require("orders:write")),
           c: Container = Depends(container)) -> JSONResponse:
    return _json(handlers.cancel_order(c, order_id, lines=body.lines, reason=body.reason, actor=who.actor,
                                       scope_channel_id=scope(who)), who)


@router.post("/{order_id}/hold", response_model=OrderOut)
def hold(order_id: str, body: HoldIn, who: Principal = Depends(require("orders:write")),
         c: Container = Depends(container)) -> JSONResponse:
    return _json(handlers.hold_order(c, order_id, body.reason, who.actor, scope(who), until=body.until), who)


@router.post("/{order_id}/release", response_model=OrderOut)
def release(order_id: str, who: Principal = Depends(require("orders:write")),
            c: Container = Depends(container)) -> JSONResponse:
    return _json(handlers.release_hold(c, order_id, who.actor, scope(who)), who)


@router.post("/{order_id}/notes", response_model=OrderOut)
def add_note(order_id: str, body: NoteIn, who: Principal = Depends(require("orders:write")),
             c: Container = Depends(container)) -> JSONResponse:
    return _json(handlers.add_note(c, order_id, body.text, who.actor, scope(who)), who)


@router.post("/{order_id}/tags", response_model=OrderOut)
def tags(order_id: str, body: TagsIn, who: Principal = Depends(require("orders:write")),
         c: Container = Depends(container)) -> JSONResponse:
    return _json(handlers.change_tags(c, order_id, body.add, body.remove, who.actor, scope(who)), who)


@router.post("/{order_id}/shipments", status_code=201)
async def ship(order_id: str, body: ShipIn, request: Request, who: Principal = Depends(require("orders:fulfil")),
               c: Container = Depends(container)) -> JSONResponse:
    """Record a shipment of allocated units from one location, typed in by hand (the pick/pack
    flow is /fulfilment-orders). Refused (422) without a carrier, without a tracking number, with
    a number failing its carrier's check digit, or for an order without a shipping address —
    unless `override_reason` says why. Accepts an Idempotency-Key."""
    from conveyor.fulfillment.handlers import record_manual_shipment

    idem = await idempotency_for(request, who, _shipment_out)
    result = await run_in_threadpool(lambda: record_manual_shipment(
        c, order_id, location=body.location, lines=body.lines, carrier=body.carrier,
        tracking_number=body.tracking_number, override_reason=body.override_reason, actor=who.actor,
        scope_channel_id=scope(who), idempotency=idem))
    return respond(result, _shipment_out, 201, idem)


def _shipment_out(shipment: Shipment) -> dict:
    return {"id": shipment.id, "order_id": shipment.order_id, "location_id": shipment.location_id,
            "items": [{"line_id": i["line_id"], "quantity": i["quantity"]} for i in shipment.items],
            "carrier": shipment.carrier, "tracking_number": shipment.tracking_number}


@router.post("/{order_id}/deliver", response_model=OrderOut)
def deliver(order_id: str, body: DeliverIn, who: Principal = Depends(require("orders:fulfil")),
            c: Container = Depends(container)) -> JSONResponse:
    return _json(handlers.deliver(c, order_id, body.shipment_id, who.actor, scope(who)), who)


@router.post("/{order_id}/out-for-delivery", response_model=OrderOut)
def out_for_delivery(order_id: str, body: DeliverIn, who: Principal = Depends(require("orders:fulfil")),
                     c: Container = Depends(container)) -> JSONResponse:
    """The carrier reports the last mile for a shipment (the latest when not named): the customer
    is told by e-mail."""
    return _json(handlers.out_for_delivery(c, order_id, body.shipment_id, who.actor), who)


@router.post("/{order_id}/complete", response_model=OrderOut)
def complete(order_id: str, who: Principal = Depends(require("orders:fulfil")),
             c: Container = Depends(container)) -> JSONResponse:
    return _json(handlers.complete(c, order_id, who.actor, scope(who)), who)
