"""Shipping endpoints: tracking-number validation, the checkout delivery promise, carriers as
data, labels (reprint, void), tracking events in (JSON, CSV, EasyPost webhook), manifests."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.fulfillment import end_of_day, handlers, views
from conveyor.fulfillment.manifest import manifest_csv, render_manifest_pdf
from conveyor.fulfillment.promise import cart_promise
from conveyor.fulfillment.schemas import CarrierIn, PromiseIn, TrackingEventsIn, ValidateIn
from conveyor.fulfillment.tracking_flow import IngestResult
from conveyor.inventory.locations import resolve_location
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.errors import DomainError, ErrorCode, ValidationFailed
from conveyor.shipping import easypost_webhook
from conveyor.shipping import service as shipping
from conveyor.shipping.adapters.easypost import events_from_webhook
from conveyor.shipping.tracking_events import TrackingEvent, canonical_status, parse_events_csv
from conveyor.shipping.tracking_numbers import validate

router = APIRouter(tags=["shipping"])
READ, FULFIL, CONFIGURE = require("orders:read"), require("orders:fulfil"), require("locations:write")
# Labels and manifests carry every channel's addresses: staff only (a storefront keeps the rest).
FLOOR = require("fulfilment:read")
CSV_BODY = {"requestBody": {"required": True,
                            "content": {"text/csv": {"schema": {"type": "string", "minLength": 1}}}}}


@router.post("/tracking-numbers/validate")
def validate_tracking_number(body: ValidateIn, who: Principal = Depends(READ)) -> dict:
    """`{"valid": bool, "carrier": "ups"|"fedex"|"usps"|"dhl"|null}`: spaces ignored, check digits
    verified per the carriers' published rules (docs/shipping.md)."""
    return validate(body.number, body.carrier).as_response()


