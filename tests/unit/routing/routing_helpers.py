"""Small builders for routing tests (imported by the test modules beside it)."""

from __future__ import annotations

from datetime import date

from conveyor.routing.model import Candidate, Component, Destination, RequestLine, RoutingRequest

# Real places, so distances are obvious: the order goes to Manhattan.
NYC = (40.75, -73.99)
NEWARK = (40.73, -74.17)
CHICAGO = (41.88, -87.63)
DALLAS = (32.78, -96.80)
LA = (34.05, -118.24)
MANHATTAN = Destination(postal_code="10001")
TODAY = date(2026, 3, 2)


def line(line_id: str, sku: str, qty: int, weight: int = 1000, price: int = 2000, **kw) -> RequestLine:
    return RequestLine(
        line_id, sku, qty, (Component(sku),), weight_grams=weight, unit_price_minor=price, **kw
    )


def kit(
    line_id: str,
    qty: int,
    parts: dict[str, int],
    allow_split: bool = False,
    weight: int = 2000,
    price: int = 6000,
) -> RequestLine:
    comps = tuple(Component(sku, n) for sku, n in parts.items())
    return RequestLine(
        line_id, line_id, qty, comps, weight_grams=weight, unit_price_minor=price, allow_split=allow_split
    )


def loc(
    code: str, where: tuple[float, float] | None, stock: dict[str, int], priority: int = 1, **kw
) -> Candidate:
    lat, lon = where if where else (None, None)
    return Candidate(f"loc_{code}", code, priority, dict(stock), lat, lon, **kw)


def order(*lines: RequestLine, dest: Destination = MANHATTAN, **kw) -> RoutingRequest:
    kw.setdefault("today", TODAY)
    return RoutingRequest(tuple(lines), dest, **kw)


def shipped(plan, location_code: str | None = None) -> dict[str, int]:
    """line_id -> units shipped (optionally from one location)."""
    out: dict[str, int] = {}
    for a in plan.assignments:
        if location_code is None or a.location_id == f"loc_{location_code}":
            out[a.line_id] = out.get(a.line_id, 0) + a.quantity
    return out


def codes(plan) -> set[str]:
    return {loc_id.removeprefix("loc_") for loc_id in plan.locations}
