"""Builders for money tests: an order with tax and shipping, paid by the test gateway's cards."""

from __future__ import annotations

from conveyor.bootstrap import Container
from conveyor.orders.commands import LineInput, PlaceOrder
from conveyor.orders.handlers import place_order
from conveyor.payments import service
from conveyor.payments.gateway import PaymentSource
from tests.helpers import seed_world

VISA = "4242424242424242"


def place_taxed_order(c: Container, *, seed: bool = True, external_id: str = "m-1", units: int = 3,
                      locale: str = "") -> str:
    """3 × 19.99 with 10 % tax (5.997 → 6.00 over the line) and 4.90 shipping (+0.49 tax)."""
    if seed:
        seed_world(c, {"SKU-A": 50})
    cmd = PlaceOrder(channel="web", currency="USD", external_id=external_id, customer_name="Ada Buyer",
                     lines=[LineInput(sku="SKU-A", quantity=units, unit_price_minor=1999, tax_minor=600 * units // 3,
                                      name="Widget")],
                     shipping_minor=490, shipping_tax_minor=49, locale=locale)
    result = place_order(c, cmd, actor="test")
    return result.order.id


def pay(c: Container, order_id: str, *, charge: bool = True, card: str = VISA, key: str = "pay-1",
        amount: int | None = None) -> service.Attempted:
    with c.uow() as uow:
        total = amount if amount is not None else service.orders.get_order(uow, order_id).total_minor
        done = service.open_payment(uow, order_id=order_id, provider="test", source=PaymentSource("card", card),
                                    amount_minor=total, idempotency_key=key, actor="test", charge=charge)
        uow.commit()
        return done