@router.post("/delivery-promise")
def delivery_promise(body: PromiseIn, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    """For a cart before checkout: "order within 2 h, get it Thursday"."""
    now = utcnow()
    with c.reader() as uow:
        offered = cart_promise(uow, {li.sku: li.quantity for li in body.items}, body.destination.model_dump(), now,
                               body.location, body.residential)
    if offered is None:
        return {"available": False, "message": "no carrier service delivers there"}
    return {"available": True, "location": offered.location, "service": offered.carrier_service,
            "delivery_date": offered.delivery_date.isoformat(), "order_by": views.iso(offered.order_by),
            "message": offered.message}


# --- carriers -------------------------------------------------------------------------------------

@router.get("/carriers")
def list_carriers(who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        return {"items": [{"code": r.code, "name": r.name, "active": r.active,
                           "services": [s.get("code") for s in r.document.get("services", [])]}
                          for r in shipping.carrier_records(uow)]}


@router.get("/carriers/{carrier}")
def get_carrier(carrier: str, who: Principal = Depends(READ), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        record = shipping.get_carrier(uow, carrier)
        return {"code": record.code, "name": record.name, "active": record.active, "document": record.document}


@router.put("/carriers/{carrier}")
def put_carrier(carrier: str, body: CarrierIn, who: Principal = Depends(CONFIGURE),
                c: Container = Depends(container), active: bool = True) -> dict:
    """Create or replace a carrier: services, zones, weight breaks, surcharges, calendar."""
    document = body.model_dump()
    if document["code"] != carrier:
        raise ValidationFailed("the document's code must match the path", field="code")
    record = handlers.put_carrier(c, document, active)
    return {"code": record.code, "name": record.name, "active": record.active, "document": record.document}


# --- labels ---------------------------------------------------------------------------------------

@router.get("/labels/{label_id}")
def get_label(label_id: str, who: Principal = Depends(FLOOR), c: Container = Depends(container)) -> dict:
    with c.reader() as uow:
        return views.label(shipping.get_label(uow, label_id))


@router.get("/labels/{label_id}/pdf", responses={200: {"content": {"application/pdf": {}}}})
def reprint_pdf(label_id: str, who: Principal = Depends(FLOOR), c: Container = Depends(container)) -> Response:
    """The 4×6 label as bought (reprinting never buys again)."""
    with c.reader() as uow:
        return Response(shipping.get_label(uow, label_id).label_pdf, media_type="application/pdf")


@router.get("/labels/{label_id}/zpl", responses={200: {"content": {"text/plain": {}}}})
def reprint_zpl(label_id: str, who: Principal = Depends(FLOOR), c: Container = Depends(container)) -> Response:
    """The label in ZPL II for a thermal printer (404 when the provider gave none)."""
    with c.reader() as uow:
        label = shipping.get_label(uow, label_id)
    if not label.label_zpl:
        raise DomainError(ErrorCode.NOT_FOUND, f"label {label_id} has no ZPL version")
    return PlainTextResponse(label.label_zpl)


@router.post("/labels/{label_id}/void")
async def void_label(label_id: str, who: Principal = Depends(FULFIL), c: Container = Depends(container)) -> dict:
    """Void a label not used (before the parcel ships); the provider refunds it where it charges."""
    label = await run_in_threadpool(handlers.void_label, c, label_id, who.actor)
    return views.label(label)


# --- tracking -------------------------------------------------------------------------------------

def _ingested(result: IngestResult, errors: list[dict] | None = None) -> dict:
    return {"received": result.received, "stored": result.stored, "unmatched": result.unmatched,
            "delivered": result.delivered, "exceptions": result.exceptions, "late": result.late,
            "errors": errors or []}


@router.post("/tracking/events")
def tracking_events(body: TrackingEventsIn, who: Principal = Depends(FULFIL),
                    c: Container = Depends(container)) -> dict:
    """Tracking events from a carrier feed or a person: `status` is a canonical status, an
    EasyPost status or a common wording (`Out for delivery`); repeats are kept once."""
    events, errors = [], []
    for n, e in enumerate(body.events):
        status = canonical_status(e.status)
        if status is None or e.occurred_at.tzinfo is None:
            errors.append({"index": n, "error": "unknown status" if status is None else "occurred_at needs an offset"})
            continue
        events.append(TrackingEvent(e.tracking_number, status, as_utc(e.occurred_at), e.description,
                                    e.carrier, e.city, e.region, e.postal_code, e.country.upper(), e.status, "api"))
    if errors:
        raise ValidationFailed("some events are not valid; nothing was stored", errors=errors)
    return _ingested(handlers.ingest_tracking(c, events, who.actor))


@router.post("/tracking/events/csv", openapi_extra=CSV_BODY)
async def tracking_events_csv(request: Request, who: Principal = Depends(FULFIL),
                              c: Container = Depends(container)) -> dict:
    """A carrier's CSV export (docs/shipping.md, "CSV format"): good rows are stored, bad rows
    are reported with their line number."""
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("the CSV must be UTF-8") from None
    if not text:
        raise ValidationFailed("send the CSV as the request body")
    parsed = parse_events_csv(text)
    if not parsed.events and parsed.errors and parsed.errors[0].row == 1:  # no usable header row
        raise ValidationFailed(f"not a tracking CSV: {parsed.errors[0].message}")
    result = await run_in_threadpool(handlers.ingest_tracking, c, parsed.events, who.actor)
    return _ingested(result, [{"line": e.row, "error": e.message} for e in parsed.errors])


@router.post("/tracking/webhooks/easypost", responses={401: {"description": "`invalid_signature`: X-Hmac-Signature "
                                                                          "missing or wrong; nothing stored"}})
async def easypost_webhook_in(request: Request, c: Container = Depends(container)) -> dict:
    """EasyPost `tracker.*` events, authenticated by `X-Hmac-Signature` (the webhook secret in
    CONVEYOR_EASYPOST_WEBHOOK_SECRET), not by an API key."""
    raw = await request.body()
    if not easypost_webhook.is_valid(raw, request.headers.get("x-hmac-signature"),
                                     c.settings.easypost_webhook_secret):
        raise DomainError(ErrorCode.INVALID_SIGNATURE, "missing or wrong X-Hmac-Signature")
    try:
        events = events_from_webhook(json.loads(raw))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DomainError(ErrorCode.UNPARSEABLE_PAYLOAD, "not an EasyPost event") from None
    result = await run_in_threadpool(handlers.ingest_tracking, c, events, "easypost")
    return _ingested(result)


# --- manifests ------------------------------------------------------------------------------------

@router.get("/manifests", responses={200: {"content": {"application/json": {}, "text/csv": {},
                                                         "application/pdf": {}}}})
def manifests(location: str, who: Principal = Depends(FLOOR), c: Container = Depends(container),
              day: Annotated[date | None, Query(alias="date")] = None, carrier: str | None = None,
              format: Literal["json", "csv", "pdf"] = "json") -> Response:
    """The end-of-day manifest of a location (its local date; default today): JSON, or one
    carrier's as CSV or PDF (with the driver's signature line)."""
    with c.reader() as uow:
        loc = resolve_location(uow, location)
        found = end_of_day.manifests(uow, day or utcnow().date(), loc.id, carrier)
    if format == "json":
        return JSONResponse({"items": [{"carrier": m.carrier, "location": m.location, "date": m.ship_date.isoformat(),
                                        "packages": m.total_packages, "weight_grams": m.total_weight_grams,
                                        "tracking_numbers": [s.tracking_number for s in m.shipments]}
                                       for m in found]})
    if len(found) != 1:
        raise ValidationFailed(f"{len(found)} manifests match: name one carrier for CSV or PDF",
                               carriers=[m.carrier for m in found])
    if format == "csv":
        return PlainTextResponse(manifest_csv(found[0]), media_type="text/csv")
    return Response(render_manifest_pdf(found[0], found[0].carrier.upper(), loc.name), media_type="application/pdf")
