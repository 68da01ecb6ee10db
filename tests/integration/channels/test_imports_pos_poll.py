"""Order file imports, POS sales and Amazon polling through the services and the CLI."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from conveyor.channels.handlers import create_channel, record_sale, set_mappings
from conveyor.channels.imports import import_orders
from conveyor.channels.polling import poll
from conveyor.channels.skumap import Mapping
from conveyor.inventory.service import level
from conveyor.orders.model import Order
from tests.helpers import seed_world
from tests.integration.channels.support import fixture

FILE = """order_id,sku,quantity,unit_price,currency,customer_name
A-1,SKU-A,2,12.50,USD,Ann
A-1,SKU-B,1,3.00,USD,Ann
B-2,SKU-A,x,12.50,USD,Bob
B-2,SKU-B,1,3.00,USD,Bob
C-3,MYSTERY,1,1.00,USD,Cy
"""


def _orders(container) -> dict[str, tuple[str, str | None]]:
    with container.reader() as uow:
        return {o.external_id: (o.status, o.hold_reason) for o in uow.session.scalars(select(Order))}


def test_import_takes_good_orders_rejects_bad_ones_whole_and_holds_unmapped(container):
    seed_world(container, {"SKU-A": 10, "SKU-B": 5}, channel="mkt")
    report = import_orders(container, "mkt", io.StringIO(FILE, newline=""), FILE.encode())
    assert (report.orders_in_file, report.created, report.held) == (3, 2, 1)
    assert [(e.row, e.external_id) for e in report.rejected_rows] == [(4, "B-2")]
    orders = _orders(container)
    assert set(orders) == {"A-1", "C-3"} and orders["A-1"] == ("allocated", None)
    assert orders["C-3"][0] == "on_hold" and "MYSTERY" in orders["C-3"][1]
    again = import_orders(container, "mkt", io.StringIO(FILE, newline=""))
    assert (again.created, again.already_imported) == (0, 2)


def test_dry_run_reports_the_same_and_writes_nothing(container):
    seed_world(container, {"SKU-A": 10, "SKU-B": 5}, channel="mkt")
    report = import_orders(container, "mkt", io.StringIO(FILE, newline=""), dry_run=True)
    assert (report.created, len(report.rejected_rows)) == (2, 1)
    assert _orders(container) == {}


@pytest.mark.parametrize("options", [[], ["--batch", "1", "--workers", "2"]], ids=["defaults", "two-workers"])
def test_cli_import_prints_rejected_rows_and_summary(container, tmp_path, monkeypatch, options):
    seed_world(container, {"SKU-A": 10, "SKU-B": 5}, channel="mkt")
    path = tmp_path / "orders.csv"
    path.write_text(FILE)
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", container.settings.database_url)
    from conveyor.cli.main import app
    from conveyor.config import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["import", "orders", str(path), "--channel", "mkt", *options])
    get_settings.cache_clear()
    assert result.exit_code == 1, result.output  # some rows were rejected
    assert "quantity 'x' is not a positive whole number" in result.output
    assert "3 orders in file: 2 created (1 on hold)" in result.output
    orders = _orders(container)
    assert orders["A-1"] == ("allocated", None) and orders["C-3"][0] == "on_hold"


def test_pos_sale_takes_stock_from_the_store_and_completes(container):
    world = seed_world(container, {"SKU-A": 10}, locations=2)
    create_channel(container, code="till", name="Store till", type="pos")
    from conveyor.inventory.handlers import receive
    from conveyor.orders.commands import LineInput, PlaceOrder

    receive(container, "SKU-A", "WH2", 3, actor="test")
    cmd = PlaceOrder(channel="till", currency="USD", lines=[LineInput("SKU-A", 2, 1000)])
    order = record_sale(container, cmd, "WH2", "test")
    assert order.status == "completed" and order.lines[0].shipped == 2
    with container.reader() as uow:
        store = level(uow, order.lines[0].sku_id, world["locations"][1])
        warehouse = level(uow, order.lines[0].sku_id, world["locations"][0])
    assert (store.on_hand, store.allocated, warehouse.on_hand) == (1, 0, 10)


def test_amazon_poll_places_orders_and_waits_out_a_429(container, platform):
    seed_world(container, {"MUG-BLUE-12OZ": 10, "TEA-SENCHA-100G": 10})
    create_channel(container, code="amz", name="Amazon", type="amazon",
                   config={"base_url": platform.url, "marketplace_ids": ["M1"]}, secrets={"access_token": "lwa"})
    set_mappings(container, "amz", [Mapping("MUG-BLUE", "MUG-BLUE-12OZ"), Mapping("TEA-SENCHA", "TEA-SENCHA-100G")])
    page1 = json.loads(fixture("amazon/get_orders_page1.json"))
    page1["payload"].pop("NextToken", None)
    platform.add("GET", "/orders/v0/orders", status=429, headers={"Retry-After": "3"})
    platform.add("GET", "/orders/v0/orders", body=page1)
    for order in page1["payload"]["Orders"]:
        oid = order["AmazonOrderId"]
        path = f"amazon/order_items_{oid}.json"
        empty = b'{"payload": {"OrderItems": []}}'
        body = fixture(path) if (fixture.__globals__["FIXTURES"] / path).exists() else empty
        platform.add("GET", f"/orders/v0/orders/{oid}/orderItems", body=body)
    waits: list[float] = []
    report = poll(container, "amz", datetime(2026, 1, 1, tzinfo=UTC), sleep=waits.append)
    assert waits == [3.0]
    assert report.pulled == len(page1["payload"]["Orders"]) and report.created >= 1
    assert {c.headers["x-amz-access-token"] for c in platform.calls("GET")} == {"lwa"}
    with container.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Order)) == report.created
