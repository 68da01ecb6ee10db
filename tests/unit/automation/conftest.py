from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conveyor.automation.facts import OrderFacts


def facts(**changes: Any) -> OrderFacts:
    """A plain German web-shop order: 120.00 EUR, two lines, placed on a Tuesday at 14:00 Berlin time."""
    base: dict[str, Any] = {
        "channel": "web", "total_minor": 12_000, "currency": "EUR", "country": "DE", "region": "BE",
        "postal_code": "10115", "placed_at": datetime(2026, 3, 3, 13, 0, tzinfo=UTC),
        "quantities": {"TEE-M": 2, "MUG": 1}, "line_count": 2, "customer_tags": frozenset({"newsletter"}),
        "email_domain": "example.de", "is_first_order": False, "billing_country": "DE", "risk_score": 10,
        "order_tags": frozenset(), "time_zone": "Europe/Berlin",
    }
    return OrderFacts(**(base | changes))
