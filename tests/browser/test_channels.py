"""Channels: an order file brings an order with a SKU we don't know; the channel page shows it held,
one click maps the SKU and releases the order — on screen and in the database."""

from __future__ import annotations

import io

from playwright.sync_api import expect

from conveyor.channels.imports import import_orders
from conveyor.channels.service import get_channel
from conveyor.channels.skumap import list_mappings
from conveyor.orders.service import find_by_external_id
from tests.browser.conftest import screenshot

FILE = """order_id,sku,quantity,unit_price,currency,customer_name
A-1,SKU-A,1,10.00,USD,Ann
M-1,MYSTERY-RED,2,10.00,USD,Mo
M-2,MYSTERY-RED,1,10.00,USD,Max
"""


def _order(container, external_id: str):
    with container.reader() as uow:
        return find_by_external_id(uow, get_channel(uow, "web").id, external_id)


def test_map_an_unmapped_sku_and_release_its_held_orders(admin, container, tmp_path):
    report = import_orders(container, "web", io.StringIO(FILE, newline=""), FILE.encode())
    assert (report.created, report.held) == (3, 2)
    admin.go("/channels")
    row = admin.page.locator('#web tr[data-channel-sku="MYSTERY-RED"]')
    expect(row.locator("td.num")).to_have_text("2")
    screenshot(admin, "channels", tmp_path)
    row.get_by_label("Our SKU for MYSTERY-RED").fill("SKU-A")
    row.get_by_role("button", name="Map and release").click()
    expect(admin.page.locator(".flash")).to_have_text("Mapped MYSTERY-RED to SKU-A: 2 order(s) released.")
    expect(admin.page.locator('#web tr[data-channel-sku="MYSTERY-RED"]')).to_have_count(0)
    assert {_order(container, e).status for e in ("M-1", "M-2")} == {"allocated"}
    with container.reader() as uow:
        assert [(m.channel_sku, m.sku) for m in list_mappings(uow, "web")] == [("MYSTERY-RED", "SKU-A")]
