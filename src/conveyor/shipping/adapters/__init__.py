"""Carrier adapters behind one interface shaped like the shipping aggregators' APIs (rates, buy a
label, void it, track): `builtin` (offline rate tables, the default) and `easypost`."""

from conveyor.shipping.adapters.base import (
    CarrierAdapter,
    CarrierRate,
    Parcel,
    PurchasedLabel,
    ShipmentRequest,
    VoidResult,
)

__all__ = ["CarrierAdapter", "CarrierRate", "Parcel", "PurchasedLabel", "ShipmentRequest", "VoidResult"]
