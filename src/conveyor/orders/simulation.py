"""`conveyor route simulate`: load past orders and a starting stock, then let the pure
simulator replay them through each strategy. Read-only."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from conveyor.catalog.service import sku_facts
from conveyor.inventory.locations import list_locations, routing_profiles
from conveyor.inventory.service import sellable_on_hand
from conveyor.orders import routing_bridge as bridge
from conveyor.orders import routing_store
from conveyor.orders.model import Allocation, Order
from conveyor.routing.model import Destination, RoutingRequest
from conveyor.routing.simulate import Kpis, replay
from conveyor.shared.clock import as_utc
from conveyor.shared.uow import UnitOfWork


def _history(uow: UnitOfWork, since: datetime | None, limit: int) -> list[Order]:
    query = select(Order).where(Order.status != "cancelled").order_by(Order.created_at, Order.id).limit(limit)
    if since:
        query = query.where(Order.created_at >= as_utc(since))
    return list(uow.session.scalars(query))


def _requests(uow: UnitOfWork, orders: list[Order]) -> list[RoutingRequest]:
    codes = {li.sku_code for o in orders for li in o.lines if li.sku_id}
    skus = sku_facts(uow, sorted(codes)) if codes else {}
    requests = []
    for o in orders:
        lines = tuple(bridge.request_line(li.id, skus[li.sku_code], li.quantity, li.unit_price_minor)
                      for li in o.lines if li.sku_code in skus)
        a = o.shipping_address or {}
        if lines:
            requests.append(RoutingRequest(lines, Destination(a.get("country") or "US", a.get("postal_code", ""),
                                                              a.get("region", ""), a.get("latitude"),
                                                              a.get("longitude"))))
    return requests


def _starting_stock(uow: UnitOfWork, orders: list[Order]) -> dict[str, dict[str, int]]:
    """Stock before the replayed orders: on hand now plus what those orders have shipped since."""
    stock: dict[str, dict[str, int]] = defaultdict(dict)
    for location_id, sku_id, sellable in sellable_on_hand(uow):
        stock[location_id][sku_id] = sellable
    ids = [o.id for o in orders]
    for start in range(0, len(ids), 500):
        for a in uow.session.scalars(select(Allocation).where(Allocation.order_id.in_(ids[start:start + 500]))):
            stock[a.location_id][a.sku_id] = stock[a.location_id].get(a.sku_id, 0) + a.shipped
    return stock


def simulate(uow: UnitOfWork, strategies: list[str], since: datetime | None = None,
             limit: int = 5000) -> list[Kpis]:
    orders = _history(uow, since, limit)
    requests = _requests(uow, orders)
    stock = _starting_stock(uow, orders)
    profiles = routing_profiles(uow)
    candidates = [bridge.make_candidate(loc.id, loc.code, loc.priority, loc.latitude, loc.longitude, loc.type,
                                        loc.can_ship, stock.get(loc.id, {}), profiles.get(loc.id, {}))
                  for loc in list_locations(uow, active=True)]
    costs = routing_store.load(uow).costs
    return [replay(requests, candidates, strategy, costs) for strategy in strategies]
