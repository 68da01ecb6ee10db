"""How a line's allocation rows turn into its buckets, and how units leave them (pure logic).

A line owns allocation rows: stock of one component SKU at one location (a plain line has one
component, itself, with `per_unit` 1; a kit line has one per part). Each row keeps what is still
open (`quantity`) and what has shipped (`shipped`). The line's buckets follow from the rows:

    shipped   = min over components of  shipped_c // per_unit_c
    allocated = min over components of (open_c + shipped_c) // per_unit_c  − shipped

so there is one definition, whatever the history (re-routes, partial shipments, cancels).

A line that may not split (every plain line, and kits without `allow_split`) keeps whole units at
each location: every component's open quantity there is the same number of units × per_unit, and
units leave a location whole. A split kit's parts may sit at different locations; they ship part
by part, and a kit unit counts as shipped once all its parts have shipped.

Functions here work on any objects with the attributes of `AllocationRow` (ORM rows included)
and change their `quantity` / `shipped` in place, returning what changed so the caller can write
the matching stock ledger entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from conveyor.shared.errors import ErrorCode, ValidationFailed


class AllocationRow(Protocol):
    sku_id: str
    location_id: str
    per_unit: int
    quantity: int
    shipped: int


@dataclass(frozen=True, slots=True)
class LineParts:
    """What one unit of a line is made of: {component sku id: units per line unit}."""
    components: Mapping[str, int]
    split: bool = False


@dataclass(frozen=True, slots=True)
class Movement:
    """Units of one component leaving one row (released back to stock, or shipped)."""
    row: AllocationRow
    sku_id: str
    location_id: str
    units: int


def _per_component(rows: Iterable[AllocationRow], value: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.sku_id] += getattr(row, value)
    return totals


def shipped_units(rows: Sequence[AllocationRow], parts: LineParts) -> int:
    shipped = _per_component(rows, "shipped")
    return min(shipped.get(sku, 0) // per for sku, per in parts.components.items())


def held_units(rows: Sequence[AllocationRow], parts: LineParts) -> int:
    """Whole line units the rows cover, shipped or not."""
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.sku_id] += row.quantity + row.shipped
    return min(totals.get(sku, 0) // per for sku, per in parts.components.items())


def allocated_units(rows: Sequence[AllocationRow], parts: LineParts) -> int:
    return held_units(rows, parts) - shipped_units(rows, parts)


def open_units_at(rows: Sequence[AllocationRow], parts: LineParts, location_id: str) -> int:
    """Whole line units open at one location. For a split kit: units' worth of the parts that
    are there (parts kept elsewhere don't limit what this location can send)."""
    here = [r for r in rows if r.location_id == location_id and r.quantity > 0]
    open_here = _per_component(here, "quantity")
    wanted = parts.components if not parts.split else {s: p for s, p in parts.components.items() if s in open_here}
    if not wanted:
        return 0
    return min(open_here.get(sku, 0) // per for sku, per in wanted.items())


def releasable_units(rows: Sequence[AllocationRow], parts: LineParts) -> int:
    """Allocated line units that can still be given back (none of their parts shipped)."""
    if not parts.split:
        return allocated_units(rows, parts)
    open_total = _per_component(rows, "quantity")
    return min(open_total.get(sku, 0) // per for sku, per in parts.components.items())


def _take(rows: Sequence[AllocationRow], sku_id: str, units: int, first: str | None) -> list[Movement]:
    """Take `units` of one component from its open rows (rows at `first` location before others)."""
    candidates = sorted((r for r in rows if r.sku_id == sku_id and r.quantity > 0),
                        key=lambda r: (r.location_id != first, r.location_id))
    moves = []
    for row in candidates:
        if units <= 0:
            break
        take = min(units, row.quantity)
        moves.append(Movement(row, sku_id, row.location_id, take))
        units -= take
    if units > 0:
        raise ValidationFailed(f"component {sku_id} is short by {units} in this line's allocation",
                               ErrorCode.INVALID_QUANTITY, sku_id=sku_id)
    return moves


def release(rows: Sequence[AllocationRow], parts: LineParts, units: int,
            location_id: str | None = None) -> list[Movement]:
    """Give back `units` line units: from `location_id` only (a re-route away from it), or from
    wherever they are (a cancel). Refuses more than the rows allow, naming the limit."""
    limit = open_units_at(rows, parts, location_id) if location_id else releasable_units(rows, parts)
    _check(units, limit, "released")
    if location_id and not parts.split:
        moves = [m for sku, per in parts.components.items() for m in _take(
            [r for r in rows if r.location_id == location_id], sku, units * per, location_id)]
    elif parts.split:
        # Every part of the kit units goes back (this location's first); a part that already
        # shipped ahead of its kit stays shipped, and only the parts still missing are re-routed.
        open_total = _per_component(rows, "quantity")
        moves = [m for sku, per in parts.components.items()
                 for m in _take(rows, sku, min(units * per, open_total.get(sku, 0)), location_id)]
    else:
        moves = _release_whole_units(rows, parts, units)
    for m in moves:
        m.row.quantity -= m.units
    return moves


def _release_whole_units(rows: Sequence[AllocationRow], parts: LineParts, units: int) -> list[Movement]:
    """A line that may not split gives back whole units location by location."""
    moves: list[Movement] = []
    for location_id in sorted({r.location_id for r in rows}):
        here = [r for r in rows if r.location_id == location_id]
        take = min(units, open_units_at(here, parts, location_id))
        if take:
            moves += [m for sku, per in parts.components.items() for m in _take(here, sku, take * per, location_id)]
            units -= take
    return moves


def ship(rows: Sequence[AllocationRow], parts: LineParts, units: int, location_id: str) -> list[Movement]:
    """Send `units` line units from `location_id`: open quantity becomes shipped."""
    _check(units, open_units_at(rows, parts, location_id), f"shipped from {location_id}")
    here = [r for r in rows if r.location_id == location_id]
    present = {r.sku_id for r in here if r.quantity > 0}
    moves = [m for sku, per in parts.components.items() if not parts.split or sku in present
             for m in _take(here, sku, units * per, location_id)]
    for m in moves:
        m.row.quantity -= m.units
        m.row.shipped += m.units
    return moves


def _check(units: int, limit: int, what: str) -> None:
    if units <= 0:
        raise ValidationFailed("quantity must be positive", ErrorCode.INVALID_QUANTITY)
    if units > limit:
        raise ValidationFailed(f"only {limit} unit(s) can be {what}, not {units}", ErrorCode.INVALID_QUANTITY,
                               available=limit)


def component_needs(rows: Sequence[AllocationRow], parts: LineParts, open_units: int) -> dict[str, int]:
    """Component units still to allocate for `open_units` line units not yet shipped or cancelled."""
    held = defaultdict(int, _per_component(rows, "quantity"))
    shipped = _per_component(rows, "shipped")
    done = shipped_units(rows, parts)
    needs = {}
    for sku, per in parts.components.items():
        # parts shipped ahead of their kit unit count toward it
        have = held[sku] + shipped.get(sku, 0) - done * per
        needs[sku] = max(0, open_units * per - have)
    return needs
