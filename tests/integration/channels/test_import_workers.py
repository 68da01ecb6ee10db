"""`import_orders(..., workers=2)`: chunks placed by two forked processes side by side (the CLI's
default on 2+ cores) — every order once, stock never oversold, the audit clean, on both databases."""

from __future__ import annotations

import io
import os

from sqlalchemy import func, select

from conveyor.audit import run_audit
from conveyor.channels import handlers
from conveyor.channels.imports import import_orders
from conveyor.inventory.model import StockLevel
from conveyor.orders.model import Order, OrderLine
from tests.integration.test_routing_integration import world

HEADER = "order_id,sku,quantity,unit_price,currency,customer_name,ship_postal_code,ship_country\n"


def _file(orders: int, skus: tuple[str, ...]) -> str:
    rows = [f"W-{n},{sku},1,10.00,USD,Buyer {n},90012,US" for n in range(orders) for sku in skus[: 1 + n % len(skus)]]
    return HEADER + "\n".join(rows) + "\n"


def _import(container, text: str, batch: int):
    return import_orders(container, "web", io.StringIO(text, newline=""), batch=batch, workers=2)


def test_two_workers_place_every_order_once(container, monkeypatch, tmp_path):
    world(container, {"NJ": {"A": 500, "B": 500}, "CA": {"A": 500, "C": 500}})
    text = _file(60, ("A", "B", "C"))
    placed_by = tmp_path / "pids"
    real_chunk = handlers.import_chunk

    def noting_the_process(*args, **kwargs):
        with placed_by.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(handlers, "import_chunk", noting_the_process)
    seen = []
    report = import_orders(container, "web", io.StringIO(text, newline=""), batch=7, workers=2, progress=seen.append)
    assert (report.created, report.already_imported, report.refused_orders) == (60, 0, [])
    assert seen == [7] * 8 + [4]  # one report per chunk, in file order
    pids = placed_by.read_text().split()
    assert len(pids) == 9 and len(set(pids)) == 2 and str(os.getpid()) not in pids  # two worker processes
    with container.reader() as uow:
        external = set(uow.session.scalars(select(Order.external_id)))
        units = uow.session.execute(select(func.sum(OrderLine.quantity), func.sum(OrderLine.allocated))).one()
        assert external == {f"W-{n}" for n in range(60)}
        assert units[0] == units[1] == 120  # 60 orders of 1, 2 or 3 lines: all allocated
        assert run_audit(uow) == []
    again = _import(container, text, batch=7)
    assert (again.created, again.already_imported) == (0, 60)


def test_two_workers_racing_for_scarce_stock_never_oversell(container):
    world(container, {"NJ": {"A": 9}, "CA": {"A": 8}})  # the channel backorders what is short
    report = _import(container, _file(40, ("A",)), batch=3)
    assert report.created == 40
    with container.reader() as uow:
        allocated, backordered = uow.session.execute(
            select(func.sum(OrderLine.allocated), func.sum(OrderLine.backordered))).one()
        assert (allocated, backordered) == (17, 23)
        levels = uow.session.scalars(select(StockLevel)).all()
        assert sum(level.allocated for level in levels) == 17
        assert all(level.on_hand - level.allocated >= 0 for level in levels)
        assert run_audit(uow) == []
