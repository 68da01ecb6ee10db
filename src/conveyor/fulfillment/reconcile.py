"""Keep an order's fulfilment orders equal to its allocation rows (pure).

The order core decides what is allocated where (placement, re-routes, cancels, shipments); a
fulfilment order only tracks the warehouse's progress on those units. After any change, the
units held by an order's open fulfilment orders must equal its open allocation rows, per
(order line, part, location). `plan` says how to get there:

- more allocated than held → add the units to the location's `pending` fulfilment order (a new
  one when there is none: "one per location per routed shipment");
- fewer allocated than held → take units back, least progress first (pending before released
  before picking before packed; newest first), or from a preferred one (a short pick);
- a fulfilment order left with no units is `emptied` (the caller cancels it, or marks it shipped
  when the units left with a shipment recorded outside the pick/pack flow).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from conveyor.fulfillment.states import PROGRESS, FoStatus

Key = tuple[str, str, str]  # (order line id, part SKU id, location id)


@dataclass(frozen=True, slots=True)
class Need:
    quantity: int  # open part units allocated (the allocation row's quantity)
    per_unit: int
    sku_code: str


@dataclass(frozen=True, slots=True)
class HeldLine:
    id: str
    order_line_id: str
    sku_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class HeldOrder:
    """A fulfilment order that holds units (`states.holds_units`)."""
    id: str
    location_id: str
    status: str
    lines: tuple[HeldLine, ...]


@dataclass(frozen=True, slots=True)
class Addition:
    location_id: str
    fulfilment_order_id: str | None  # None: the plan's new fulfilment order for this location
    order_line_id: str
    sku_id: str
    sku_code: str
    per_unit: int
    units: int


@dataclass(frozen=True, slots=True)
class Reduction:
    fulfilment_order_id: str
    line_id: str
    units: int


@dataclass(slots=True)
class Plan:
    additions: list[Addition] = field(default_factory=list)
    reductions: list[Reduction] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.additions or self.reductions or self.emptied)

    def new_locations(self) -> list[str]:
        return sorted({a.location_id for a in self.additions if a.fulfilment_order_id is None})


def plan(needs: Mapping[Key, Need], held: Iterable[HeldOrder], prefer: str | None = None) -> Plan:
    """What to add and take back so that `held` covers exactly `needs` (see the module doc)."""
    held = list(held)
    covered: dict[Key, int] = defaultdict(int)
    for fo in held:
        for line in fo.lines:
            covered[(line.order_line_id, line.sku_id, fo.location_id)] += line.quantity
    result = Plan()
    left = {line.id: line.quantity for fo in held for line in fo.lines}
    for key in sorted(set(needs) | set(covered)):
        need = needs.get(key)
        diff = (need.quantity if need else 0) - covered.get(key, 0)
        if diff > 0 and need is not None:
            result.additions.append(_addition(key, need, diff, held))
        elif diff < 0:
            result.reductions += _take_back(key, -diff, held, left, prefer)
    gained = {a.fulfilment_order_id for a in result.additions}
    result.emptied = [fo.id for fo in held
                      if fo.id not in gained and sum(left[line.id] for line in fo.lines) == 0]
    return result


def _addition(key: Key, need: Need, units: int, held: list[HeldOrder]) -> Addition:
    line_id, sku_id, location_id = key
    pending = [fo for fo in held if fo.location_id == location_id and fo.status == FoStatus.PENDING]
    target = max(pending, key=lambda fo: fo.id).id if pending else None
    return Addition(location_id, target, line_id, sku_id, need.sku_code, need.per_unit, units)


def _take_back(key: Key, units: int, held: list[HeldOrder], left: dict[str, int],
               prefer: str | None) -> list[Reduction]:
    line_id, sku_id, location_id = key

    def order_of(fo: HeldOrder) -> tuple[int, int, str]:
        rank = PROGRESS.index(FoStatus(fo.status)) if fo.status in PROGRESS else len(PROGRESS)
        return (0 if fo.id == prefer else 1, rank, _descending(fo.id))

    reductions: list[Reduction] = []
    for fo in sorted((f for f in held if f.location_id == location_id), key=order_of):
        for line in fo.lines:
            if units <= 0:
                return reductions
            if (line.order_line_id, line.sku_id) != (line_id, sku_id) or left[line.id] <= 0:
                continue
            take = min(units, left[line.id])
            left[line.id] -= take
            units -= take
            reductions.append(Reduction(fo.id, line.id, take))
    return reductions


def _descending(text: str) -> str:
    """A sort key that orders strings newest (largest id) first."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)
