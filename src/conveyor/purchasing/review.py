"""The replenishment review: every SKU×location with a setting, its stock position, suppliers and
forecast, turned into suggested purchase orders (grouped by supplier) and alerts.

The stock position is on hand − committed + on order, where
  committed = allocated + reserved at the location, plus the units waiting orders still need (each
              SKU's backorders count at the location with a setting that routing tries first, so
              they are ordered once), plus units on planned transfers leaving the location;
  on order  = `incoming` (sent POs, transfers in transit) + draft POs + planned transfers arriving,
              so a draft that has not been sent yet is not suggested a second time.
Never commits; `create_suggested_orders` creates (and optionally sends) the POs a review suggests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from conveyor.inventory.locations import list_locations
from conveyor.inventory.positions import LevelRow, level_rows
from conveyor.orders.supply import waiting_units_by_sku
from conveyor.planning.safety import Arrival
from conveyor.planning.service import forecasts_for
from conveyor.purchasing import purchase_orders as pos
from conveyor.purchasing.alerts import AlertSettings, StockAlert, stock_alerts
from conveyor.purchasing.model import PlannedTransfer, PurchaseOrder, PurchaseOrderLine, ReplenishmentSetting
from conveyor.purchasing.policies import StockPosition
from conveyor.purchasing.replenishment import ReplenishmentItem, Suggestions, suggest_purchase_orders
from conveyor.purchasing.settings import advance_reviews, aligned, list_settings, policy_for
from conveyor.purchasing.suppliers import terms_by_sku
from conveyor.shared.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Review:
    today: date
    items: tuple[ReplenishmentItem, ...]
    setting_of: dict[tuple[str, str], str]  # (sku id, location id) → setting id

    def suggestions(self) -> Suggestions:
        return suggest_purchase_orders(self.items, self.today)

    def alerts(self, settings: AlertSettings | None = None) -> list[StockAlert]:
        return stock_alerts(self.items, self.today, settings)


def _pending(uow: UnitOfWork, sku_ids: list[str], today: date) -> tuple[dict, dict, dict]:
    """Arrivals (sent POs), drafts (on order, not incoming yet) and planned transfers, per SKU×location."""
    arrivals: dict[tuple[str, str], list[Arrival]] = defaultdict(list)
    for po, line in pos.open_po_lines(uow, sku_ids):
        arrivals[(line.sku_id, po.location_id)].append(Arrival(line.open_quantity, po.expected_on or today))
    drafts: dict[tuple[str, str], int] = defaultdict(int)
    for location_id, sku_id, quantity in uow.session.execute(
            select(PurchaseOrder.location_id, PurchaseOrderLine.sku_id, PurchaseOrderLine.quantity)
            .join(PurchaseOrderLine, PurchaseOrderLine.po_id == PurchaseOrder.id)
            .where(PurchaseOrder.status == "draft", PurchaseOrder.kind == "stock",
                   PurchaseOrderLine.sku_id.in_(sku_ids))):
        drafts[(sku_id, location_id)] += quantity
    moving: dict[tuple[str, str], int] = defaultdict(int)
    for t in uow.session.scalars(select(PlannedTransfer).where(PlannedTransfer.status.in_(["planned", "in_transit"]),
                                                               PlannedTransfer.sku_id.in_(sku_ids))):
        if t.status == "planned":
            moving[(t.sku_id, t.from_location_id)] -= t.quantity
            moving[(t.sku_id, t.to_location_id)] += t.quantity
        arrivals[(t.sku_id, t.to_location_id)].append(Arrival(t.quantity, t.expected_on or today))
    return arrivals, drafts, moving


def _backorders_at(uow: UnitOfWork, settings: list[ReplenishmentSetting]) -> dict[tuple[str, str], int]:
    """Waiting units of each SKU, placed at the first location (by routing priority) with a setting."""
    waiting = waiting_units_by_sku(uow)
    priority = {loc.id: (loc.priority, loc.code) for loc in list_locations(uow)}
    first: dict[str, str] = {}
    for s in sorted(settings, key=lambda s: priority.get(s.location_id, (10**9, ""))):
        first.setdefault(s.sku_id, s.location_id)
    return {(sku_id, loc): waiting.get(sku_id, 0) for sku_id, loc in first.items()}


def review(uow: UnitOfWork, today: date, sku_ids: list[str] | None = None,
           location_ids: list[str] | None = None) -> Review:
    settings = list_settings(uow, sku_ids, location_ids)
    skus = sorted({s.sku_id for s in settings})
    levels = level_rows(uow, skus)
    terms = terms_by_sku(uow, skus)
    forecasts = forecasts_for(uow, skus)
    arrivals, drafts, moving = _pending(uow, skus, today)
    backorders = _backorders_at(uow, settings)
    items = []
    for s in settings:
        key = (s.sku_id, s.location_id)
        level = levels.get(key) or LevelRow(s.sku_id, s.location_id, 0, 0, 0, 0, 0)
        stored = forecasts.get(key)
        forecast = aligned(stored.forecast, stored.starts_on, today) if stored else None
        suppliers = tuple(terms.get(s.sku_id, ()))
        committed = level.committed + backorders.get(key, 0) - min(0, moving.get(key, 0))
        on_order = level.incoming + drafts.get(key, 0) + max(0, moving.get(key, 0))
        items.append(ReplenishmentItem(
            StockPosition(s.sku_id, s.location_id, level.on_hand, committed, on_order),
            policy_for(s, today, forecast, suppliers), suppliers, forecast.daily if forecast else (),
            tuple(sorted(arrivals.get(key, []), key=lambda a: a.arrives_on))))
    return Review(today, tuple(items), {(s.sku_id, s.location_id): s.id for s in settings})


def create_suggested_orders(uow: UnitOfWork, today: date, actor: str, send: bool, from_email: str,
                            ) -> list[PurchaseOrder]:
    """Create one PO per suggested PO (sent at once when `send`); periodic reviews move on."""
    current = review(uow, today)
    suggested_orders = current.suggestions().orders
    created = []
    for suggested in suggested_orders:
        lines = [pos.LineRequest(line.sku_id, line.quantity, line.unit_cost.minor) for line in suggested.lines]
        po = pos.create_purchase_order(uow, suggested.supplier_id, suggested.location_id, lines, actor,
                                       expected_on=today + timedelta(days=suggested.lead_time_days),
                                       notes="; ".join(f"{line.reason}" for line in suggested.lines)[:4000])
        if send:
            pos.send(uow, po.id, actor, today, from_email)
        created.append(po)
    reviewed = {current.setting_of[(line.sku_id, line.location_id)] for o in suggested_orders for line in o.lines}
    advance_reviews(uow, reviewed, today)
    return created


def incoming_promise(uow: UnitOfWork, sku_id: str) -> dict[str, dict[str, int]]:
    """Per location: available from stock, incoming, and what may be promised — stock plus incoming
    where the SKU's setting there says `promise_incoming` (pre-orders), stock alone elsewhere."""
    promise = {s.location_id for s in list_settings(uow, [sku_id]) if s.promise_incoming}
    return {loc: {"available": lv.available, "incoming": lv.incoming,
                  "promisable": lv.available + (lv.incoming if loc in promise else 0)}
            for (_, loc), lv in sorted(level_rows(uow, [sku_id]).items())}
