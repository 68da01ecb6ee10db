"""Small builders for tests: a channel, locations, SKUs and stock in a few lines."""

from __future__ import annotations

from conveyor.bootstrap import Container
from conveyor.catalog.handlers import create_product
from conveyor.catalog.service import SkuData
from conveyor.channels.handlers import create_channel
from conveyor.inventory.handlers import create_location, receive
from conveyor.inventory.locations import LocationData
from conveyor.orders.commands import LineInput, PlaceOrder


def seed_world(c: Container, skus: dict[str, int] | None = None, locations: int = 1,
               channel: str = "web", policy: str | None = None) -> dict:
    """A channel, `locations` warehouses (WH1 highest priority), and each SKU with stock at WH1."""
    skus = {"SKU-A": 10} if skus is None else skus
    create_channel(c, code=channel, name="Web shop", backorder_policy=policy)
    world = {"locations": []}
    for n in range(1, locations + 1):
        loc = create_location(c, LocationData(code=f"WH{n}", name=f"Warehouse {n}", priority=n * 10))
        world["locations"].append(loc.id)
    for code, stock in skus.items():
        create_product(c, f"Product {code}", [SkuData(code=code, name=code, price_minor=1000)])
        if stock:
            receive(c, code, "WH1", stock, actor="test")
    return world


def order_cmd(lines: dict[str, int], channel: str = "web", external_id: str | None = None,
              **extra) -> PlaceOrder:
    return PlaceOrder(channel=channel, currency="USD", external_id=external_id,
                      lines=[LineInput(sku=s, quantity=q, unit_price_minor=1000) for s, q in lines.items()],
                      **extra)
