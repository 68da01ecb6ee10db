from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from conveyor.messaging.email.context import (
    Address,
    CartInfo,
    DelayInfo,
    Incident,
    LineItem,
    OrderInfo,
    RefundInfo,
    ReturnInfo,
    ShipmentInfo,
    Shop,
    StockItem,
)
from conveyor.shared.money import Money

TRACKING_URL = "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094042557&lang=de"


def sample_context(currency: str = "EUR", **overrides: Any) -> dict[str, Any]:
    """Everything any kind needs: an Austrian customer's order placed at 23:30 UTC on 5 January
    (already 6 January in Vienna), shipped with DHL."""
    lines = (LineItem("Trail shoe", "SHOE-42", 2, Money(12950, currency)),
             LineItem("Socks", "SOCK-1", 1, Money(990, currency)))
    address = Address("Anna Schmidt", ("Hauptstraße 5",), "Wien", "1010", "AT")
    context: dict[str, Any] = {
        "shop": Shop("Nordlicht Outdoor", "https://shop.example.com", "help@shop.example.com"),
        "customer_name": "Anna",
        "order": OrderInfo("NL-1001", datetime(2026, 1, 5, 23, 30, tzinfo=UTC), Money(26890, currency), lines, address),
        "shipment": ShipmentInfo("DHL", "00340434161094042557", TRACKING_URL, date(2026, 1, 8),
                                 datetime(2026, 1, 8, 10, 15, tzinfo=UTC)),
        "delay": DelayInfo(date(2026, 1, 12), ""),
        "rma": ReturnInfo("RMA-77", lines[:1], date(2026, 2, 1), "https://shop.example.com/returns/RMA-77/label.pdf"),
        "refund": RefundInfo(Money(12950, currency)),
        "cart": CartInfo(lines, Money(26890, currency), "https://shop.example.com/cart/abc"),
        "items": (StockItem("SHOE-42", "Trail shoe", "Berlin DC", 3, 10),
                  StockItem("SOCK-1", "Socks", "Berlin DC", 0, 25)),
        "incident": Incident("Label purchase failed", "The carrier refused the address of order NL-1001.",
                             datetime(2026, 1, 5, 9, 0, tzinfo=UTC), "NL-1001", "https://oms.example.com/orders/NL-1001"),
        "time_zone": "Europe/Vienna",
    }
    return context | overrides


@pytest.fixture
def context() -> dict[str, Any]:
    return sample_context()
