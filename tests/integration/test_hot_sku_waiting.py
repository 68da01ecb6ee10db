"""Hot-SKU mode on PostgreSQL when more orders are in flight than there are buckets: an order that
finds every bucket held waits for one of them — not for the level row and all buckets, which would
queue every order behind one another (inventory/hot.py, `_claim_waiting`)."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import pytest
from sqlalchemy import text

from conveyor.inventory import hot
from conveyor.inventory.handlers import set_hot_mode
from tests.helpers import seed_world


def _pair(container) -> tuple[str, str]:
    with container.reader() as uow:
        return (uow.session.execute(text("SELECT id FROM skus WHERE code = 'HOT'")).scalar_one(),
                uow.session.execute(text("SELECT id FROM locations")).scalar_one())


def test_an_order_that_finds_every_bucket_held_waits_for_one_not_for_the_level_row(container):
    if container.settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: a claim never finds its bucket held")
    seed_world(container, {"HOT": 200})
    assert set_hot_mode(container, "HOT", "WH1", 2, "test") == 200
    sku, location = _pair(container)
    with ExitStack() as level_held:
        holders = [ExitStack() for _ in range(2)]
        held = [stack.enter_context(container.uow()) for stack in holders]
        for uow in held:  # two orders in flight: each holds one bucket
            assert hot.claim(uow, sku, location, 1)
        # Someone holds the level row too (a count, a receipt): taking across would wait for it.
        level_held.enter_context(container.uow()).session.execute(
            text("SELECT 1 FROM stock_levels WHERE sku_id = :s AND location_id = :l FOR UPDATE"),
            {"s": sku, "l": location})
        result: dict[str, bool] = {}

        def third_order() -> None:
            with container.uow() as uow:
                result["taken"] = hot.take(uow, sku, location, 3)
                uow.commit()

        waiting = threading.Thread(target=third_order)
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive(), "with both buckets held, the third order waits"
        for stack, uow in zip(holders, held, strict=True):  # they commit: the third takes a bucket
            uow.commit()
            stack.close()
        waiting.join(timeout=30)
        assert not waiting.is_alive() and result == {"taken": True}  # while the level row is still held
    with container.reader() as uow:
        allocated = uow.session.execute(text("SELECT SUM(allocated) FROM stock_level_buckets")).scalar_one()
        level = uow.session.execute(text("SELECT allocated FROM stock_levels")).scalar_one()
    assert (allocated, level) == (5, 0)


def test_near_the_end_of_the_stock_an_order_takes_across_all_rows(container):
    """A bucket short of the order: no random wait (fresh reads can't see the claims in flight);
    the units are taken across the level row and the buckets."""
    seed_world(container, {"HOT": 5})
    set_hot_mode(container, "HOT", "WH1", 2, "test")  # 3 + 2 units
    sku, location = _pair(container)
    with container.uow() as uow:
        assert hot.take(uow, sku, location, 4)
        uow.commit()
    with container.reader() as uow:
        allocated = uow.session.execute(text("SELECT SUM(allocated) FROM stock_level_buckets")).scalar_one()
        free = uow.session.execute(text("SELECT SUM(on_hand - allocated) FROM stock_level_buckets")).scalar_one()
    assert (allocated, free) == (4, 1)
