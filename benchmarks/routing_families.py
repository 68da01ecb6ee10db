"""Order generators for the routing quality benchmark (benchmarks/routing_quality.py).

Each family is built to trap a routing heuristic in one way; all use real US metro coordinates
for locations and real ZIP centroids (routing.geo's table) for destinations, and seeded RNGs.

  classic          the project's original generator: 40-SKU catalog, 0-6 units where stocked
  metro            the issue's "new user" shape: skewed stock (most locations 0-3), 1-8 lines, kits
  shared_sku       the same SKU on several lines, kits built from SKUs also ordered alone
  split_kits       split and non-split kits with scarce, shared components
  fragmented       most locations hold 0-2 units; orders need many locations
  near_but_one     a near location holds all but one unit; the rest is elsewhere
  two_far_one_near one near location that is slow or dear, cheap far ones that must be combined
  late_traps       tight promises; cheap locations that cannot make them
  heavy            10-30 kg items: per-kg rates dominate, splits to near locations pay
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from conveyor.routing.geo import zip_table
from conveyor.routing.model import Candidate, Component, Destination, RequestLine, RoutingRequest

TODAY = date(2026, 3, 2)

# Approximate coordinates of 48 US metro areas (city centres, 2 decimals).
METROS = [
    (40.71, -74.01), (34.05, -118.24), (41.88, -87.63), (29.76, -95.37), (33.45, -112.07),
    (39.95, -75.17), (29.42, -98.49), (32.72, -117.16), (32.78, -96.80), (37.34, -121.89),
    (30.27, -97.74), (30.33, -81.66), (32.76, -97.33), (39.96, -83.00), (35.23, -80.84),
    (37.77, -122.42), (39.77, -86.16), (47.61, -122.33), (39.74, -104.99), (38.91, -77.04),
    (42.36, -71.06), (31.76, -106.49), (36.16, -86.78), (42.33, -83.05), (35.47, -97.52),
    (45.52, -122.68), (36.17, -115.14), (35.15, -90.05), (38.25, -85.76), (39.29, -76.61),
    (43.04, -87.91), (35.08, -106.65), (32.22, -110.97), (36.74, -119.79), (38.58, -121.49),
    (39.10, -94.58), (33.75, -84.39), (25.76, -80.19), (41.26, -95.93), (35.78, -78.64),
    (44.98, -93.27), (36.15, -95.99), (29.95, -90.07), (27.95, -82.46), (40.44, -79.99),
    (39.10, -84.51), (40.76, -111.89), (43.05, -76.15),
]


def destinations(rng: random.Random, count: int = 4000) -> list[str]:
    """Real ZIP codes (contiguous states) to ship to."""
    codes = [z for z, lat, lon in zip_table() if 24 < lat < 50 and -125 < lon < -66]
    return rng.sample(codes, count)


def catalog(rng: random.Random, size: int = 40) -> list[tuple[str, int, int]]:
    """(sku, grams, price minor): mostly light items, some heavy ones."""
    return [
        (f"SKU{n:03d}", int(min(rng.lognormvariate(7.0, 1.0), 30_000)), rng.randrange(500, 20_000))
        for n in range(size)
    ]


def location(rng: random.Random, n: int, where: tuple[float, float], stock: dict[str, int], **kw) -> Candidate:
    scale = rng.uniform(0.8, 1.25)
    kw.setdefault("package_base_minor", rng.randrange(450, 750))
    kw.setdefault("rate_per_kg_minor", tuple(int(r * scale) for r in (90, 140, 200, 270, 350)))
    kw.setdefault("handling_minor", rng.randrange(100, 250))
    return Candidate(f"loc_{n}", f"L{n}", n, stock, where[0], where[1], **kw)


def plain(n: int, sku: tuple[str, int, int], qty: int) -> RequestLine:
    return RequestLine(f"l{n}", sku[0], qty, (Component(sku[0]),), sku[1], sku[2])


def kit(n: int, parts: list[tuple[str, int, int]], qty: int, per: list[int], split: bool) -> RequestLine:
    comps = tuple(Component(s[0], k) for s, k in zip(parts, per, strict=True))
    grams = sum(s[1] * k for s, k in zip(parts, per, strict=True))
    price = sum(s[2] * k for s, k in zip(parts, per, strict=True))
    return RequestLine(f"l{n}", f"KIT{n}", qty, comps, grams, price, allow_split=split)


def request(rng: random.Random, zips: list[str], lines: list[RequestLine], promise: float = 0.3) -> RoutingRequest:
    promised = TODAY + timedelta(days=rng.randrange(1, 6)) if rng.random() < promise else None
    return RoutingRequest(tuple(lines), Destination(postal_code=rng.choice(zips)), "web", promised, TODAY)


Instance = tuple[RoutingRequest, list[Candidate]]
Family = Callable[[random.Random, list[str], int], Instance]


def classic(rng: random.Random, zips: list[str], n: int) -> Instance:
    skus = catalog(rng)
    cands = [
        location(rng, k, rng.choice(METROS), {s[0]: rng.randrange(0, 7) for s in skus if rng.random() < 0.5},
                 capacity_left=0 if rng.random() < 0.05 else None)
        for k in range(n)
    ]
    lines = []
    for k in range(rng.randint(1, 5)):
        if rng.random() < 0.1:
            parts = rng.sample(skus, rng.randrange(2, 4))
            lines.append(kit(k, parts, rng.choice((1, 1, 1, 2, 3)), [rng.choice((1, 1, 2)) for _ in parts],
                             rng.random() < 0.3))
        else:
            lines.append(plain(k, rng.choice(skus), rng.choice((1, 1, 1, 2, 3))))
    return request(rng, zips, lines), cands


def skewed_stock(rng: random.Random, skus: list[tuple[str, int, int]], low: int = 3) -> dict[str, int]:
    return {s[0]: rng.choice((0, 0, 0, 1, 1, 2, low, low + 2)) for s in skus if rng.random() < 0.6}


def mixed_lines(rng: random.Random, skus: list, count: int, kit_share: float, split_share: float) -> list:
    lines = []
    for k in range(count):
        if rng.random() < kit_share:
            parts = rng.sample(skus, rng.randrange(2, 4))
            lines.append(kit(k, parts, rng.choice((1, 1, 2)), [rng.choice((1, 1, 2)) for _ in parts],
                             rng.random() < split_share))
        else:
            lines.append(plain(k, rng.choice(skus), rng.choice((1, 1, 1, 2, 3))))
    return lines


def metro(rng: random.Random, zips: list[str], n: int, lines: int | None = None) -> Instance:
    skus = catalog(rng, 25)
    cands = [location(rng, k, rng.choice(METROS), skewed_stock(rng, skus)) for k in range(n)]
    count = lines if lines is not None else rng.randint(1, 8)
    return request(rng, zips, mixed_lines(rng, skus, count, 0.2, 0.4)), cands


def shared_sku(rng: random.Random, zips: list[str], n: int) -> Instance:
    skus = catalog(rng, 6)  # a small catalog: lines keep meeting on the same SKUs
    cands = [location(rng, k, rng.choice(METROS), skewed_stock(rng, skus)) for k in range(n)]
    lines = []
    for k in range(rng.randint(2, 6)):
        sku = rng.choice(skus)
        if rng.random() < 0.35:
            parts = [sku, *rng.sample([s for s in skus if s != sku], rng.randrange(1, 3))]
            lines.append(kit(k, parts, rng.choice((1, 1, 2)), [1] * len(parts), split=False))
        else:  # the same SKU at another weight (a gift-wrapped or bulk variant)
            variant = (sku[0], int(sku[1] * rng.choice((1, 1, 2, 4))), sku[2])
            lines.append(plain(k, variant, rng.choice((1, 2, 3))))
    return request(rng, zips, lines), cands


def split_kits(rng: random.Random, zips: list[str], n: int) -> Instance:
    skus = catalog(rng, 8)
    cands = [location(rng, k, rng.choice(METROS), skewed_stock(rng, skus, 2)) for k in range(n)]
    lines = mixed_lines(rng, skus, rng.randint(1, 5), 0.7, 0.5)
    return request(rng, zips, lines), cands


def fragmented(rng: random.Random, zips: list[str], n: int) -> Instance:
    skus = catalog(rng, 10)
    cands = [
        location(rng, k, rng.choice(METROS), {s[0]: rng.choice((0, 0, 0, 1, 1, 2)) for s in skus})
        for k in range(n)
    ]
    lines = [plain(k, s, rng.randint(2, 6)) for k, s in enumerate(rng.sample(skus, rng.randint(1, 4)))]
    if rng.random() < 0.3:
        lines.append(kit(len(lines), rng.sample(skus, 2), rng.randint(1, 2), [1, 1], rng.random() < 0.5))
    return request(rng, zips, lines, promise=0.4), cands


def near_but_one(rng: random.Random, zips: list[str], n: int) -> Instance:
    request_, cands = metro(rng, zips, n, rng.randint(2, 6))
    point = _point(request_)
    near = min(range(n), key=lambda k: _d2(cands[k], point))
    stock = dict(cands[near].available)
    needs: dict[str, int] = {}
    for line in request_.lines:
        for c in line.components:
            needs[c.sku_id] = needs.get(c.sku_id, 0) + c.per_unit * line.quantity
    stock.update(needs)
    short = rng.choice(sorted(needs))
    stock[short] -= 1  # all but one unit
    cands[near] = location(rng, near, (cands[near].latitude, cands[near].longitude), stock)
    return request_, cands


def two_far_one_near(rng: random.Random, zips: list[str], n: int) -> Instance:
    request_, cands = metro(rng, zips, n, rng.randint(2, 5))
    point = _point(request_)
    near = min(range(n), key=lambda k: _d2(cands[k], point))
    stock = {c.sku_id: c.per_unit * line.quantity for line in request_.lines for c in line.components}
    slow = rng.random() < 0.5  # slow (misses promises) or dear (high handling)
    cands[near] = location(rng, near, (cands[near].latitude, cands[near].longitude), stock,
                           handling_days=3 if slow else 0, handling_minor=250 if slow else rng.randrange(1500, 4000))
    for k in rng.sample([k for k in range(n) if k != near], min(4, n - 1)):
        cheap = tuple(int(r * 0.4) for r in (90, 140, 200, 270, 350))
        cands[k] = location(rng, k, (cands[k].latitude, cands[k].longitude), cands[k].available,
                            rate_per_kg_minor=cheap, package_base_minor=350)
    promised = TODAY + timedelta(days=rng.randrange(2, 5)) if slow else request_.promised_by
    return RoutingRequest(request_.lines, request_.destination, "web", promised, TODAY), cands


def late_traps(rng: random.Random, zips: list[str], n: int) -> Instance:
    skus = catalog(rng, 12)
    cands = [
        location(rng, k, rng.choice(METROS), skewed_stock(rng, skus),
                 **({"handling_days": 2, "rate_per_kg_minor": (30, 40, 60, 80, 100)} if rng.random() < 0.4 else {}))
        for k in range(n)
    ]
    req = request(rng, zips, mixed_lines(rng, skus, rng.randint(1, 5), 0.15, 0.5), promise=1.0)
    return RoutingRequest(req.lines, req.destination, "web", TODAY + timedelta(days=rng.randint(1, 3)), TODAY), cands


def heavy(rng: random.Random, zips: list[str], n: int) -> Instance:
    skus = [(f"HVY{k:02d}", rng.randrange(10_000, 30_000), rng.randrange(5_000, 50_000)) for k in range(10)]
    cands = [location(rng, k, rng.choice(METROS), skewed_stock(rng, skus)) for k in range(n)]
    return request(rng, zips, mixed_lines(rng, skus, rng.randint(1, 5), 0.15, 0.5)), cands


def _point(req: RoutingRequest) -> tuple[float, float]:
    from conveyor.routing.geo import locate

    p = locate(req.destination)
    return (p.latitude or 0.0, p.longitude or 0.0)


def _d2(c: Candidate, point: tuple[float, float]) -> float:
    return ((c.latitude or 0.0) - point[0]) ** 2 + ((c.longitude or 0.0) - point[1]) ** 2


FAMILIES: dict[str, Family] = {
    "classic": classic,
    "metro": metro,
    "shared_sku": shared_sku,
    "split_kits": split_kits,
    "fragmented": fragmented,
    "near_but_one": near_but_one,
    "two_far_one_near": two_far_one_near,
    "late_traps": late_traps,
    "heavy": heavy,
}
