"""The carrier adapter interface and the plain data that crosses it.

Shaped like the aggregators (EasyPost, Shippo, ShipEngine): ask for rates for a shipment, buy
one of them (a label and a tracking number come back), void a label that was not used, and
fetch tracking events. Money is integer minor units; weights grams; lengths millimetres.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from conveyor.shared.money import Money
from conveyor.shipping.addresses import Address
from conveyor.shipping.rates import Parcel
from conveyor.shipping.tracking_events import TrackingEvent


@dataclass(frozen=True, slots=True)
class ShipmentRequest:
    ship_from: Address
    ship_to: Address
    parcel: Parcel
    reference: str = ""  # order / fulfilment order number, printed on the label
    residential: bool = False
    origin_timezone: str = "UTC"  # the shipping location's zone (pickup cut-offs are local)
    ship_from_coordinates: tuple[float, float] | None = None
    ship_to_coordinates: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class CarrierRate:
    provider: str  # "builtin", "easypost"
    rate_id: str  # what `buy` needs to buy exactly this rate
    carrier: str  # "ups", "fedex", "usps", "dhl" or the provider's carrier name, lower case
    service: str
    price: Money
    delivery_days: int | None = None
    delivery_date: date | None = None
    shipment_ref: str = ""  # the provider's shipment id the rate belongs to, if any
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class PurchasedLabel:
    provider: str
    tracking_number: str
    carrier: str
    service: str
    cost: Money
    label_pdf: bytes
    label_zpl: str | None
    provider_ref: str  # the provider's shipment id: needed to void the label


@dataclass(frozen=True, slots=True)
class VoidResult:
    accepted: bool
    status: str  # "voided", "submitted" (refund pending at the carrier), "refunded", "rejected"
    message: str = ""


class CarrierAdapter(Protocol):
    name: str

    def rates(self, shipment: ShipmentRequest) -> list[CarrierRate]: ...

    def buy(self, shipment: ShipmentRequest, rate: CarrierRate) -> PurchasedLabel: ...

    def void(self, label: PurchasedLabel) -> VoidResult: ...

    def track(self, tracking_number: str, carrier: str | None = None) -> list[TrackingEvent]: ...
