"""A shop for return tests: the fulfilment floor (Newark and LA with addresses, demo carriers,
boxes), a web channel with a return policy, and an order shipped through the normal flow."""

from __future__ import annotations

from typing import Any

from conveyor.bootstrap import Container
from conveyor.channels.handlers import create_channel
from conveyor.fulfillment import handlers as fulfil
from conveyor.fulfillment import service as fulfilment
from conveyor.orders import handlers as orders
from conveyor.orders.commands import LineInput, PlaceOrder
from tests.integration.fulfilment.support import CUSTOMER_ADDRESS, seed_floor

POLICY = {"window_days": 30, "restocking_fee_percent": "10", "refund_shipping": "when_all_returned"}


def seed_shop(c: Container, policy: dict[str, Any] | None = None) -> None:
    create_channel(c, code="web", name="Web shop", backorder_policy="reject",
                   config={"returns": POLICY if policy is None else policy})
    seed_floor(c)


def place(c: Container, lines: dict[str, int], *, price: int = 1500, tax: int = 0, discount: int = 0,
          shipping: int = 0, shipping_tax: int = 0, email: str = "ada@example.com") -> str:
    cmd = PlaceOrder(channel="web", currency="USD", customer_name="Ada Lovelace", customer_email=email,
                     shipping_address=CUSTOMER_ADDRESS, shipping_minor=shipping, shipping_tax_minor=shipping_tax,
                     lines=[LineInput(sku, qty, price, discount, tax) for sku, qty in lines.items()])
    return orders.place_order(c, cmd, actor="test").order.id


def fulfilment_orders(c: Container, order_id: str) -> list[Any]:
    with c.reader() as uow:
        return fulfilment.for_order(uow, order_id)


def ship_through_floor(c: Container, order_id: str, only: str | None = None) -> None:
    """Release, pick by scanning, pack, buy a label and ship every open fulfilment order (or `only` one)."""
    for fo in fulfilment_orders(c, order_id):
        if fo.status != "pending" or only not in (None, fo.id):
            continue
        fulfil.release(c, fo.id, "test")
        for line in fo.lines:
            for _ in range(line.quantity):
                fulfil.scan(c, fo.id, line.sku_code, "test")
        fulfil.close_package(c, fo.id, "test", weight_grams=700, box_code="M")
        fulfil.buy_labels(c, fo.id, "test")
        fulfil.ship(c, fo.id, "test")


def level(c: Container, sku: str, location: str) -> Any:
    from conveyor.inventory.service import level as read_level
    from conveyor.inventory.service import stock_pair

    with c.reader() as uow:
        return read_level(uow, *stock_pair(uow, sku, location))
