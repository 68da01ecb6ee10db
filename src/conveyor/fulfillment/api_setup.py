"""3PL and set-up endpoints: a 3PL's requests (CSV), shipment confirmations, inventory snapshots
and their discrepancies; per-location fulfilment settings, bins, box sizes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse

from conveyor.api.deps import container, require
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.fulfillment import handlers, setup, tpl, views
from conveyor.fulfillment.schemas import BinsIn, BoxIn, ConfirmationIn, ResolveIn, SettingsIn, SnapshotIn
from conveyor.inventory.locations import resolve_location

router = APIRouter(tags=["fulfilment set-up and 3PL"])
READ, FULFIL = require("fulfilment:read"), require("orders:fulfil")  # staff only: every channel's orders
STOCK_READ, STOCK_WRITE = require("inventory:read"), require("inventory:write")
LOC_READ, LOC_WRITE = require("locations:read"), require("locations:write")


@router.get("/3pl/{location}/requests.csv", response_class=PlainTextResponse,
            responses={200: {"content": {"text/csv": {}}}})
def requests_csv(location: str, who: Principal = Depends(READ), c: Container = Depends(container),
                 status: Annotated[str | None, Query(pattern="^(sent|confirmed|cancelled)$")] = "sent"):
    """The 3PL's fulfilment requests, one row per SKU line (for 3PLs that take files)."""
    with c.reader() as uow:
        text = tpl.requests_csv(uow, resolve_location(uow, location).id, status)
    return PlainTextResponse(text, media_type="text/csv")


@router.post("/3pl/confirmations", status_code=201)
def confirm_shipment(body: ConfirmationIn, who: Principal = Depends(FULFIL),
                     c: Container = Depends(container)) -> dict:
    """A 3PL shipped a request: the order ships and stock leaves the 3PL in the ledger. Units it
    could not send are re-routed elsewhere. The same `external_ref` twice is recorded once."""
    found = handlers.confirm_3pl_shipment(c, body.request_id, body.external_ref, carrier=body.carrier,
                                          tracking_number=body.tracking_number, shipped=body.shipped,
                                          actor=who.actor, raw=body.model_dump(mode="json"))
    return {"id": found.id, "request_id": found.request_id, "external_ref": found.external_ref,
            "shipment_id": found.shipment_id}


@router.post("/3pl/{location}/snapshots", status_code=201)
def record_snapshot(location: str, body: SnapshotIn, who: Principal = Depends(STOCK_WRITE),
                    c: Container = Depends(container)) -> dict:
    """A 3PL's stock report, compared with the ledger: differences become open discrepancies;
    stock is not changed until a person resolves them."""
    snapshot = handlers.record_3pl_snapshot(c, location, body.taken_at, body.counts, who.actor, body.complete)
    with c.reader() as uow:
        found = tpl.list_discrepancies(uow, None, None, snapshot.id)
    return {"id": snapshot.id, "location_id": snapshot.location_id, "discrepancies": [views.discrepancy(d)
                                                                                      for d in found]}


@router.get("/3pl/discrepancies")
def list_discrepancies(who: Principal = Depends(STOCK_READ), c: Container = Depends(container),
                       location: str | None = None,
                       status: Annotated[str | None, Query(pattern="^(open|adjusted|dismissed)$")] = "open") -> dict:
    with c.reader() as uow:
        location_id = resolve_location(uow, location).id if location else None
        return {"items": [views.discrepancy(d) for d in tpl.list_discrepancies(uow, location_id, status)]}


@router.post("/3pl/discrepancies/{discrepancy_id}/resolve")
def resolve_discrepancy(discrepancy_id: str, body: ResolveIn, who: Principal = Depends(STOCK_WRITE),
                        c: Container = Depends(container)) -> dict:
    """`adjust`: write the difference to the ledger; `dismiss`: keep the ledger as it is."""
    return views.discrepancy(handlers.resolve_discrepancy(c, discrepancy_id, body.action, body.note, who.actor))


# --- set-up ---------------------------------------------------------------------------------------

@router.get("/locations/{location}/fulfilment-settings")
def get_settings(location: str, who: Principal = Depends(LOC_READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        return views.location_settings(setup.settings_for(uow, resolve_location(uow, location).id))


@router.put("/locations/{location}/fulfilment-settings")
def put_settings(location: str, body: SettingsIn, who: Principal = Depends(LOC_WRITE),
                 c: Container = Depends(container)) -> dict:
    """Release mode (manual, immediate, cutoff), cut-off, grace period, hold tags, handling days,
    time zone; for a 3PL the webhook its fulfilment requests are sent to (the secret is stored
    encrypted and never shown)."""
    return views.location_settings(handlers.put_location_settings(c, location, body.changes(), body.webhook_secret))


@router.get("/locations/{location}/bins")
def get_bins(location: str, who: Principal = Depends(LOC_READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        bins = setup.list_bins(uow, resolve_location(uow, location).id)
    return {"items": [{"bin": code, "sku_ids": skus} for code, skus in bins]}


@router.put("/locations/{location}/bins")
def put_bins(location: str, body: BinsIn, who: Principal = Depends(LOC_WRITE),
             c: Container = Depends(container)) -> dict:
    """Put SKUs in bins (`{"SKU-A": "A-03-2-B"}`); bins are created as needed."""
    return {"assigned": handlers.assign_bins(c, location, body.assignments)}


@router.get("/box-sizes")
def list_boxes(who: Principal = Depends(LOC_READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        return {"items": [_box(b) for b in setup.list_boxes(uow)]}


@router.put("/box-sizes/{box_code}")
def put_box(box_code: Annotated[str, Path(min_length=1, max_length=30)], body: BoxIn,
            who: Principal = Depends(LOC_WRITE), c: Container = Depends(container)) -> dict:
    return _box(handlers.put_box(c, setup.BoxData(box_code, body.length_mm, body.width_mm, body.height_mm, body.name,
                                                  body.max_weight_grams, body.tare_grams, body.active)))


def _box(b: Any) -> dict:
    return {"code": b.code, "name": b.name, "length_mm": b.length_mm, "width_mm": b.width_mm,
            "height_mm": b.height_mm, "max_weight_grams": b.max_weight_grams, "tare_grams": b.tare_grams,
            "active": b.active}
