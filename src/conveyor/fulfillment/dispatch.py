"""From a packed fulfilment order to a parcel on the truck: rate shopping across the carrier
adapter's services, buying a label per package, voiding one, shipping (through the order core's
`ship_order`, in the same transaction), and shipments recorded by hand with their checks.

Buying talks to a provider (EasyPost over HTTP), so it is split in three: `plan_purchase` reads
what to buy (a read transaction), `buy` calls the provider (no transaction open), and
`record_purchase` stores the labels (a write transaction that re-checks the fulfilment order)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from conveyor.fulfillment import service
from conveyor.fulfillment.model import FulfilmentOrder
from conveyor.fulfillment.packing_flow import address_of, location_address, packages_of
from conveyor.fulfillment.setup import settings_for
from conveyor.fulfillment.states import FoStatus
from conveyor.inventory.locations import get_location
from conveyor.messaging.outbox import Topic
from conveyor.orders import operations
from conveyor.orders.service import get_order
from conveyor.orders.timeline import EventType
from conveyor.shared.errors import DomainError, ErrorCode, ValidationFailed
from conveyor.shared.money import Money
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping import service as shipping
from conveyor.shipping.adapters.base import CarrierAdapter, CarrierRate, PurchasedLabel, ShipmentRequest
from conveyor.shipping.rates import Parcel
from conveyor.shipping.tracking_numbers import require_valid


@dataclass(frozen=True, slots=True)
class ParcelToShip:
    package_id: str
    number: int
    weight_grams: int
    request: ShipmentRequest


@dataclass(frozen=True, slots=True)
class PurchasePlan:
    fulfilment_order_id: str
    promised_date: date | None
    parcels: tuple[ParcelToShip, ...]


@dataclass(frozen=True, slots=True)
class RateOption:
    """One carrier service for the whole fulfilment order (every package)."""
    carrier: str
    service: str
    price: Money
    delivery_date: date | None
    meets_promise: bool | None
    explanation: str


@dataclass(frozen=True, slots=True)
class Bought:
    package_id: str
    weight_grams: int
    label: PurchasedLabel
    delivery_date: date | None


def plan_purchase(uow: UnitOfWork, fo: FulfilmentOrder) -> PurchasePlan:
    """The parcels to buy labels for: a packed fulfilment order's closed packages without one."""
    if fo.status != FoStatus.PACKED:
        raise ValidationFailed(f"fulfilment order {fo.id} is {fo.status}: labels are bought once it is packed",
                               ErrorCode.ILLEGAL_TRANSITION)
    order = get_order(uow, fo.order_id)
    if not order.shipping_address:
        raise ValidationFailed(f"order {order.id} has no shipping address", ErrorCode.NO_SHIPPING_ADDRESS)
    labelled = {label.package_id for label in shipping.labels_for(uow, [fo.id])}
    packages = [p for p in packages_of(uow, fo.id) if p.status == "closed" and p.id not in labelled]
    if not packages:
        raise ValidationFailed(f"every package of {fo.id} already has a label")
    location, settings = get_location(uow, fo.location_id), settings_for(uow, fo.location_id)
    to = order.shipping_address
    ship_to = address_of(to, order.customer_name)
    from_point = ((location.latitude, location.longitude)
                  if location.latitude is not None and location.longitude is not None else None)
    to_point = (to["latitude"], to["longitude"]) if to.get("latitude") is not None else None
    parcels = tuple(ParcelToShip(p.id, p.number, int(p.weight_grams or 0), ShipmentRequest(
        location_address(uow, fo.location_id), ship_to,
        Parcel(int(p.weight_grams or 0), int(p.length_mm or 0), int(p.width_mm or 0), int(p.height_mm or 0)),
        reference=order.external_id or order.id, residential=not ship_to.company,
        origin_timezone=settings.timezone, ship_from_coordinates=from_point, ship_to_coordinates=to_point))
        for p in packages)
    return PurchasePlan(fo.id, fo.promised_date, parcels)


