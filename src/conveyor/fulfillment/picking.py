"""Wave/batch pick lists in walking order, and short-pick reports.

Bins are addressed like `A-03-2-B`: zone, aisle, bay, level, position (as many parts as the
location uses, separated by `-`, `.`, `/` or spaces). Parts compare naturally ("A-10" after
"A-9"). The walk is serpentine (S-shape): up the first aisle with picks, down the next, and so
on, so the picker never walks an aisle twice; within a bay, levels and positions ascend.

A batch pick list sums the units per bin and SKU across orders, and keeps each stop's breakdown
by fulfilment order so the picker can put them to the right tote ("put-to-order").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from conveyor.shared.errors import ValidationFailed

BIN_PARTS = ("zone", "aisle", "bay", "level", "position")
_SEPARATORS = re.compile(r"[-./\s]+")
_RUNS = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class BinAddress:
    raw: str
    zone: str = ""
    aisle: str = ""
    bay: str = ""
    level: str = ""
    position: str = ""


def parse_bin(raw: str) -> BinAddress:
    parts = [p for p in _SEPARATORS.split(raw.strip().upper()) if p]
    if len(parts) > len(BIN_PARTS):  # extra parts belong to the position ("A-1-2-3-4-5" → position "4-5")
        parts = parts[:4] + ["-".join(parts[4:])]
    return BinAddress(raw.strip(), **dict(zip(BIN_PARTS, parts, strict=False)))


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """"A10" after "A9": digit runs compare as numbers, the rest as text."""
    return tuple((0, int(run)) if run.isdigit() else (1, run) for run in _RUNS.split(text) if run)


@dataclass(frozen=True, slots=True)
class PickRequestLine:
    fulfillment_order: str
    line_id: str
    sku: str
    quantity: int
    bin: str  # the SKU's bin at this location; "" when it has none
    order_ref: str = ""  # the customer-facing order number, printed for put-to-order


@dataclass(frozen=True, slots=True)
class PutToOrder:
    fulfillment_order: str
    order_ref: str
    line_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PickStop:
    sequence: int
    bin: str
    sku: str
    quantity: int
    breakdown: tuple[PutToOrder, ...]


@dataclass(frozen=True, slots=True)
class PickList:
    location: str
    reference: str
    stops: tuple[PickStop, ...]

    @property
    def total_units(self) -> int:
        return sum(stop.quantity for stop in self.stops)

    @property
    def fulfillment_orders(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for stop in self.stops:
            for put in stop.breakdown:
                seen.setdefault(put.fulfillment_order, None)
        return tuple(seen)


def walking_order(bins: Iterable[str], serpentine: bool = True) -> list[str]:
    """The bins in the order a picker walks them. Bins without an address go last."""
    addressed = {b: parse_bin(b) for b in set(bins) if b.strip()}

    def aisle_of(a: BinAddress) -> tuple:
        return natural_key(a.zone), natural_key(a.aisle)

    # Rank the bays within each aisle; every other aisle (among those with picks) is walked back.
    bays: dict[tuple, set[tuple]] = {}
    for a in addressed.values():
        bays.setdefault(aisle_of(a), set()).add(natural_key(a.bay))
    rank: dict[tuple, dict[tuple, int]] = {}
    for visit, aisle in enumerate(sorted(bays)):
        ordered = sorted(bays[aisle], reverse=serpentine and visit % 2 == 1)
        rank[aisle] = {bay: i for i, bay in enumerate(ordered)}

    def key(name: str) -> tuple:
        a = addressed[name]
        aisle = aisle_of(a)
        return aisle, rank[aisle][natural_key(a.bay)], natural_key(a.level), natural_key(a.position), name

    unaddressed = sorted({b for b in bins if not b.strip()})
    return sorted(addressed, key=key) + unaddressed


def build_pick_list(lines: Iterable[PickRequestLine], location: str, reference: str = "",
                    serpentine: bool = True) -> PickList:
    """One pick list for a batch of fulfilment-order lines at `location`."""
    grouped: dict[tuple[str, str], list[PickRequestLine]] = {}
    for line in lines:
        if line.quantity <= 0:
            raise ValidationFailed(f"line {line.line_id} has quantity {line.quantity}", line_id=line.line_id)
        grouped.setdefault((line.bin.strip(), line.sku), []).append(line)
    order = {b: i for i, b in enumerate(walking_order({b for b, _ in grouped}, serpentine))}
    keys = sorted(grouped, key=lambda k: (order[k[0]], natural_key(k[1])))
    stops = []
    for sequence, (bin_name, sku) in enumerate(keys, start=1):
        group = grouped[(bin_name, sku)]
        breakdown = tuple(PutToOrder(g.fulfillment_order, g.order_ref, g.line_id, g.quantity) for g in group)
        stops.append(PickStop(sequence, bin_name, sku, sum(g.quantity for g in group), breakdown))
    return PickList(location, reference, tuple(stops))


def plan_waves(lines: Sequence[PickRequestLine], max_orders: int = 20, max_units: int | None = None
               ) -> list[list[PickRequestLine]]:
    """Split lines into waves of whole fulfilment orders, in the order given (put the most urgent
    first): at most `max_orders` orders and, if set, `max_units` units per wave (an order larger
    than `max_units` gets a wave of its own)."""
    by_order: dict[str, list[PickRequestLine]] = {}
    for line in lines:
        by_order.setdefault(line.fulfillment_order, []).append(line)
    waves: list[list[PickRequestLine]] = []
    current: list[PickRequestLine] = []
    orders = units = 0
    for order_lines in by_order.values():
        size = sum(line.quantity for line in order_lines)
        if current and (orders >= max_orders or (max_units is not None and units + size > max_units)):
            waves.append(current)
            current, orders, units = [], 0, 0
        current += order_lines
        orders, units = orders + 1, units + size
    if current:
        waves.append(current)
    return waves


# --- short picks --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShortPick:
    fulfillment_order: str
    line_id: str
    sku: str
    bin: str
    requested: int
    picked: int

    @property
    def short(self) -> int:
        return self.requested - self.picked


@dataclass(frozen=True, slots=True)
class RerouteLine:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ShortPickReport:
    location: str
    reference: str
    shorts: tuple[ShortPick, ...]

    def by_fulfillment_order(self) -> dict[str, list[ShortPick]]:
        result: dict[str, list[ShortPick]] = {}
        for short in self.shorts:
            result.setdefault(short.fulfillment_order, []).append(short)
        return result

    def remainder(self, fulfillment_order: str) -> tuple[RerouteLine, ...]:
        """What one fulfilment order still needs, to route again through the routing engine
        (as `RequestLine(line_id, sku, quantity, (Component(sku),))`, this location excluded)."""
        return tuple(RerouteLine(s.line_id, s.sku, s.short)
                     for s in self.by_fulfillment_order().get(fulfillment_order, []))


def report_short_picks(pick_list: PickList, picked: Mapping[tuple[str, str], int]) -> ShortPickReport:
    """Compare what was picked per (bin, sku) with the list. A short stop's units go to the
    orders in the stop's breakdown order (put the most urgent first); the rest are short."""
    shorts = []
    for stop in pick_list.stops:
        available = picked.get((stop.bin, stop.sku), 0)
        if available > stop.quantity:
            raise ValidationFailed(f"picked {available} of {stop.sku} at {stop.bin}, only {stop.quantity} listed")
        for put in stop.breakdown:
            take = min(available, put.quantity)
            available -= take
            if take < put.quantity:
                shorts.append(ShortPick(put.fulfillment_order, put.line_id, stop.sku, stop.bin, put.quantity, take))
    return ShortPickReport(pick_list.location, pick_list.reference, tuple(shorts))
