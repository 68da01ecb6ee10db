"""Routing endpoints: the configuration (strategies and rules per channel), a preview of what
would happen to a hypothetical order, and re-routing an order away from a location."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse
from pydantic import Field

from conveyor.api.deps import container, require
from conveyor.api.personal import order_view
from conveyor.api.schemas import Code, Strict
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.catalog.service import sku_facts
from conveyor.orders import handlers, routing_store
from conveyor.orders import routing_bridge as bridge
from conveyor.orders.api import scope
from conveyor.orders.schemas import AddressIn, render_order
from conveyor.routing.model import Destination, RoutingRequest
from conveyor.routing.rules import plan_order

router = APIRouter(tags=["routing"])


class PreviewLine(Strict):
    sku: Code
    quantity: Annotated[int, Field(ge=1, le=1_000_000, strict=True)]


class PreviewIn(Strict):
    channel: Code = Field("", description="Channel code whose rules apply; empty: the default rules")
    lines: Annotated[list[PreviewLine], Field(min_length=1, max_length=500)]
    shipping_address: AddressIn = AddressIn()
    strategy: Annotated[str, Field(max_length=30)] | None = Field(
        None, description="Try another strategy instead of the channel's")


class RerouteIn(Strict):
    location: Code = Field(description="The location that rejected or short-picked")
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    lines: dict[str, Annotated[int, Field(ge=1, strict=True)]] | None = Field(
        None, description="{line id: units} the location cannot ship; omit for everything it holds")


@router.get("/routing/config")
def get_config(_: Principal = Depends(require("routing:read")), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        return routing_store.load(uow).to_dict()


@router.put("/routing/config")
def put_config(document: Annotated[dict[str, Any], Body()], who: Principal = Depends(require("routing:write")),
               c: Container = Depends(container)) -> dict:
    """Replace the routing configuration (see docs/routing.md for the format). Validated whole:
    a bad document is a 422 and the old one stays."""
    return handlers.save_routing_config(c, document, who.actor).to_dict()


@router.post("/routing/preview")
def preview(body: PreviewIn, _: Principal = Depends(require("routing:read")),
            c: Container = Depends(container)) -> dict:
    """What routing would do with this order right now, with every candidate and why — nothing
    is reserved or written."""
    with c.reader() as uow:
        skus = sku_facts(uow, [li.sku for li in body.lines])
        bridge.check_skus([li.sku for li in body.lines], skus)
        lines = tuple(bridge.request_line(f"line{n}", skus[li.sku], li.quantity, 0)
                      for n, li in enumerate(body.lines, start=1))
        a = body.shipping_address
        destination = Destination(a.country, a.postal_code, a.region, a.latitude, a.longitude)
        candidates = bridge.snapshot_candidates(uow, {c.sku_id for line in lines for c in line.components})
        plan = plan_order(RoutingRequest(lines, destination, body.channel), candidates,
                          bridge.channel_config(uow, body.channel, body.strategy))
    return {"lines": [{"line_id": line.line_id, "sku": li.sku, "quantity": li.quantity}
                      for line, li in zip(lines, body.lines, strict=True)], **plan.explanation()}


@router.post("/orders/{order_id}/reroute")
def reroute(order_id: str, body: RerouteIn, who: Principal = Depends(require("orders:fulfil")),
            c: Container = Depends(container)) -> JSONResponse:
    """A location rejected or short-picked: release its units and route them again elsewhere."""
    order = handlers.reroute(c, order_id, body.location, who.actor, body.reason, body.lines, scope(who))
    return JSONResponse(order_view(who, "order")(render_order(order)))
