"""Rating and rate shopping from carrier rate tables (see carriers.py).

`quote` prices one service for a shipment: zone (distance band or postal prefix), billable
weight (actual or dimensional, whichever is higher, per parcel), the weight break's price for the
zone, residential and remote surcharges, and the delivery estimate from the carrier's calendar.
`shop` quotes every service and keeps those that meet the promised date, cheapest first (ties:
earliest delivery first). Every quote carries a one-line explanation a person can check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from haversine import Unit, haversine

from conveyor.shared.errors import DomainError, ErrorCode
from conveyor.shared.money import Money, format_minor
from conveyor.shipping.calendar import DeliveryEstimate, DeliveryPromise, best_promise, estimate
from conveyor.shipping.carriers import Carrier, Service, Zone


@dataclass(frozen=True, slots=True)
class Place:
    country: str
    postal_code: str = ""
    subdivision: str = ""
    latitude: float | None = None
    longitude: float | None = None
    timezone: str = "UTC"  # matters for the origin: cut-offs are local time there


@dataclass(frozen=True, slots=True)
class Parcel:
    weight_grams: int
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0


@dataclass(frozen=True, slots=True)
class RateRequest:
    origin: Place
    destination: Place
    parcels: tuple[Parcel, ...]
    residential: bool = False
    handling_days: int = 0  # the origin's processing time before the parcel can be picked up


@dataclass(frozen=True, slots=True)
class Charge:
    label: str
    minor: int


@dataclass(frozen=True, slots=True)
class RateQuote:
    carrier: str
    service: str
    service_name: str
    zone: str
    billable_grams: int
    currency: str
    total_minor: int
    charges: tuple[Charge, ...]
    estimate: DeliveryEstimate
    meets_promise: bool | None  # None when no date was promised
    explanation: str

    @property
    def price(self) -> Money:
        return Money(self.total_minor, self.currency)

    @property
    def delivery_date(self) -> date:
        return self.estimate.delivery_date


@dataclass(frozen=True, slots=True)
class Unavailable:
    carrier: str
    service: str
    reason: str


@dataclass(frozen=True, slots=True)
class ShopResult:
    quotes: tuple[RateQuote, ...]  # meet the promise, cheapest first
    unavailable: tuple[Unavailable, ...]  # why each other service was left out

    @property
    def best(self) -> RateQuote | None:
        return self.quotes[0] if self.quotes else None


class ServiceUnavailable(DomainError):
    def __init__(self, carrier: str, service: str, reason: str) -> None:
        super().__init__(ErrorCode.SERVICE_UNAVAILABLE, f"{carrier}/{service}: {reason}",
                         carrier=carrier, service=service, reason=reason)
        self.reason = reason


# --- pieces ------------------------------------------------------------------------------------------


def distance_km(origin: Place, destination: Place) -> float | None:
    """Great-circle km between the two places: their coordinates when given, else the centroid
    of a US ZIP code (offline, `zipcodes`). None when neither is known — fill in coordinates
    (e.g. with routing.geo.locate, which also knows regions and countries) before quoting."""
    a, b = _point(origin), _point(destination)
    if a is None or b is None:
        return None
    return float(haversine(a, b, unit=Unit.KILOMETERS))


def _point(place: Place) -> tuple[float, float] | None:
    if place.latitude is not None and place.longitude is not None:
        return place.latitude, place.longitude
    if place.country.upper() in ("US", "PR"):
        return _us_zip_centroids().get(place.postal_code.strip()[:5])
    return None


@lru_cache(maxsize=1)
def _us_zip_centroids() -> dict[str, tuple[float, float]]:
    import zipcodes  # loading its data takes ~0.5 s: only when a place comes without coordinates

    return {z["zip_code"]: (float(z["lat"]), float(z["long"])) for z in zipcodes.list_all()
            if z.get("lat") and z.get("long")}


def _postal(code: str) -> str:
    return code.replace(" ", "").replace("-", "").upper()


def find_zone(service: Service, origin: Place, destination: Place) -> tuple[Zone, str]:
    """The zone the destination falls in, and how it was decided (for the explanation)."""
    country = destination.country.upper()
    zones = [z for z in service.zones if not z.countries or country in z.countries]
    if service.zoning == "distance":
        km = distance_km(origin, destination)
        if km is None:
            raise ServiceUnavailable("", service.code, "distance to the destination is unknown")
        for zone in sorted(zones, key=lambda z: z.max_km or 0.0):
            if zone.max_km is not None and km <= zone.max_km:
                return zone, f"{km:.0f} km"
        raise ServiceUnavailable("", service.code, f"destination is {km:.0f} km away, beyond the last zone")
    postal = _postal(destination.postal_code)
    matches = [(len(p), z, p) for z in zones for p in z.postal_prefixes if postal.startswith(_postal(p))]
    if not matches:
        raise ServiceUnavailable("", service.code, f"no zone for postal code {destination.postal_code!r}")
    _, zone, prefix = max(matches, key=lambda m: m[0])
    return zone, f"postal prefix {prefix}"


def dimensional_grams(parcel: Parcel, divisor: int | None) -> int:
    """Dimensional weight in grams: mm³ / (cm³ per kg) is grams; rounded up."""
    if not divisor:
        return 0
    volume = parcel.length_mm * parcel.width_mm * parcel.height_mm
    return -(-volume // divisor)


def billable_grams(parcel: Parcel, divisor: int | None) -> int:
    return max(parcel.weight_grams, dimensional_grams(parcel, divisor))


def _parcel_price(service: Service, zone: Zone, grams: int) -> int:
    if service.max_weight_grams is not None and grams > service.max_weight_grams:
        limit = service.max_weight_grams / 1000
        raise ServiceUnavailable("", service.code, f"{grams / 1000:g} kg is over the {limit:g} kg limit")
    for step in service.weight_breaks:
        if grams <= step.max_grams:
            if zone.code not in step.prices_minor:
                raise ServiceUnavailable("", service.code, f"no price for zone {zone.code} at {grams / 1000:g} kg")
            return step.prices_minor[zone.code]
    raise ServiceUnavailable("", service.code, f"{grams / 1000:g} kg is above the heaviest weight break")


def _is_remote(service: Service, destination: Place) -> bool:
    postal = _postal(destination.postal_code)
    return any(postal.startswith(_postal(p)) for p in service.remote_postal_prefixes)


# --- quoting and shopping ---------------------------------------------------------------------------


def quote(carrier: Carrier, service: Service, request: RateRequest, now: datetime,
          promised_by: date | None = None) -> RateQuote:
    """Price and delivery date of one service; raises ServiceUnavailable with the reason."""
    if not request.parcels:
        raise ServiceUnavailable(carrier.code, service.code, "a shipment needs at least one parcel")
    if carrier.origin_countries and request.origin.country.upper() not in carrier.origin_countries:
        raise ServiceUnavailable(carrier.code, service.code, f"no pickup in {request.origin.country}")
    try:
        zone, zoned_by = find_zone(service, request.origin, request.destination)
        weights = [billable_grams(p, service.dim_divisor) for p in request.parcels]
        base = sum(_parcel_price(service, zone, g) for g in weights)
    except ServiceUnavailable as exc:
        raise ServiceUnavailable(carrier.code, service.code, exc.reason) from None
    charges = [Charge("base", base)]
    count = len(request.parcels)
    if request.residential and service.residential_minor:
        charges.append(Charge("residential", service.residential_minor * count))
    if service.remote_minor and _is_remote(service, request.destination):
        charges.append(Charge("remote area", service.remote_minor * count))
    total = sum(c.minor for c in charges)
    calendar = carrier.calendar(service, request.origin.timezone)
    when = estimate(calendar, now, zone.transit_days, request.handling_days)
    meets = None if promised_by is None else when.delivery_date <= promised_by
    explanation = _explain(carrier, service, zone, zoned_by, request, weights, charges, total, when)
    return RateQuote(carrier.code, service.code, service.name, zone.code, sum(weights), carrier.currency, total,
                     tuple(charges), when, meets, explanation)


def _explain(carrier: Carrier, service: Service, zone: Zone, zoned_by: str, request: RateRequest,
             weights: list[int], charges: list[Charge], total: int, when: DeliveryEstimate) -> str:
    actual = sum(p.weight_grams for p in request.parcels)
    weight = f"billable {sum(weights) / 1000:g} kg"
    if sum(weights) > actual:
        weight += f" (dimensional, actual {actual / 1000:g} kg)"
    money = " + ".join(f"{c.label} {format_minor(c.minor, carrier.currency)}" for c in charges)
    return (f"{carrier.name} {service.name}: zone {zone.code} ({zoned_by}), {weight}, {money} = "
            f"{format_minor(total, carrier.currency)} {carrier.currency}; {when.explain()}")


def shop(carriers: tuple[Carrier, ...] | list[Carrier], request: RateRequest, now: datetime,
         promised_by: date | None = None) -> ShopResult:
    """Every service that can carry the shipment and meets `promised_by` (if given), cheapest
    first; ties go to the earlier delivery, then to carrier and service code (stable output).
    Prices are only compared within one currency: carriers billing in different currencies are
    grouped by currency code (convert before shopping if that matters)."""
    quotes: list[RateQuote] = []
    unavailable: list[Unavailable] = []
    for carrier in carriers:
        for service in carrier.services:
            try:
                q = quote(carrier, service, request, now, promised_by)
            except ServiceUnavailable as exc:
                unavailable.append(Unavailable(carrier.code, service.code, exc.reason))
                continue
            if q.meets_promise is False:
                reason = f"delivers {q.delivery_date.isoformat()}, after the promised {promised_by}"
                unavailable.append(Unavailable(carrier.code, service.code, reason))
            else:
                quotes.append(q)
    quotes.sort(key=lambda q: (q.currency, q.total_minor, q.delivery_date, q.carrier, q.service))
    return ShopResult(tuple(quotes), tuple(unavailable))


def delivery_promise(carriers: tuple[Carrier, ...] | list[Carrier], request: RateRequest,
                     now: datetime) -> DeliveryPromise | None:
    """For a cart before checkout: the earliest delivery date any service offers and how long
    the customer has to order to get it ("order within 2 h, get it Thursday")."""
    offered = shop(carriers, request, now).quotes
    return best_promise([(f"{q.carrier}/{q.service}", q.estimate) for q in offered], now)