def rate_options(adapter: CarrierAdapter, plan: PurchasePlan) -> list[RateOption]:
    """Services that can take every parcel, with the summed price; those meeting the promised
    date first, then cheapest, then earliest."""
    per_parcel = [{(r.carrier, r.service): r for r in adapter.rates(p.request)} for p in plan.parcels]
    common = set.intersection(*(set(rates) for rates in per_parcel)) if per_parcel else set()
    options = []
    for key in common:
        rates = [rates_of[key] for rates_of in per_parcel]
        dates = [r.delivery_date for r in rates if r.delivery_date is not None]
        latest = max(dates) if len(dates) == len(rates) else None
        meets = None if plan.promised_date is None or latest is None else latest <= plan.promised_date
        price = Money(sum(r.price.minor for r in rates), rates[0].price.currency)
        options.append(RateOption(key[0], key[1], price, latest, meets, rates[0].explanation))
    return sorted(options, key=lambda o: (o.meets_promise is False, o.price.currency, o.price.minor,
                                          o.delivery_date or date.max, o.carrier, o.service))


def buy(adapter: CarrierAdapter, plan: PurchasePlan, carrier: str | None = None,
        service_code: str | None = None) -> list[Bought]:
    """Buy one label per parcel: the named service, else the cheapest that meets the promise.
    If a later parcel fails, the labels already bought are voided before the error goes up."""
    if carrier is None or service_code is None:
        options = rate_options(adapter, plan)
        if not options:
            raise DomainError(ErrorCode.SERVICE_UNAVAILABLE, "no carrier service can take these parcels")
        carrier, service_code = options[0].carrier, options[0].service
    bought: list[Bought] = []
    try:
        for parcel in plan.parcels:
            rate = _rate(adapter.rates(parcel.request), carrier, service_code)
            label = adapter.buy(parcel.request, rate)
            bought.append(Bought(parcel.package_id, parcel.weight_grams, label, rate.delivery_date))
    except Exception:
        for done in bought:
            adapter.void(done.label)
        raise
    return bought


def _rate(rates: Sequence[CarrierRate], carrier: str, service_code: str) -> CarrierRate:
    for rate in rates:
        if (rate.carrier, rate.service) == (carrier, service_code):
            return rate
    raise DomainError(ErrorCode.SERVICE_UNAVAILABLE, f"{carrier}/{service_code} cannot take this parcel",
                      carrier=carrier, service=service_code)


def record_purchase(uow: UnitOfWork, fo: FulfilmentOrder, bought: Sequence[Bought], actor: str) -> list[Any]:
    """Store bought labels; the fulfilment order takes the carrier, service, first tracking
    number and (unless one was promised) the estimated delivery date."""
    if fo.status != FoStatus.PACKED:
        raise ValidationFailed(f"fulfilment order {fo.id} changed to {fo.status} while buying labels",
                               ErrorCode.ILLEGAL_TRANSITION)
    labelled = {label.package_id for label in shipping.labels_for(uow, [fo.id])}
    if labelled & {b.package_id for b in bought}:  # someone bought them meanwhile: ours get voided
        raise DomainError(ErrorCode.CONFLICT, f"labels for {fo.id} were bought meanwhile")
    labels = [shipping.record_label(uow, b.label, fulfilment_order_id=fo.id, package_id=b.package_id,
                                    order_id=fo.order_id, location_id=fo.location_id, weight_grams=b.weight_grams,
                                    delivery_date=b.delivery_date) for b in bought]
    first = labels[0]
    fo.carrier, fo.service = first.carrier, first.service
    fo.tracking_number = fo.tracking_number or first.tracking_number
    estimates = [b.delivery_date for b in bought if b.delivery_date is not None]
    if fo.promised_date is None and estimates:
        fo.promised_date = max(estimates)
    service.announce(uow, fo, EventType.LABEL_PURCHASED, actor, {
        "labels": [{"id": lb.id, "tracking_number": lb.tracking_number, "carrier": lb.carrier,
                    "service": lb.service, "cost_minor": lb.cost_minor, "currency": lb.currency} for lb in labels]})
    return labels


