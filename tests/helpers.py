"""Small builders for tests: a channel, locations, SKUs and stock in a few lines."""

from __future__ import annotations

from conveyor.bootstrap import Container
from conveyor.catalog.service import SkuData, create_product
from conveyor.channels.service import create_channel
from conveyor.inventory.locations import LocationData, create_location
from conveyor.inventory.service import receive
from conveyor.orders.commands import LineInput, PlaceOrder


def seed_world(c: Container, skus: dict[str, int] | None = None, locations: int = 1,
               channel: str = "web", policy: str | None = None) -> dict:
    """A channel, `locations` warehouses (WH1 highest priority), and each SKU with stock at WH1."""
    skus = {"SKU-A": 10} if skus is None else skus
    with c.uow() as uow:
        create_channel(uow, channel, "Web shop", backorder_policy=policy)
    world = {"locations": []}
    for n in range(1, locations + 1):
        with c.uow() as uow:
            loc = create_location(uow, LocationData(code=f"WH{n}", name=f"Warehouse {n}", priority=n * 10))
            world["locations"].append(loc.id)
    for code, stock in skus.items():
        with c.uow() as uow:
            create_product(uow, f"Product {code}", [SkuData(code=code, name=code, price_minor=1000)])
        if stock:
            with c.uow() as uow:
                receive(uow, code, "WH1", stock, actor="test")
    return world


def order_cmd(lines: dict[str, int], channel: str = "web", external_id: str | None = None,
              **extra) -> PlaceOrder:
    return PlaceOrder(channel=channel, currency="USD", external_id=external_id,
                      lines=[LineInput(sku=s, quantity=q, unit_price_minor=1000) for s, q in lines.items()],
                      **extra)
