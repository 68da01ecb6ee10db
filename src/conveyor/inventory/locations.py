"""Locations, and what routing needs to know about them (cached per process; see shared/cache.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import or_, select

from conveyor.inventory.model import Location, LocationType
from conveyor.shared import ids
from conveyor.shared.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from conveyor.shared.uow import UnitOfWork


@dataclass(slots=True)
class LocationData:
    code: str
    name: str
    type: str = LocationType.WAREHOUSE
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"
    latitude: float | None = None
    longitude: float | None = None
    can_ship: bool = True
    can_pickup: bool = False
    can_return: bool = True
    priority: int = 100
    daily_capacity: int | None = None
    active: bool = True
    routing_settings: dict | None = None


def create_location(uow: UnitOfWork, data: LocationData) -> Location:
    if data.type not in set(LocationType):
        raise ValidationFailed(f"unknown location type {data.type!r}")
    if uow.session.scalar(select(Location.id).where(Location.code == data.code)):
        raise Conflict(f"location {data.code!r} already exists")
    location = Location(id=ids.new_id("location"), **{**asdict(data), "routing_settings": data.routing_settings or {}})
    uow.session.add(location)
    uow.session.flush()
    _forget_profiles(uow)
    return location


def get_location(uow: UnitOfWork, id_or_code: str) -> Location:
    location = uow.session.scalar(select(Location).where(or_(Location.id == id_or_code,
                                                             Location.code == id_or_code)))
    if location is None:
        raise NotFound("location", id_or_code)
    return location


def resolve_location(uow: UnitOfWork, id_or_code: str) -> Location:
    """Like get_location, but an unknown location in a request body is a 422, not a 404."""
    try:
        return get_location(uow, id_or_code)
    except NotFound:
        raise ValidationFailed(f"unknown location {id_or_code!r}", ErrorCode.UNKNOWN_LOCATION,
                               location=id_or_code) from None


def list_locations(uow: UnitOfWork, active: bool | None = None) -> list[Location]:
    query = select(Location).order_by(Location.priority, Location.code)
    if active is not None:
        query = query.where(Location.active == active)
    return list(uow.session.scalars(query))


def active_location_ids(uow: UnitOfWork, codes: list[str] | None = None) -> list[str]:
    """Ids of active locations (only those with `codes`, when given)."""
    query = select(Location.id).where(Location.active.is_(True))
    if codes:
        query = query.where(Location.code.in_(codes))
    return list(uow.session.scalars(query))


UPDATABLE = set(LocationData.__slots__) - {"code"}


def update_location(uow: UnitOfWork, id_or_code: str, changes: dict) -> Location:
    location = get_location(uow, id_or_code)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationFailed(f"cannot change {', '.join(sorted(unknown))}")
    if "type" in changes and changes["type"] not in set(LocationType):
        raise ValidationFailed(f"unknown location type {changes['type']!r}")
    for name, value in changes.items():
        setattr(location, name, value)
    uow.session.flush()
    _forget_profiles(uow)
    return location


# --- what routing needs about locations, cached per process -------------------------------------

PROFILES_CACHE = "location_profiles"


def _forget_profiles(uow: UnitOfWork) -> None:
    uow.after_commit(uow.caches.named(PROFILES_CACHE).invalidate)


def routing_profiles(uow: UnitOfWork) -> MappingProxyType[str, MappingProxyType[str, Any]]:
    """location id → routing settings plus capabilities derived from the location's flags."""
    found = uow.caches.named(PROFILES_CACHE).get("all", lambda: _read_profiles(uow))
    assert found is not None
    return found


def _read_profiles(uow: UnitOfWork) -> MappingProxyType[str, MappingProxyType[str, Any]]:
    profiles = {}
    for loc in uow.session.scalars(select(Location)):
        settings = dict(loc.routing_settings or {})
        caps = set(settings.pop("capabilities", []))
        caps |= {name for name, flag in (("ship", loc.can_ship), ("pickup", loc.can_pickup),
                                         ("returns", loc.can_return)) if flag}
        settings["capabilities"] = frozenset(caps)
        settings["groups"] = frozenset(settings.get("groups", []))
        if "rate_per_kg_minor" in settings:
            settings["rate_per_kg_minor"] = tuple(settings["rate_per_kg_minor"])
        profiles[loc.id] = MappingProxyType(settings)
    return MappingProxyType(profiles)
