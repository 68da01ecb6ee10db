"""Suggested purchase orders: what to order, from whom, in which quantities.

For each SKU×location the policy (`purchasing.policies`) says how many units are needed; the
supplier's terms turn that into an orderable quantity: rounded up to whole packs, then up to the
minimum order quantity (itself rounded up to whole packs, so the result is always whole packs).
Lines are grouped into one suggested PO per supplier, receiving location and currency (a PO is
received at one location and priced in one currency), priced as Money.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from conveyor.planning.safety import Arrival
from conveyor.purchasing.policies import Policy, StockPosition
from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shared.money import Money


@dataclass(frozen=True, slots=True)
class SupplierItem:
    """A supplier's terms for one SKU."""

    supplier_id: str
    sku_id: str
    unit_cost: Money
    lead_time_days: int
    pack_size: int = 1  # sold in multiples of this many units
    min_order_qty: int = 0  # minimum units per order line (0 or 1: no minimum)
    preferred: bool = False
    supplier_sku: str = ""
    lead_time_sigma_days: float = 0.0

    def __post_init__(self) -> None:
        if self.pack_size < 1 or self.min_order_qty < 0:
            raise ValidationFailed(
                "pack size must be at least 1 and the minimum order quantity 0 or more",
                ErrorCode.INVALID_QUANTITY,
                pack_size=self.pack_size,
                min_order_qty=self.min_order_qty,
            )
        if self.unit_cost.minor < 0 or self.lead_time_days < 0:
            raise ValidationFailed("unit cost and lead time must not be negative", supplier_id=self.supplier_id)


@dataclass(frozen=True, slots=True)
class ReplenishmentItem:
    """One SKU at one location to review: its stock, policy, suppliers, and optionally its forecast
    (`daily`, from `planning`) and the dates its on-order stock arrives, which the alerts use."""

    stock: StockPosition
    policy: Policy
    suppliers: tuple[SupplierItem, ...] = ()
    daily: tuple[float, ...] = ()
    arrivals: tuple[Arrival, ...] = ()


@dataclass(frozen=True, slots=True)
class SuggestedLine:
    sku_id: str
    location_id: str
    supplier_id: str
    supplier_sku: str
    needed: int  # what the policy asked for
    quantity: int  # what to order: whole packs, at least the MOQ
    packs: int
    unit_cost: Money
    line_total: Money
    lead_time_days: int
    reason: str


@dataclass(frozen=True, slots=True)
class SuggestedPurchaseOrder:
    supplier_id: str
    location_id: str
    currency: str
    lines: tuple[SuggestedLine, ...]
    total: Money
    lead_time_days: int  # the longest of its lines
    expected_on: date


@dataclass(frozen=True, slots=True)
class Unsourced:
    """Needed but not orderable: no supplier is set up for the SKU."""

    sku_id: str
    location_id: str
    needed: int


@dataclass(frozen=True, slots=True)
class Suggestions:
    orders: tuple[SuggestedPurchaseOrder, ...]
    unsourced: tuple[Unsourced, ...] = field(default=())


def order_quantity(needed: int, pack_size: int = 1, min_order_qty: int = 0) -> int:
    """Round `needed` up to whole packs, then up to the MOQ (in whole packs). 0 if nothing is needed."""
    if needed <= 0:
        return 0
    if pack_size < 1 or min_order_qty < 0:
        raise ValidationFailed("pack size must be ≥ 1 and MOQ ≥ 0", ErrorCode.INVALID_QUANTITY, pack_size=pack_size)
    in_packs = math.ceil(needed / pack_size) * pack_size
    minimum = math.ceil(min_order_qty / pack_size) * pack_size
    return max(in_packs, minimum)


def choose_supplier(suppliers: Sequence[SupplierItem]) -> SupplierItem | None:
    """The preferred supplier; else the shortest lead time; on a tie the lowest unit cost (same currency)."""
    if not suppliers:
        return None
    return min(suppliers, key=lambda s: (not s.preferred, s.lead_time_days, s.unit_cost.currency, s.unit_cost.minor))


def suggest_line(item: ReplenishmentItem, today: date) -> SuggestedLine | Unsourced | None:
    """The order line for one SKU×location today, Unsourced if nobody sells it, None if none is due."""
    needed = item.policy.needed(item.stock.position, today)
    if needed <= 0:
        return None
    supplier = choose_supplier(item.suppliers)
    if supplier is None:
        return Unsourced(item.stock.sku_id, item.stock.location_id, needed)
    quantity = order_quantity(needed, supplier.pack_size, supplier.min_order_qty)
    reason = f"position {item.stock.position} {item.policy.describe()}"
    if quantity != needed:
        reason += f"; {needed} rounded up to {quantity} ({_rounding(supplier)})"
    return SuggestedLine(
        sku_id=item.stock.sku_id,
        location_id=item.stock.location_id,
        supplier_id=supplier.supplier_id,
        supplier_sku=supplier.supplier_sku,
        needed=needed,
        quantity=quantity,
        packs=quantity // supplier.pack_size,
        unit_cost=supplier.unit_cost,
        line_total=supplier.unit_cost * quantity,
        lead_time_days=supplier.lead_time_days,
        reason=reason,
    )


def _rounding(supplier: SupplierItem) -> str:
    terms = [f"packs of {supplier.pack_size}"] if supplier.pack_size > 1 else []
    if supplier.min_order_qty > 1:
        terms.append(f"minimum order {supplier.min_order_qty}")
    return ", ".join(terms)


def suggest_purchase_orders(items: Iterable[ReplenishmentItem], today: date) -> Suggestions:
    """Suggested POs, one per supplier × receiving location × currency, sorted; lines by SKU."""
    grouped: dict[tuple[str, str, str], list[SuggestedLine]] = defaultdict(list)
    unsourced: list[Unsourced] = []
    for item in items:
        suggestion = suggest_line(item, today)
        if isinstance(suggestion, Unsourced):
            unsourced.append(suggestion)
        elif suggestion is not None:
            key = (suggestion.supplier_id, suggestion.location_id, suggestion.unit_cost.currency)
            grouped[key].append(suggestion)
    orders = [_purchase_order(key, lines, today) for key, lines in sorted(grouped.items())]
    return Suggestions(tuple(orders), tuple(unsourced))


def _purchase_order(key: tuple[str, str, str], lines: list[SuggestedLine], today: date) -> SuggestedPurchaseOrder:
    supplier_id, location_id, currency = key
    ordered = tuple(sorted(lines, key=lambda line: line.sku_id))
    total = Money(sum(line.line_total.minor for line in ordered), currency)
    lead_time = max(line.lead_time_days for line in ordered)
    return SuggestedPurchaseOrder(
        supplier_id, location_id, currency, ordered, total, lead_time, today + timedelta(days=lead_time)
    )
