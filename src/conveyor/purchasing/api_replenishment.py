"""Replenishment (settings, suggested POs as JSON or CSV, automatic creation, alerts, promisable
stock), planned transfers and drop-ship endpoints."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.idempotency import idempotency_for, respond
from conveyor.api.schemas import Code, Strict
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.catalog.service import get_sku, sku_codes
from conveyor.inventory.locations import list_locations, resolve_location
from conveyor.planning.api import csv_response
from conveyor.purchasing import dropship, handlers, review, settings, suppliers, transfers
from conveyor.purchasing.alerts import AlertSettings
from conveyor.purchasing.model import DropShipFlag, PlannedTransfer, PurchaseOrder
from conveyor.shared.clock import utcnow
from conveyor.shared.money import format_minor

router = APIRouter(tags=["replenishment"])

Level = Annotated[int, Field(ge=0, le=10_000_000, strict=True)]


class SettingIn(Strict):
    sku: Code
    location: Code
    method: Literal["min_max", "reorder_point", "periodic", "forecast"] = "min_max"
    minimum: Level = 0
    maximum: Level = 0
    reorder_point: Level = 0
    order_up_to: Level = 0
    service_level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    review_days: Annotated[int, Field(ge=0, le=365, strict=True)] = 0
    next_review_on: date | None = None
    cover_days: Annotated[int, Field(ge=0, le=365, strict=True)] = 14
    promise_incoming: bool = False


class RunIn(Strict):
    send: bool = False


class TransferIn(Strict):
    sku: Code
    source: Code
    destination: Code
    quantity: Annotated[int, Field(ge=1, le=10_000_000, strict=True)]
    expected_on: date | None = None
    note: Annotated[str, Field(max_length=1000)] = ""


class FlagIn(Strict):
    scope: Literal["sku", "channel"]
    target: Code  # a SKU code or a channel code
    supplier: Code


def _names(c: Container, sku_ids: list[str], supplier_ids: Collection[str] = (),
           ) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Codes of SKUs, locations and suppliers by id (responses speak codes)."""
    with c.reader() as uow:
        sup = {sid: suppliers.get_supplier(uow, sid).code for sid in supplier_ids}
        return sku_codes(uow, sku_ids), {loc.id: loc.code for loc in list_locations(uow)}, sup


@router.put("/replenishment/settings")
def set_setting(body: SettingIn, _: Principal = Depends(require("purchasing:write")),
                c: Container = Depends(container)) -> dict:
    data = settings.SettingData(**body.model_dump(exclude={"sku", "location"}))
    return settings.setting_out(handlers.set_replenishment(c, body.sku, body.location, data))


@router.get("/replenishment/settings")
def list_settings(_: Principal = Depends(require("purchasing:read")), c: Container = Depends(container),
                  sku: str | None = None, location: str | None = None) -> list[dict]:
    with c.reader() as uow:
        sku_ids = [get_sku(uow, sku).id] if sku else None
        location_ids = [resolve_location(uow, location).id] if location else None
        return [settings.setting_out(s) for s in settings.list_settings(uow, sku_ids, location_ids)]


@router.delete("/replenishment/settings", status_code=204)
def remove_setting(sku: str, location: str, _: Principal = Depends(require("purchasing:write")),
                   c: Container = Depends(container)) -> Response:
    handlers.remove_replenishment(c, sku, location)
    return Response(status_code=204)


@router.get("/replenishment/suggestions", responses={200: {"content": {"text/csv": {}}}})
def suggestions(_: Principal = Depends(require("purchasing:read")), c: Container = Depends(container),
                format: Literal["json", "csv"] = "json") -> Response:
    """Suggested purchase orders, one per supplier × receiving location × currency, with each line's reason."""
    with c.reader() as uow:
        found = review.review(uow, utcnow().date()).suggestions()
    skus, locs, sups = _names(c, [li.sku_id for o in found.orders for li in o.lines] +
                              [u.sku_id for u in found.unsourced], {o.supplier_id for o in found.orders})
    orders: list[dict[str, Any]] = [
        {"supplier": sups.get(o.supplier_id, o.supplier_id), "location": locs.get(o.location_id),
               "currency": o.currency, "total": format_minor(o.total.minor, o.currency),
               "expected_on": o.expected_on.isoformat(),
               "lines": [{"sku": skus.get(li.sku_id), "supplier_sku": li.supplier_sku, "needed": li.needed,
                          "quantity": li.quantity, "packs": li.packs, "unit_cost": li.unit_cost.amount,
                          "line_total": li.line_total.amount, "reason": li.reason} for li in o.lines]}
              for o in found.orders]
    if format == "csv":
        fields = ["supplier", "location", "currency", "expected_on", "sku", "supplier_sku", "needed", "quantity",
                  "packs", "unit_cost", "line_total", "reason"]
        rows: list[list[Any]] = [fields] + [[o[f] if f in o else li[f] for f in fields]
                                            for o in orders for li in o["lines"]]
        return csv_response(rows, "suggested-purchase-orders.csv")
    return JSONResponse({"orders": orders, "unsourced": [
        {"sku": skus.get(u.sku_id), "location": locs.get(u.location_id), "needed": u.needed} for u in found.unsourced]})


def _po_brief(po: PurchaseOrder) -> dict[str, Any]:
    return {"id": po.id, "number": po.number, "status": po.status, "supplier_id": po.supplier_id,
            "total": format_minor(po.total_minor, po.currency), "currency": po.currency}


