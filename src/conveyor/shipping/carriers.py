"""Carriers and their services as data: zones, weight breaks, dimensional weight, surcharges,
transit days, pickup cut-offs and holiday calendars.

`carrier_from_dict` validates a plain dict (parsed JSON, a database JSON column) into frozen
dataclasses and reports the path of the first bad field, so the lead can store carriers as
documents and rate tables can be edited without code. The shape is documented in docs/shipping.md
and an example lives in `conveyor/shipping/data/demo_carriers.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from importlib import resources
from typing import Any

from conveyor.shared.errors import ValidationFailed
from conveyor.shared.money import check_currency, to_minor
from conveyor.shipping.calendar import MONDAY_TO_FRIDAY, ShippingCalendar

ZONINGS = ("distance", "postal_prefix")


@dataclass(frozen=True, slots=True)
class Zone:
    """A delivery zone: by distance band (`max_km`) or by destination postal-code prefixes."""

    code: str
    transit_days: int
    max_km: float | None = None
    postal_prefixes: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # destination countries this zone covers; empty = any


@dataclass(frozen=True, slots=True)
class WeightBreak:
    """Price per zone for billable weights up to and including `max_grams`."""

    max_grams: int
    prices_minor: dict[str, int]  # zone code -> price in minor units


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    name: str
    zoning: str  # "distance" or "postal_prefix"
    zones: tuple[Zone, ...]
    weight_breaks: tuple[WeightBreak, ...]  # ascending max_grams
    dim_divisor: int | None = None  # cm³ per kg (5000 metric, 6000 some services); None = off
    residential_minor: int = 0
    remote_minor: int = 0
    remote_postal_prefixes: tuple[str, ...] = ()
    max_weight_grams: int | None = None
    cutoff: time | None = None  # overrides the carrier's pickup cut-off
    delivery_weekdays: frozenset[int] | None = None  # overrides the carrier's (e.g. Saturday delivery)


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str  # "ups", "fedex", "usps", "dhl" or a local courier's code
    name: str
    currency: str
    services: tuple[Service, ...]
    tracking_format: str | None = None  # which carrier's tracking-number format labels carry
    account: str = ""  # UPS shipper number / USPS mailer id used in generated tracking numbers
    cutoff: time = time(17, 0)
    pickup_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    delivery_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    working_holidays: frozenset[str] = frozenset()
    closed_dates: frozenset[date] = frozenset()
    origin_countries: tuple[str, ...] = ()  # where it picks up; empty = anywhere

    def service(self, code: str) -> Service:
        for service in self.services:
            if service.code == code:
                return service
        raise ValidationFailed(f"carrier {self.code!r} has no service {code!r}", carrier=self.code, service=code)

    def calendar(self, service: Service, timezone: str) -> ShippingCalendar:
        """The pickup/delivery calendar of `service` at an origin in `timezone`."""
        return ShippingCalendar(
            timezone=timezone,
            cutoff=service.cutoff or self.cutoff,
            pickup_weekdays=self.pickup_weekdays,
            delivery_weekdays=service.delivery_weekdays or self.delivery_weekdays,
            holiday_country=self.holiday_country,
            holiday_subdivision=self.holiday_subdivision,
            working_holidays=self.working_holidays,
            extra_closed_dates=self.closed_dates,
        )


# --- validation from plain data -------------------------------------------------------------------


class _Reader:
    """Reads one dict, naming the path of whatever is wrong ("services[1].zones[0].max_km")."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ValidationFailed(f"{path or 'carrier'}: expected an object", field=path)
        self.data, self.path = data, path

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> ValidationFailed:
        return ValidationFailed(f"{self.where(key)}: {problem}", field=self.where(key))

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data or self.data[key] is None:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(key, f"has the wrong type ({type(value).__name__})")
        return value

    def positive_int(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, int, default)
        if value is not None and value is not default and value < 0:
            raise self.fail(key, "must not be negative")
        return value

    def money(self, key: str, currency: str, default: int = 0) -> int:
        value = self.get(key, (str, int), None)
        if value is None:
            return default
        try:
            minor = to_minor(str(value), currency)
        except ValidationFailed as exc:
            raise self.fail(key, exc.detail) from exc
        if minor < 0:
            raise self.fail(key, "must not be negative")
        return minor

    def clock(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if not isinstance(value, str):
            return value
        try:
            return time.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(key, "is not a time like 17:00") from exc

    def weekdays(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, list, default)
        if not isinstance(value, list):
            return value
        if not value or any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in value):
            raise self.fail(key, "must list weekdays 0 (Monday) to 6 (Sunday)")
        return frozenset(value)

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.get(key, list, [])
        if any(not isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        return tuple(value)

    def items(self, key: str) -> list[_Reader]:
        value = self.get(key, list)
        if not value:
            raise self.fail(key, "must not be empty")
        return [_Reader(item, f"{self.where(key)}[{i}]") for i, item in enumerate(value)]


def carrier_from_dict(data: Any) -> Carrier:
    r = _Reader(data, "")
    currency = r.get("currency", str)
    try:
        check_currency(currency)
    except ValidationFailed as exc:
        raise r.fail("currency", exc.detail) from exc
    services = tuple(_service(s, currency) for s in r.items("services"))
    codes = [s.code for s in services]
    if len(set(codes)) != len(codes):
        raise r.fail("services", "service codes must be unique")
    closed = r.strings("closed_dates")
    try:
        closed_dates = frozenset(date.fromisoformat(d) for d in closed)
    except ValueError as exc:
        raise r.fail("closed_dates", "must be ISO dates") from exc
    return Carrier(
        code=r.get("code", str), name=r.get("name", str), currency=currency, services=services,
        tracking_format=r.get("tracking_format", str, None), account=r.get("account", str, ""),
        cutoff=r.clock("cutoff", time(17, 0)), pickup_weekdays=r.weekdays("pickup_weekdays", MONDAY_TO_FRIDAY),
        delivery_weekdays=r.weekdays("delivery_weekdays", MONDAY_TO_FRIDAY),
        holiday_country=r.get("holiday_country", str, None),
        holiday_subdivision=r.get("holiday_subdivision", str, None),
        working_holidays=frozenset(r.strings("working_holidays")), closed_dates=closed_dates,
        origin_countries=r.strings("origin_countries"),
    )


def _service(r: _Reader, currency: str) -> Service:
    zoning = r.get("zoning", str)
    if zoning not in ZONINGS:
        raise r.fail("zoning", f"must be one of {', '.join(ZONINGS)}")
    zones = tuple(_zone(z, zoning) for z in r.items("zones"))
    zone_codes = {z.code for z in zones}
    breaks = tuple(_weight_break(b, currency, zone_codes) for b in r.items("weight_breaks"))
    if [b.max_grams for b in breaks] != sorted({b.max_grams for b in breaks}):
        raise r.fail("weight_breaks", "max_grams must be strictly ascending")
    divisor = r.positive_int("dim_divisor", None)
    if divisor == 0:
        raise r.fail("dim_divisor", "must be positive")
    return Service(
        code=r.get("code", str), name=r.get("name", str), zoning=zoning, zones=zones, weight_breaks=breaks,
        dim_divisor=divisor, residential_minor=r.money("residential_surcharge", currency),
        remote_minor=r.money("remote_surcharge", currency), remote_postal_prefixes=r.strings("remote_postal_prefixes"),
        max_weight_grams=r.positive_int("max_weight_grams", None), cutoff=r.clock("cutoff", None),
        delivery_weekdays=r.weekdays("delivery_weekdays", None),
    )


def _zone(r: _Reader, zoning: str) -> Zone:
    transit = r.positive_int("transit_days")
    if zoning == "distance":
        max_km = r.get("max_km", (int, float))
        if max_km <= 0:
            raise r.fail("max_km", "must be positive")
        return Zone(r.get("code", str), transit, max_km=float(max_km), countries=r.strings("countries"))
    prefixes = r.strings("postal_prefixes")
    if not prefixes:
        raise r.fail("postal_prefixes", "must not be empty for postal-prefix zoning")
    return Zone(r.get("code", str), transit, postal_prefixes=prefixes, countries=r.strings("countries"))


def _weight_break(r: _Reader, currency: str, zones: set[str]) -> WeightBreak:
    prices = r.get("prices", dict)
    unknown = set(prices) - zones
    if unknown:
        raise r.fail("prices", f"unknown zone(s) {', '.join(sorted(unknown))}")
    priced = _Reader(prices, r.where("prices"))
    max_grams = r.positive_int("max_grams")
    if max_grams == 0:
        raise r.fail("max_grams", "must be positive")
    return WeightBreak(max_grams, {zone: priced.money(zone, currency) for zone in prices})


def carriers_from_json(text: str) -> tuple[Carrier, ...]:
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValidationFailed("expected a JSON list of carriers")
    return tuple(carrier_from_dict(item) for item in data)


@lru_cache(maxsize=1)
def demo_carriers() -> tuple[Carrier, ...]:
    """The built-in demo rate tables (illustrative prices, real calendars)."""
    text = resources.files("conveyor.shipping").joinpath("data/demo_carriers.json").read_text("utf-8")
    return carriers_from_json(text)
