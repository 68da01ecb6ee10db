"""The offline carrier: rates from the configured rate tables (shipping.carriers), tracking
numbers in each carrier's real format, labels rendered here (PDF and ZPL). The default provider,
and the one every test and demo uses: it needs no account and no network.

It cannot know where a parcel is: `track` returns no events; tracking for these shipments
comes in through the CSV import or the tracking API."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from datetime import datetime

from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.money import Money
from conveyor.shipping.adapters.base import CarrierRate, PurchasedLabel, ShipmentRequest, VoidResult
from conveyor.shipping.carriers import Carrier
from conveyor.shipping.labels import LabelData, render_label_pdf
from conveyor.shipping.rates import Place, RateRequest, quote, shop
from conveyor.shipping.tracking_events import TrackingEvent
from conveyor.shipping.tracking_numbers import CARRIERS, generate
from conveyor.shipping.zpl import render_label_zpl


def _place(shipment: ShipmentRequest, origin: bool) -> Place:
    address = shipment.ship_from if origin else shipment.ship_to
    point = shipment.ship_from_coordinates if origin else shipment.ship_to_coordinates
    return Place(address.country, address.postal_code, address.region, point[0] if point else None,
                 point[1] if point else None, shipment.origin_timezone if origin else "UTC")


class BuiltinCarrierAdapter:
    name = "builtin"

    def __init__(self, carriers: Sequence[Carrier], now: Callable[[], datetime],
                 rng: random.Random | None = None) -> None:
        self.carriers = {c.code: c for c in carriers}
        self.now = now  # clock injection: cut-offs and delivery dates depend on it
        self.rng = rng or random.Random()
        self._local_serials = itertools.count(1)

    def _request(self, shipment: ShipmentRequest) -> RateRequest:
        return RateRequest(_place(shipment, True), _place(shipment, False), (shipment.parcel,), shipment.residential)

    def rates(self, shipment: ShipmentRequest) -> list[CarrierRate]:
        result = shop(list(self.carriers.values()), self._request(shipment), self.now())
        return [CarrierRate(self.name, f"{q.carrier}/{q.service}", q.carrier, q.service, q.price,
                            q.estimate.transit_days, q.delivery_date, explanation=q.explanation)
                for q in result.quotes]

    def buy(self, shipment: ShipmentRequest, rate: CarrierRate) -> PurchasedLabel:
        carrier_code, _, service_code = rate.rate_id.partition("/")
        carrier = self.carriers.get(carrier_code)
        if carrier is None:
            raise DomainError(ErrorCode.CARRIER_ERROR, f"unknown carrier {carrier_code!r}", rate_id=rate.rate_id)
        service = carrier.service(service_code)
        current = quote(carrier, service, self._request(shipment), self.now())  # the price now, not the cached one
        tracking = self._tracking_number(carrier, service_code, shipment)
        label = LabelData(tracking, carrier.name, service.name, shipment.ship_from, shipment.ship_to,
                          current.billable_grams, shipment.reference, current.estimate.ship_date)
        cost = Money(current.total_minor, current.currency)
        return PurchasedLabel(self.name, tracking, carrier.code, service.code, cost, render_label_pdf(label),
                              render_label_zpl(label), f"builtin:{tracking}")

    def _tracking_number(self, carrier: Carrier, service: str, shipment: ShipmentRequest) -> str:
        fmt = carrier.tracking_format
        if fmt in CARRIERS:
            return generate(fmt, service, rng=self.rng, account=carrier.account)
        return f"{carrier.code.upper()}{next(self._local_serials):010d}"  # a local courier's own numbering

    def void(self, label: PurchasedLabel) -> VoidResult:
        # Nothing was charged by anyone: the label is simply not used.
        return VoidResult(True, "voided", f"label {label.tracking_number} voided")

    def track(self, tracking_number: str, carrier: str | None = None) -> list[TrackingEvent]:
        return []