def record_void(uow: UnitOfWork, label: Any, status: str, actor: str) -> None:
    fo = service.get(uow, label.fulfilment_order_id, for_update=True)
    if fo.status not in (FoStatus.PACKED, FoStatus.PICKING, FoStatus.EXCEPTION, FoStatus.CANCELLED):
        raise ValidationFailed(f"the parcel already left ({fo.status}): its label cannot be voided",
                               ErrorCode.ILLEGAL_TRANSITION)
    shipping.mark_voided(label, status)
    remaining = [lb for lb in shipping.labels_for(uow, [fo.id]) if lb.id != label.id]
    if fo.tracking_number == label.tracking_number:
        fo.tracking_number = remaining[0].tracking_number if remaining else ""
    service.announce(uow, fo, EventType.LABEL_VOIDED, actor, {"label_id": label.id,
                                                              "tracking_number": label.tracking_number,
                                                              "void_status": status})


def check_voidable(uow: UnitOfWork, label: Any) -> None:
    if label.status == "voided":
        raise ValidationFailed(f"label {label.id} is already voided")
    fo = service.get(uow, label.fulfilment_order_id)
    if fo.status in (FoStatus.SHIPPED, FoStatus.DELIVERED):
        raise ValidationFailed(f"the parcel already left ({fo.status}): its label cannot be voided",
                               ErrorCode.ILLEGAL_TRANSITION)


# --- shipping -------------------------------------------------------------------------------------

def ship(uow: UnitOfWork, fo: FulfilmentOrder, actor: str) -> FulfilmentOrder:
    """Hand a packed, labelled fulfilment order to the carrier: the order core records the
    shipment (stock leaves the location) in this same transaction."""
    if fo.status != FoStatus.PACKED:
        raise ValidationFailed(f"fulfilment order {fo.id} is {fo.status}: only a packed one ships",
                               ErrorCode.ILLEGAL_TRANSITION)
    labelled = {label.package_id for label in shipping.labels_for(uow, [fo.id])}
    unlabelled = [p.number for p in packages_of(uow, fo.id) if p.status == "closed" and p.id not in labelled]
    if unlabelled or not labelled:
        raise ValidationFailed(f"package(s) {unlabelled or 'all'} of {fo.id} have no label yet")
    return ship_units(uow, fo, fo.carrier, fo.tracking_number, actor)


def ship_units(uow: UnitOfWork, fo: FulfilmentOrder, carrier: str, tracking_number: str, actor: str,
               units: dict[str, int] | None = None, data: dict[str, Any] | None = None) -> FulfilmentOrder:
    """Record the shipment of the fulfilment order's units (or `units` of its order lines)."""
    shipment = operations.ship_order(uow, fo.order_id, location_id=fo.location_id,
                                     lines=units or service.line_units(fo), carrier=carrier,
                                     tracking_number=tracking_number, actor=actor)
    uow.flush()  # the shipment row first: the fulfilment order refers to it
    fo.shipment_id, fo.carrier, fo.tracking_number = shipment.id, carrier, tracking_number
    service.move(fo, FoStatus.SHIPPED, "ship")
    service.announce(uow, fo, EventType.FULFILMENT_SHIPPED, actor, {
        "shipment_id": shipment.id, "carrier": carrier, "tracking_number": tracking_number, **(data or {})},
        Topic.FULFILMENT_SHIPPED)
    service.reconcile_order(uow, fo.order_id, actor)  # parts of a kit unit not sent stay with a new one
    return fo


def check_manual_shipment(order: Any, carrier: str, tracking_number: str, override_reason: str | None) -> None:
    """The rules for a shipment typed in by hand (POST /orders/{id}/shipments): a carrier, a
    tracking number that passes its carrier's check, and an order with somewhere to ship to —
    unless someone overrides them and says why."""
    if (override_reason or "").strip():
        if carrier and tracking_number:
            require_valid(tracking_number, carrier, override_reason)
        return
    if not carrier.strip():
        raise ValidationFailed("a carrier is required (or give an override reason)", field="carrier")
    if not tracking_number.strip():
        raise ValidationFailed("a tracking number is required (or give an override reason)",
                               ErrorCode.INVALID_TRACKING_NUMBER, field="tracking_number")
    if not order.shipping_address:
        raise ValidationFailed(f"order {order.id} has no shipping address (or give an override reason)",
                               ErrorCode.NO_SHIPPING_ADDRESS)
    require_valid(tracking_number, carrier, None)