@router.post("/replenishment/run")
async def run_replenishment(body: RunIn, request: Request, who: Principal = Depends(require("purchasing:write")),
                            c: Container = Depends(container)) -> JSONResponse:
    """Create (and with `send`, send) the suggested purchase orders now (Idempotency-Key honoured)."""
    def render(created: list[PurchaseOrder]) -> dict:
        return {"created": [_po_brief(po) for po in created]}

    idem = await idempotency_for(request, who, render, 200)
    result = await run_in_threadpool(handlers.auto_replenish, c, who.actor, body.send, None, idem)
    return respond(result, render, 200, idem)


@router.get("/replenishment/alerts")
def alerts(_: Principal = Depends(require("purchasing:read")), c: Container = Depends(container),
           overstock_days: Annotated[float, Query(gt=0, le=3650)] = 180,
           overstock_margin: Annotated[float, Query(ge=0, le=100)] = 0.5) -> list[dict]:
    """Out-of-stock, low-stock and overstock alerts for every SKU×location with a setting."""
    with c.reader() as uow:
        found = review.review(uow, utcnow().date()).alerts(AlertSettings(overstock_days, overstock_margin))
    skus, locs, _suppliers = _names(c, [a.sku_id for a in found])
    return [{"sku": skus.get(a.sku_id), "location": locs.get(a.location_id), "kind": str(a.kind),
             "reason": a.reason, "available": a.available, "position": a.position,
             "stockout_on": a.stockout_on.isoformat() if a.stockout_on else None,
             "days_of_supply": a.days_of_supply} for a in found]


@router.get("/replenishment/availability/{sku}")
def promisable(sku: str, _: Principal = Depends(require("inventory:read")), c: Container = Depends(container)) -> dict:
    """Per location: available stock, incoming, and what may be promised (incoming counts only where
    the SKU's replenishment setting there says `promise_incoming`)."""
    with c.reader() as uow:
        s = get_sku(uow, sku)
        per = review.incoming_promise(uow, s.id)
        codes = {loc.id: loc.code for loc in list_locations(uow)}
    return {"sku": s.code, "by_location": {codes.get(k, k): v for k, v in per.items()},
            "promisable": sum(v["promisable"] for v in per.values())}


# --- planned transfers --------------------------------------------------------------------------------------

def transfer_out(t: PlannedTransfer) -> dict[str, Any]:
    return {"id": t.id, "sku_id": t.sku_id, "from_location_id": t.from_location_id, "to_location_id": t.to_location_id,
            "quantity": t.quantity, "status": t.status, "note": t.note,
            "expected_on": t.expected_on.isoformat() if t.expected_on else None,
            "shipped_at": t.shipped_at.isoformat() if t.shipped_at else None,
            "received_at": t.received_at.isoformat() if t.received_at else None}


@router.post("/transfers", status_code=201)
async def plan_transfer(body: TransferIn, request: Request, who: Principal = Depends(require("inventory:write")),
                        c: Container = Depends(container)) -> JSONResponse:
    idem = await idempotency_for(request, who, transfer_out)
    result = await run_in_threadpool(handlers.plan_transfer, c, body.sku, body.source, body.destination,
                                     body.quantity, who.actor, body.expected_on, body.note, idem)
    return respond(result, transfer_out, 201, idem)


@router.get("/transfers")
def list_transfers(_: Principal = Depends(require("inventory:read")), c: Container = Depends(container),
                   status: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   cursor: str | None = None) -> dict:
    with c.reader() as uow:
        page = transfers.list_transfers(uow, limit, cursor, status)
        return {"items": [transfer_out(t) for t in page.items], "next_cursor": page.next_cursor}


@router.post("/transfers/{transfer_id}/{action}")
def move_transfer(transfer_id: str, action: Literal["ship", "receive", "cancel"],
                  who: Principal = Depends(require("inventory:write")), c: Container = Depends(container)) -> dict:
    """ship: stock leaves the source and is incoming at the destination; receive: on hand there
    (waiting orders are allocated); cancel: only a planned transfer."""
    if action == "ship":
        return transfer_out(handlers.ship_transfer(c, transfer_id, who.actor))
    if action == "receive":
        return transfer_out(handlers.receive_transfer(c, transfer_id, who.actor))
    return transfer_out(handlers.cancel_transfer(c, transfer_id))


# --- drop-ship -------------------------------------------------------------------------------------------------

def flag_out(f: DropShipFlag) -> dict[str, Any]:
    return {"id": f.id, "scope": f.scope, "target_id": f.target_id, "supplier_id": f.supplier_id}


@router.put("/drop-ship/flags")
def set_flag(body: FlagIn, _: Principal = Depends(require("purchasing:write")),
             c: Container = Depends(container)) -> dict:
    return flag_out(handlers.set_drop_ship_flag(c, body.scope, body.target, body.supplier))


@router.get("/drop-ship/flags")
def list_flags(_: Principal = Depends(require("purchasing:read")), c: Container = Depends(container)) -> list[dict]:
    with c.reader() as uow:
        return [flag_out(f) for f in dropship.list_flags(uow)]


@router.delete("/drop-ship/flags/{flag_id}", status_code=204)
def remove_flag(flag_id: str, _: Principal = Depends(require("purchasing:write")),
                c: Container = Depends(container)) -> Response:
    handlers.remove_drop_ship_flag(c, flag_id)
    return Response(status_code=204)


@router.post("/drop-ship/orders/{order_id}")
def drop_ship_order(order_id: str, who: Principal = Depends(require("purchasing:write")),
                    c: Container = Depends(container)) -> dict:
    """Send drop-ship POs for what this order waits for on flagged SKUs or a flagged channel."""
    return {"created": [_po_brief(po) for po in handlers.drop_ship_order(c, order_id, who.actor)]}
