from __future__ import annotations

import pytest

from conveyor.audit import run_audit
from conveyor.inventory.ledger import InsufficientStock
from conveyor.orders.handlers import place_order
from conveyor.orders.service import get_order
from tests.helpers import order_cmd, seed_world


def test_place_order_allocates_and_ledger_matches(container):
    seed_world(container, {"SKU-A": 10, "SKU-B": 5})
    result = place_order(container, order_cmd({"SKU-A": 3, "SKU-B": 2}), actor="test")
    assert result.created
    with container.reader() as uow:
        order = get_order(uow, result.order.id)
        assert order.status == "allocated"
        assert [(li.sku_code, li.allocated, li.backordered) for li in order.lines] == [("SKU-A", 3, 0),
                                                                                   ("SKU-B", 2, 0)]
        assert order.total_minor == 5000
        assert run_audit(uow) == []


def test_shortage_is_refused_and_nothing_written(container):
    seed_world(container, {"SKU-A": 2})
    with pytest.raises(InsufficientStock) as err:
        place_order(container, order_cmd({"SKU-A": 3}), actor="test")
    assert err.value.extra["shortages"][0]["sku"] == "SKU-A"
    with container.reader() as uow:
        from sqlalchemy import text

        assert uow.session.execute(text("SELECT COUNT(*) FROM orders")).scalar() == 0
        assert run_audit(uow) == []


def test_on_sqlite_an_order_is_routed_while_another_writer_holds_the_turn(container, monkeypatch):
    """SQLite writes one transaction at a time: place_order routes in a read transaction, so it does
    not wait for the writer's turn to route (PostgreSQL routes inside its one writing transaction)."""
    import threading

    from conveyor.orders import placement

    seed_world(container, {"SKU-A": 10})
    routed, decided_in = threading.Event(), []
    real_decide = placement.decide

    def decide(uow, *args, **kwargs):
        decided_in.append(uow.write)
        routed.set()
        return real_decide(uow, *args, **kwargs)

    monkeypatch.setattr(placement, "decide", decide)
    if not container.db.is_sqlite:
        assert place_order(container, order_cmd({"SKU-A": 1}), actor="test").created
        assert decided_in == [True]
        return
    results = []
    assert container.db.write_lock.acquire(timeout=1)  # another writer's turn
    try:
        placing = threading.Thread(target=lambda: results.append(
            place_order(container, order_cmd({"SKU-A": 1}), actor="test")))
        placing.start()
        assert routed.wait(10), "routing waited for the writer's turn"
        assert results == []  # …but writing does wait
    finally:
        container.db.write_lock.release()
    placing.join(10)
    assert decided_in == [False] and results[0].created
    with container.reader() as uow:
        assert run_audit(uow) == []
