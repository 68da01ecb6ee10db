"""The end-of-day manifest: every labelled parcel that shipped from a location on a day, per
carrier (the driver signs it at pickup). Built from stored labels and fulfilment orders; the
document itself is `fulfillment/manifest.py` (PDF and CSV)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from conveyor.fulfillment.manifest import Manifest, ManifestShipment, build_manifests
from conveyor.fulfillment.model import FulfilmentOrder
from conveyor.fulfillment.packing_flow import address_of
from conveyor.fulfillment.setup import settings_for
from conveyor.inventory.locations import get_location
from conveyor.orders.service import get_order
from conveyor.shared.clock import as_utc
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping import service as shipping


def manifests(uow: UnitOfWork, day: date, location_id: str, carrier: str | None = None) -> list[Manifest]:
    """Manifests of `day` (the location's local date) at one location, one per carrier."""
    zone = ZoneInfo(settings_for(uow, location_id).timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    shipped = list(uow.session.scalars(select(FulfilmentOrder).where(
        FulfilmentOrder.location_id == location_id, FulfilmentOrder.shipment_id.is_not(None),
        FulfilmentOrder.shipped_at >= as_utc(start), FulfilmentOrder.shipped_at < as_utc(start + timedelta(days=1)))
        .order_by(FulfilmentOrder.id)))
    labels: dict[str, list] = {}
    for label in shipping.labels_for(uow, [fo.id for fo in shipped]):
        labels.setdefault(label.fulfilment_order_id, []).append(label)
    code = get_location(uow, location_id).code
    rows = []
    for fo in shipped:
        parcels = labels.get(fo.id, [])
        if not parcels or (carrier and parcels[0].carrier != carrier):
            continue  # shipped without our labels (a 3PL, by hand): not on our pickup manifest
        order = get_order(uow, fo.order_id)
        rows.append(ManifestShipment(
            parcels[0].carrier, code, day, parcels[0].tracking_number, parcels[0].service,
            order.external_id or order.id, address_of(order.shipping_address, order.customer_name),
            sum(p.weight_grams for p in parcels), len(parcels), sum(p.cost_minor for p in parcels),
            parcels[0].currency))
    return build_manifests(rows)
