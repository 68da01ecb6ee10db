"""Imported orders are routed like every other order: the stored routing configuration decides."""

from __future__ import annotations

import io

from sqlalchemy import select

from conveyor.channels.imports import import_orders
from conveyor.inventory.locations import list_locations
from conveyor.orders.handlers import save_routing_config
from conveyor.orders.model import Allocation
from tests.integration.test_routing_integration import world

FILE = """order_id,sku,quantity,unit_price,currency,customer_name,ship_postal_code,ship_country
LA-1,A,1,10.00,USD,Bo,90012,US
"""


def _shipped_from(container) -> set[str]:
    with container.reader() as uow:
        codes = {loc.id: loc.code for loc in list_locations(uow)}
        return {codes[a.location_id] for a in uow.session.scalars(select(Allocation))}


def test_import_follows_the_routing_configuration(container):
    world(container, {"NJ": {"A": 5}, "CA": {"A": 5}})  # channel "web"; NJ has priority, CA is near LA
    report = import_orders(container, "web", io.StringIO(FILE, newline=""))
    assert report.created == 1
    assert _shipped_from(container) == {"CA"}  # default lowest_cost: the near warehouse


def test_import_with_priority_configured_ships_from_the_priority_warehouse(container):
    world(container, {"NJ": {"A": 5}, "CA": {"A": 5}})
    save_routing_config(container, {"default": {"strategy": "priority"}}, "test")
    assert import_orders(container, "web", io.StringIO(FILE, newline="")).created == 1
    assert _shipped_from(container) == {"NJ"}
