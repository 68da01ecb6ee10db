"""Distance from an order's destination to a shipping location, offline.

Where the destination point comes from, best first:
  1. coordinates given on the destination           -> precision "coordinates"
  2. US ZIP centroid (routing.ziptable, from the `zipcodes` package) -> precision "postal_code"
  3. US state / Canadian province centroid (shipped) -> precision "region"
  4. country centroid (shipped table)                -> precision "country"
  5. nothing known                                   -> precision "unknown" (no distance)

Never calls a network geocoder: routing runs on the hot path of order placement and must work
offline, so coarse-but-local beats precise-but-remote. The tables load on first use; call
`warm_up()` at process start-up to load them before the first order instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from math import asin, cos, radians, sin, sqrt

from haversine import Unit, haversine

from conveyor.routing import ziptable
from conveyor.routing.model import Candidate, Destination

PRECISIONS = ("coordinates", "postal_code", "region", "country", "unknown")


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float | None
    longitude: float | None
    precision: str


@dataclass(frozen=True, slots=True)
class GeoDistance:
    km: float | None
    precision: str

    def describe(self) -> str:
        return "distance unknown" if self.km is None else f"{self.km:.0f} km ({self.precision})"


UNKNOWN = GeoPoint(None, None, "unknown")


@lru_cache(maxsize=1)
def _centroids() -> dict:
    text = resources.files("conveyor.routing").joinpath("data/centroids.json").read_text("utf-8")
    return json.loads(text)


def zip_point(postal_code: str) -> tuple[float, float] | None:
    """Centroid of a US ZIP ("10001" or "10001-1234"), or None if unknown."""
    zip5 = postal_code.strip()[:5]
    if len(zip5) != 5 or not zip5.isdigit():
        return None
    return ziptable.table().point(zip5)


def zip_table() -> ziptable.ZipTable:
    """Every known US ZIP centroid: iterate for (zip, latitude, longitude)."""
    return ziptable.table()


def warm_up() -> None:
    """Load the ZIP and region tables now (thread-safe, once): for process start-up, so the
    first order does not pay for it."""
    ziptable.table()
    _centroids()


def region_point(country: str, region: str) -> tuple[float, float] | None:
    """Centroid of a state/province given by code ("NY") or name ("New York")."""
    table = _centroids()["regions"].get(country.upper())
    if not table or not region:
        return None
    key = region.strip().upper()
    if key in table:
        return table[key][0], table[key][1]
    wanted = region.strip().casefold()
    for lat, lon, name in table.values():
        if name.casefold() == wanted:
            return lat, lon
    return None


def country_point(country: str) -> tuple[float, float] | None:
    row = _centroids()["countries"].get(country.strip().upper())
    return (row[0], row[1]) if row else None


@lru_cache(maxsize=8192)
def locate(dest: Destination) -> GeoPoint:
    """The best point we can find for a destination, and how precise it is."""
    if dest.latitude is not None and dest.longitude is not None:
        return GeoPoint(dest.latitude, dest.longitude, "coordinates")
    country = (dest.country or "").strip().upper()
    if country in ("US", "PR") and dest.postal_code:
        point = zip_point(dest.postal_code)
        if point:
            return GeoPoint(point[0], point[1], "postal_code")
    point = region_point(country, dest.region)
    if point:
        return GeoPoint(point[0], point[1], "region")
    point = country_point(country) if country else None
    if point:
        return GeoPoint(point[0], point[1], "country")
    return UNKNOWN


_EARTH_RADIUS_KM = 6371.0088  # the haversine package's mean radius
_UNKNOWN_DISTANCE = GeoDistance(None, "unknown")


def distance(dest: Destination | GeoPoint, candidate: Candidate) -> GeoDistance:
    """Great-circle km from the destination to a candidate (unknown if either lacks a point)."""
    point = dest if isinstance(dest, GeoPoint) else locate(dest)
    if point.latitude is None or candidate.latitude is None or candidate.longitude is None:
        return _UNKNOWN_DISTANCE
    return GeoDistance(
        _km(point.latitude, point.longitude, candidate.latitude, candidate.longitude), point.precision
    )


@lru_cache(maxsize=65536)
def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Cached per (destination point, location): an order is routed once per rule set tried,
    and re-routes, previews and repeat customers ask for the same pairs again. Same formula as
    `haversine()`, without its per-call argument handling (this runs for every candidate)."""
    if not (-90 <= lat1 <= 90 and -180 <= lon1 <= 180 and -90 <= lat2 <= 90 and -180 <= lon2 <= 180):
        return haversine((lat1, lon1), (lat2, lon2), unit=Unit.KILOMETERS)  # raises as it always did
    lat1, lon1, lat2, lon2 = radians(lat1), radians(lon1), radians(lat2), radians(lon2)
    d = sin((lat2 - lat1) * 0.5) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) * 0.5) ** 2
    return _EARTH_RADIUS_KM * 2 * asin(sqrt(d))
