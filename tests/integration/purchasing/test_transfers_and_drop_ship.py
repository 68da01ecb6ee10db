"""Planned transfers through the ledger; drop-ship from a flagged SKU or channel to a shipped order;
the worker's timer job. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from conveyor.audit import run_audit
from conveyor.catalog.service import get_sku
from conveyor.inventory.locations import get_location
from conveyor.inventory.service import level
from conveyor.messaging.handlers import default_jobs
from conveyor.messaging.schedule import Schedule
from conveyor.orders.handlers import place_order
from conveyor.orders.service import get_order, order_timeline
from conveyor.purchasing import handlers as buy
from conveyor.purchasing.purchase_orders import get_purchase_order
from conveyor.purchasing.settings import SettingData
from conveyor.purchasing.suppliers import ItemData, SupplierData
from conveyor.shared.clock import utcnow
from conveyor.shared.errors import DomainError
from tests.helpers import order_cmd, seed_world


def _level(c, sku: str, location: str) -> tuple[int, int, int]:
    with c.reader() as uow:
        lv = level(uow, get_sku(uow, sku).id, get_location(uow, location).id)
        return lv.on_hand, lv.allocated, lv.incoming


def test_a_transfer_moves_stock_through_incoming_and_fills_backorders_on_arrival(container):
    c = container
    seed_world(c, {"SKU-A": 10}, locations=2, policy="backorder")
    with c.uow() as uow:  # make WH2 the store routing prefers, with nothing on its shelves
        uow.session.execute(text("UPDATE locations SET priority = 1 WHERE code = 'WH2'"))
        uow.commit()
    planned = buy.plan_transfer(c, "SKU-A", "WH1", "WH2", 6, actor="t")
    assert _level(c, "SKU-A", "WH1") == (10, 0, 0)  # planning moves nothing yet
    buy.ship_transfer(c, planned.id, actor="t")
    assert _level(c, "SKU-A", "WH1") == (4, 0, 0) and _level(c, "SKU-A", "WH2") == (0, 0, 6)
    waiting = place_order(c, order_cmd({"SKU-A": 9}), actor="t").order  # 4 from WH1, 5 wait
    assert waiting.status == "backordered"
    done = buy.receive_transfer(c, planned.id, actor="t")
    assert done.status == "received"
    assert _level(c, "SKU-A", "WH2") == (6, 5, 0)
    with c.reader() as uow:
        assert get_order(uow, waiting.id).status == "allocated"
        assert run_audit(uow) == []
    with pytest.raises(DomainError):
        buy.cancel_transfer(c, planned.id)


@pytest.fixture
def drop_ship_world(container):
    c = container
    seed_world(c, {"SKU-A": 5, "SKU-D": 0}, channel="web", policy="backorder")
    buy.create_supplier(c, SupplierData(code="FAR", name="Far Away Ltd", email="ds@far.example"))
    buy.set_supplier_item(c, "FAR", ItemData(sku="SKU-D", unit_cost_minor=700))
    buy.set_drop_ship_flag(c, "sku", "SKU-D", "FAR")
    return c


def test_a_flagged_sku_is_drop_shipped_and_the_suppliers_tracking_ships_the_order(drop_ship_world):
    c = drop_ship_world
    order = place_order(c, order_cmd({"SKU-A": 2, "SKU-D": 3}, shipping_address=None), actor="t").order
    assert order.status == "backordered"  # SKU-A allocated, SKU-D waits
    run = buy.drop_ship_waiting(c)
    assert run.orders == 1 and len(run.purchase_orders) == 1 and not run.failed
    assert buy.drop_ship_waiting(c).purchase_orders == []  # not ordered twice
    with c.reader() as uow:
        po = get_purchase_order(uow, run.purchase_orders[0])
        assert (po.kind, po.status, [li.quantity for li in po.lines]) == ("drop_ship", "sent", [3])
        assert any(e.type == "drop_ship.ordered" for e in order_timeline(uow, order.id))
        payload = uow.session.execute(text("SELECT payload FROM outbox WHERE topic = 'purchase_order.sent'")).scalar()
        assert (json.loads(payload) if isinstance(payload, str) else payload)["email"]["to"] == "ds@far.example"

    buy.confirm_drop_ship(c, po.id, "UPS", "1Z999AA10123456784", actor="supplier")
    with c.reader() as uow:
        shipped = get_order(uow, order.id)
        assert [(li.sku_code, li.shipped) for li in shipped.lines] == [("SKU-A", 0), ("SKU-D", 3)]
        assert shipped.status == "partially_fulfilled"
        assert get_purchase_order(uow, po.id).status == "closed"
        tracking = uow.session.execute(text("SELECT tracking_number FROM shipments WHERE order_id = :o"),
                                       {"o": order.id}).scalar()
        assert tracking == "1Z999AA10123456784"
        assert run_audit(uow) == []
    assert _level(c, "SKU-D", "DS-FAR") == (0, 0, 0)  # arrived and left in one go


def test_a_flagged_channel_drop_ships_whatever_its_orders_wait_for(drop_ship_world):
    c = drop_ship_world
    buy.set_supplier_item(c, "FAR", ItemData(sku="SKU-A", unit_cost_minor=300))
    buy.set_drop_ship_flag(c, "channel", "web", "FAR")
    order = place_order(c, order_cmd({"SKU-A": 8}), actor="t").order  # 5 from stock, 3 wait
    created = buy.drop_ship_order(c, order.id, actor="t")
    assert [[li.quantity for li in po.lines] for po in created] == [[3]]


def test_the_worker_runs_the_replenishment_review_on_its_timer(container):
    c = container
    seed_world(c, {"SKU-A": 1})
    buy.create_supplier(c, SupplierData(code="ACME", name="Acme"))
    buy.set_supplier_item(c, "ACME", ItemData(sku="SKU-A", unit_cost_minor=100))
    buy.set_replenishment(c, "SKU-A", "WH1", SettingData(method="min_max", minimum=5, maximum=20))
    c.settings.auto_replenish_minutes = 60
    c.settings.auto_replenish_send = True
    schedule = Schedule(c, default_jobs(c), "worker-test")
    start = utcnow()
    assert "replenishment_review" in schedule.due_names(start)
    schedule.run_due(start)
    assert "replenishment_review" not in schedule.due_names(start + timedelta(minutes=59))  # not yet due again
    assert "replenishment_review" in schedule.due_names(start + timedelta(minutes=61))
    assert _level(c, "SKU-A", "WH1") == (1, 0, 19)  # a PO for 19 went out: now incoming
    with c.reader() as uow:
        alerts = uow.session.execute(text("SELECT COUNT(*) FROM outbox WHERE topic = 'stock.alert'")).scalar()
    assert alerts == 0  # ordered up to the maximum: nothing left to alert about
