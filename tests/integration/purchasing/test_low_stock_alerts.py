"""Low-stock alerts as stock moves: one `stock.low` per crossing below a SKU's threshold at a
location — none while it stays low, again after it went back above — whichever command moved
the stock; exactly one when many orders cross it at once; delivered to staff by e-mail (aiosmtpd
on loopback) and as a JSON POST. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from conveyor.inventory.handlers import adjust, receive, reserve, set_safety_stock
from conveyor.orders.handlers import place_order
from conveyor.purchasing import handlers as buy
from conveyor.purchasing.settings import SettingData
from tests.helpers import order_cmd, seed_world
from tests.integration.messaging.conftest import PASSWORD, USER, smtp_server  # noqa: F401 - the fixture
from tests.integration.messaging.support import start_receiver, worker_for


def _lows(c) -> list[tuple[str, int, int]]:
    """(location, available, threshold) of every stock.low event, oldest first."""
    with c.reader() as uow:
        rows = uow.session.execute(text("SELECT payload FROM outbox WHERE topic = 'stock.low' ORDER BY id"))
        payloads = [json.loads(p) if isinstance(p, str) else p for (p,) in rows]
    return [(p["location"], p["available"], p["threshold"]) for p in payloads]


def _reorder_point(c, point: int, sku: str = "SKU-A") -> None:
    buy.set_replenishment(c, sku, "WH1", SettingData(method="reorder_point", reorder_point=point, order_up_to=40))


def test_one_alert_per_crossing_and_again_after_it_recovered(container):
    seed_world(container, {"SKU-A": 12})
    _reorder_point(container, 5)
    place_order(container, order_cmd({"SKU-A": 4}), actor="test")  # 8 left: above
    assert _lows(container) == []
    place_order(container, order_cmd({"SKU-A": 4}), actor="test")  # 4 left: crossed
    place_order(container, order_cmd({"SKU-A": 1}), actor="test")  # 3 left: still low, no second alert
    assert _lows(container) == [("WH1", 4, 5)]
    receive(container, "SKU-A", "WH1", 10, actor="test")  # 13: back above, re-armed
    place_order(container, order_cmd({"SKU-A": 7}), actor="test")  # 6: above
    adjust(container, "SKU-A", "WH1", -2, "damaged", actor="test")  # 4: crossed again, by an adjustment
    assert _lows(container) == [("WH1", 4, 5), ("WH1", 4, 5)]


def test_a_reservation_and_a_safety_stock_count_against_available_to_sell(container):
    seed_world(container, {"SKU-A": 6, "SKU-B": 6})
    buy.set_replenishment(container, "SKU-A", "WH1", SettingData(method="min_max", minimum=3, maximum=20))
    reserve(container, "SKU-A", "WH1", 3, ttl_seconds=600, reference="cart-1", actor="test")  # 3: not below 3
    assert _lows(container) == []
    reserve(container, "SKU-A", "WH1", 1, ttl_seconds=600, reference="cart-2", actor="test")  # 2 < 3
    set_safety_stock(container, "SKU-B", "WH1", 2)  # SKU-B: no setting, watched by its safety stock
    place_order(container, order_cmd({"SKU-B": 3}), actor="test")  # 6 - 3 - 2 = 1 left to sell
    place_order(container, order_cmd({"SKU-B": 1}), actor="test")  # 0 left above the safety stock
    assert _lows(container) == [("WH1", 2, 3), ("WH1", 0, 0)]


def test_many_orders_crossing_at_once_raise_one_alert(container):
    seed_world(container, {"SKU-A": 40})
    _reorder_point(container, 20)
    with ThreadPoolExecutor(8) as pool:
        placed = list(pool.map(lambda _: place_order(container, order_cmd({"SKU-A": 2}), actor="test"), range(16)))
    assert all(p.order.status == "allocated" for p in placed)
    assert len(_lows(container)) == 1 and _lows(container)[0][2] == 20


def test_staff_hear_of_it_by_email_and_post(container, smtp_server):  # noqa: F811
    inbox, port = smtp_server("plain")
    hook = start_receiver()
    try:
        s = container.settings
        s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_username, s.smtp_password = \
            "127.0.0.1", port, "none", USER, PASSWORD
        s.staff_alert_email, s.staff_alert_webhook_url = "ops@shop.example.com", hook.url
        seed_world(container, {"SKU-A": 6})
        _reorder_point(container, 2)
        worker = worker_for(container)
        worker.drain()
        place_order(container, order_cmd({"SKU-A": 5}, customer_email=""), actor="test")
        worker.drain()
        worker.drain()  # nothing more
    finally:
        hook.stop()
    assert inbox.recipients == [["ops@shop.example.com"]]
    body = inbox.messages[0].get_body(("plain",)).get_content()
    assert "SKU-A" in body and "WH1" in body
    (arrival,) = hook.arrivals
    alert = json.loads(arrival.body)["alert"]
    assert alert["kind"] == "low_stock" and alert["items"][0]["available"] == 1
    assert alert["title"] == "Low stock: SKU-A at WH1"
