"""Shipping's stored data: carriers (rate tables and calendars as validated JSON documents),
bought labels, tracking events. Nothing here commits; the fulfilment handlers compose these
with the fulfilment order's steps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import select, tuple_

from conveyor.shared import ids
from conveyor.shared.clock import as_utc, utcnow
from conveyor.shared.errors import NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping.adapters.base import PurchasedLabel
from conveyor.shipping.carriers import Carrier, carrier_from_dict
from conveyor.shipping.model import CarrierRecord, ShippingLabel, TrackingEventRecord
from conveyor.shipping.tracking_events import TrackingEvent
from conveyor.shipping.tracking_numbers import normalise

CARRIERS_CACHE = "carriers"


# --- carriers -------------------------------------------------------------------------------------

def carriers(uow: UnitOfWork) -> tuple[Carrier, ...]:
    """Every active carrier, validated (cached per process; invalidated when one changes)."""
    found = uow.caches.named(CARRIERS_CACHE).get("active", lambda: _read_carriers(uow))
    assert found is not None
    return found


def _read_carriers(uow: UnitOfWork) -> tuple[Carrier, ...]:
    rows = uow.session.scalars(select(CarrierRecord).where(CarrierRecord.active.is_(True))
                               .order_by(CarrierRecord.code))
    return tuple(carrier_from_dict(row.document) for row in rows)


def carrier_records(uow: UnitOfWork) -> list[CarrierRecord]:
    return list(uow.session.scalars(select(CarrierRecord).order_by(CarrierRecord.code)))


def get_carrier(uow: UnitOfWork, code: str) -> CarrierRecord:
    found = uow.session.get(CarrierRecord, code)
    if found is None:
        raise NotFound("carrier", code)
    return found


def put_carrier(uow: UnitOfWork, document: dict[str, Any], active: bool = True) -> CarrierRecord:
    """Create or replace a carrier from its JSON document (refused, naming the bad field, unless
    it validates)."""
    carrier = carrier_from_dict(document)
    record = uow.session.get(CarrierRecord, carrier.code) or CarrierRecord(code=carrier.code)
    record.name, record.document, record.active, record.updated_at = carrier.name, document, active, utcnow()
    uow.session.add(record)
    uow.session.flush()
    uow.after_commit(uow.caches.named(CARRIERS_CACHE).invalidate)
    return record


def seed_demo_carriers(uow: UnitOfWork) -> list[str]:
    """Store the demo carriers that are not there yet (migration 0006 seeds them on a new
    database; this restores them). Returns the codes added."""
    import json

    text = resources.files("conveyor.shipping").joinpath("data/demo_carriers.json").read_text("utf-8")
    added = []
    for document in json.loads(text):
        if uow.session.get(CarrierRecord, document["code"]) is None:
            put_carrier(uow, document)
            added.append(document["code"])
    return added


# --- labels ---------------------------------------------------------------------------------------

def record_label(uow: UnitOfWork, bought: PurchasedLabel, *, fulfilment_order_id: str, package_id: str,
                 order_id: str, location_id: str, weight_grams: int, delivery_date: date | None) -> ShippingLabel:
    label = ShippingLabel(
        id=ids.new_id("label"), fulfilment_order_id=fulfilment_order_id, package_id=package_id, order_id=order_id,
        location_id=location_id, provider=bought.provider, provider_ref=bought.provider_ref, carrier=bought.carrier,
        service=bought.service, tracking_number=normalise(bought.tracking_number), cost_minor=bought.cost.minor,
        currency=bought.cost.currency, weight_grams=weight_grams, delivery_date=delivery_date,
        label_pdf=bought.label_pdf, label_zpl=bought.label_zpl, status="purchased", void_status="",
        created_at=utcnow())
    uow.session.add(label)
    return label


def as_purchased(label: ShippingLabel) -> PurchasedLabel:
    """The label as the adapter knows it (to void it)."""
    from conveyor.shared.money import Money

    return PurchasedLabel(label.provider, label.tracking_number, label.carrier, label.service,
                          Money(label.cost_minor, label.currency), label.label_pdf, label.label_zpl, label.provider_ref)


def get_label(uow: UnitOfWork, label_id: str) -> ShippingLabel:
    found = uow.session.get(ShippingLabel, label_id)
    if found is None:
        raise NotFound("label", label_id)
    return found


def labels_for(uow: UnitOfWork, fulfilment_order_ids: Iterable[str], include_voided: bool = False
               ) -> list[ShippingLabel]:
    query = select(ShippingLabel).where(ShippingLabel.fulfilment_order_id.in_(set(fulfilment_order_ids)))
    if not include_voided:
        query = query.where(ShippingLabel.status == "purchased")
    return list(uow.session.scalars(query.order_by(ShippingLabel.id)))


def labels_by_tracking(uow: UnitOfWork, numbers: Iterable[str]) -> dict[str, ShippingLabel]:
    wanted = {normalise(n) for n in numbers}
    rows = uow.session.scalars(select(ShippingLabel).where(ShippingLabel.tracking_number.in_(wanted),
                                                           ShippingLabel.status == "purchased"))
    return {label.tracking_number: label for label in rows}


def mark_voided(label: ShippingLabel, status: str) -> None:
    if label.status == "voided":
        raise ValidationFailed(f"label {label.id} is already voided")
    label.status, label.void_status, label.voided_at = "voided", status, utcnow()


# --- tracking events ------------------------------------------------------------------------------

def store_events(uow: UnitOfWork, events: Iterable[TrackingEvent]) -> list[TrackingEvent]:
    """Keep the events not seen before (same number, status and time = the same event);
    returns the new ones."""
    unique: dict[tuple[str, str, Any], TrackingEvent] = {}
    for e in events:
        unique.setdefault((normalise(e.tracking_number), e.status, as_utc(e.occurred_at)), e)
    if not unique:
        return []
    rows = uow.session.execute(select(
        TrackingEventRecord.tracking_number, TrackingEventRecord.status, TrackingEventRecord.occurred_at).where(
        tuple_(TrackingEventRecord.tracking_number, TrackingEventRecord.status).in_(
            [(n, s) for n, s, _ in unique]))).all()
    seen = {(n, s, as_utc(at)) for n, s, at in rows}
    new = [(key, e) for key, e in unique.items() if key not in seen]
    for (number, status, at), e in new:
        uow.session.add(TrackingEventRecord(
            id=ids.new_id("tracking_event"), tracking_number=number, carrier=e.carrier, status=status,
            raw_status=e.raw_status[:60], occurred_at=at, description=e.description[:300], city=e.city[:100],
            region=e.region[:100], postal_code=e.postal_code[:20], country=e.country[:2], source=e.source[:20],
            received_at=utcnow()))
    return [e for _, e in new]


def events_for(uow: UnitOfWork, numbers: Iterable[str]) -> list[TrackingEvent]:
    rows = uow.session.scalars(select(TrackingEventRecord).where(
        TrackingEventRecord.tracking_number.in_({normalise(n) for n in numbers}))
        .order_by(TrackingEventRecord.occurred_at, TrackingEventRecord.id))
    return [TrackingEvent(r.tracking_number, r.status, as_utc(r.occurred_at), r.description, r.carrier, r.city,
                          r.region, r.postal_code, r.country, r.raw_status, r.source) for r in rows]
