"""The checkout promise for a cart ("order within 2 h, get it Thursday"): from which location it
would ship (the one asked for, else the first shipping location by priority that has every SKU
available), what it weighs, and the earliest delivery any stored carrier service offers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from conveyor.catalog.service import resolve_skus
from conveyor.fulfillment.setup import settings_for
from conveyor.inventory.locations import get_location, list_locations
from conveyor.inventory.service import available_by_sku
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.uow import UnitOfWork
from conveyor.shipping import service as shipping
from conveyor.shipping.rates import Parcel, Place, RateRequest, delivery_promise


@dataclass(frozen=True, slots=True)
class CartPromise:
    location: str  # code
    carrier_service: str
    delivery_date: date
    order_by: datetime
    message: str


def _origin(uow: UnitOfWork, wanted: Mapping[str, int], skus: Mapping[str, Any], location: str | None) -> Any:
    if location:
        return get_location(uow, location)
    candidates = [loc for loc in list_locations(uow, active=True) if loc.can_ship]
    if not candidates:
        raise ValidationFailed("no active location ships", ErrorCode.UNKNOWN_LOCATION)
    stocked = [code for code in wanted if not skus[code].is_kit]
    for loc in candidates:
        available = available_by_sku(uow, [skus[c].id for c in stocked], [loc.id])
        if all(available.get(skus[c].id, 0) >= wanted[c] for c in stocked):
            return loc
    return candidates[0]


def cart_promise(uow: UnitOfWork, lines: Mapping[str, int], destination: Mapping[str, Any], now: datetime,
                 location: str | None = None, residential: bool = True) -> CartPromise | None:
    """None when no stored carrier service can take the cart there."""
    if not lines or any(q <= 0 for q in lines.values()):
        raise ValidationFailed("a cart needs SKUs with positive quantities", ErrorCode.INVALID_QUANTITY)
    skus = resolve_skus(uow, list(lines))
    origin = _origin(uow, lines, skus, location)
    settings = settings_for(uow, origin.id)
    grams = sum(max(skus[code].weight_grams, 1) * qty for code, qty in lines.items())
    request = RateRequest(
        Place(origin.country, origin.postal_code, origin.region, origin.latitude, origin.longitude, settings.timezone),
        Place(str(destination.get("country") or "US").upper(), destination.get("postal_code") or "",
              destination.get("region") or "", destination.get("latitude"), destination.get("longitude")),
        (Parcel(grams),), residential, settings.handling_days)
    offered = delivery_promise(shipping.carriers(uow), request, now)
    if offered is None:
        return None
    return CartPromise(origin.code, offered.service, offered.delivery_date, offered.order_by, offered.message(now))
