"""No oversell under concurrency, on SQLite and PostgreSQL: 32 clients race for 10 units.

The same harness is also run against a deliberately naive read-then-write allocator, to show
that these assertions do catch overselling (the naive run must fail them)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from conveyor.audit import run_audit
from conveyor.channels.service import channel_info
from conveyor.inventory import allocation
from conveyor.orders import placement
from conveyor.orders.handlers import place_order, place_together
from conveyor.shared.errors import DomainError
from tests.helpers import order_cmd, seed_world

CLIENTS = 32
UNITS = 10


def _race(container) -> list[str]:
    """32 threads each place a 1-unit order at the same moment; returns each outcome."""
    start = threading.Barrier(CLIENTS)
    with container.reader() as uow:  # a running service has its channel cache warm
        channel_info(uow, "web")

    def one(n: int) -> str:
        start.wait()
        try:
            result = place_order(container, order_cmd({"HOT": 1}, external_id=f"race-{n}"), actor="test")
            return result.order.status
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


def assert_no_oversell(container, outcomes: list[str], policy: str) -> None:
    with container.reader() as uow:
        level = uow.session.execute(text("SELECT on_hand, allocated, reserved FROM stock_levels")).one()
        allocated_orders = uow.session.execute(
            text("SELECT COALESCE(SUM(allocated), 0) FROM order_lines")).scalar()
        violations = run_audit(uow)
    assert outcomes.count("allocated") == UNITS, outcomes
    if policy == "reject":
        assert outcomes.count("insufficient_stock") == CLIENTS - UNITS, outcomes
    else:
        assert outcomes.count("backordered") == CLIENTS - UNITS, outcomes
    assert (level.on_hand, level.allocated, level.reserved) == (UNITS, UNITS, 0)
    assert allocated_orders == UNITS
    assert violations == []


@pytest.mark.parametrize("policy", ["reject", "backorder"])
def test_32_clients_never_oversell_10_units(container, policy):
    seed_world(container, {"HOT": UNITS}, policy=policy)
    outcomes = _race(container)
    assert_no_oversell(container, outcomes, policy)


BATCH = 4


@pytest.mark.parametrize("policy", ["reject", "backorder"])
def test_32_clients_in_shared_transactions_never_oversell_10_units(container, policy):
    """The API places orders that waited together (`place_together`): 8 threads each place 4 of the
    32 one-unit orders in one transaction, all at the same moment."""
    seed_world(container, {"HOT": UNITS}, policy=policy)
    with container.reader() as uow:
        channel_info(uow, "web")
    start = threading.Barrier(CLIENTS // BATCH)

    def batch(first: int) -> list[str]:
        start.wait()
        outcomes = place_together(container, [(order_cmd({"HOT": 1}, external_id=f"race-{n}"), "test")
                                              for n in range(first, first + BATCH)])
        return [o.code if isinstance(o, DomainError) else o.order.status for o in outcomes]

    with ThreadPoolExecutor(CLIENTS // BATCH) as pool:
        outcomes = [o for found in pool.map(batch, range(0, CLIENTS, BATCH)) for o in found]
    assert_no_oversell(container, outcomes, policy)


def test_batches_racing_with_the_same_external_ids_create_each_order_once(container):
    """8 threads each place the same 4 channel orders together, at the same moment (a channel that
    retries while its first requests are still in flight): each order exists once, every other
    answer is a repeat naming it, and only its units are taken."""
    seed_world(container, {"HOT": UNITS}, policy="reject")
    with container.reader() as uow:
        channel_info(uow, "web")
    start = threading.Barrier(CLIENTS // BATCH)

    def batch(_: int) -> list[tuple[str, bool]]:
        start.wait()
        outcomes = place_together(container, [(order_cmd({"HOT": 1}, external_id=f"dup-{n}"), "test")
                                              for n in range(BATCH)])
        assert not any(isinstance(o, DomainError) for o in outcomes), outcomes
        return [(o.order.id, o.created) for o in outcomes]

    with ThreadPoolExecutor(CLIENTS // BATCH) as pool:
        answers = [a for found in pool.map(batch, range(CLIENTS // BATCH)) for a in found]
    created = [order_id for order_id, was_created in answers if was_created]
    assert len(created) == len(set(created)) == BATCH
    assert {order_id for order_id, _ in answers} == set(created)  # every repeat names an order created
    with container.reader() as uow:
        assert uow.session.execute(text("SELECT count(*), SUM(allocated) FROM orders o JOIN order_lines li"
                                        " ON li.order_id = o.id")).one() == (BATCH, BATCH)
        assert uow.session.execute(text("SELECT allocated FROM stock_levels")).scalar() == BATCH
        assert run_audit(uow) == []


class NaiveReadThenWrite:
    """The classic lost-update bug: read stock before the writing transaction starts, then write an
    absolute value computed from that stale read. Installed in place of the guarded path."""

    def __init__(self, container) -> None:
        self.container = container
        self.stale = threading.local()
        self.original_load = placement.sku_facts
        self.original_snapshot = placement.bridge.snapshot_candidates

    def sku_facts(self, uow, codes):
        # Runs before the write transaction's first statement (so before BEGIN IMMEDIATE on SQLite).
        with self.container.reader() as reader:
            skus = self.original_load(reader, codes)
            self.stale.level = reader.session.execute(text(
                "SELECT sku_id, location_id, allocated FROM stock_levels")).all()
            self.stale.candidates = self.original_snapshot(reader, {s.id for s in skus.values()})
        time.sleep(0.01)  # real work between the read and the write widens the window
        return self.original_load(uow, codes)

    def snapshot_candidates(self, uow, sku_ids, *_):
        return self.stale.candidates

    def allocate_many(self, uow, totals):
        allocated = {(r.sku_id, r.location_id): r.allocated for r in self.stale.level}
        for (sku_id, location_id), qty in totals.items():
            uow.session.execute(text("UPDATE stock_levels SET allocated = :a WHERE sku_id = :s AND"
                                     " location_id = :l"),
                                {"a": allocated[(sku_id, location_id)] + qty, "s": sku_id, "l": location_id})
        return set(totals)

    def install(self, monkeypatch) -> None:
        # Take away the in-process writer queue too, so that the stale read really happens before
        # the write transaction starts (as it would from another process).
        monkeypatch.setattr(self.container.db, "write_lock", None)
        monkeypatch.setattr(placement, "sku_facts", self.sku_facts)
        monkeypatch.setattr(placement.bridge, "snapshot_candidates", self.snapshot_candidates)
        monkeypatch.setattr(placement, "allocate_many", self.allocate_many)


def test_harness_catches_read_then_write(container, monkeypatch):
    """The assertions above fail when the guarded update is swapped for read-then-write."""
    seed_world(container, {"HOT": UNITS})
    NaiveReadThenWrite(container).install(monkeypatch)
    outcomes = _race(container)
    with pytest.raises(AssertionError):
        assert_no_oversell(container, outcomes, "reject")
    assert outcomes.count("allocated") > UNITS, "the naive allocator should have oversold"


def test_allocate_many_returns_only_rows_that_fit(container):
    seed_world(container, {"A": 5, "B": 1})
    with container.uow() as uow:
        ids = dict(uow.session.execute(text("SELECT code, id FROM skus")).all())
        loc = uow.session.execute(text("SELECT id FROM locations")).scalar()
        taken = allocation.allocate_many(uow, {(ids["A"], loc): 5, (ids["B"], loc): 2})
    assert taken == {(ids["A"], loc)}


HOT_CLIENTS = 64


def test_hot_sku_mode_never_oversells(container):
    """64 clients at once on one SKU in hot-SKU mode, 1 to 3 units each, 40 units split over 8
    buckets and the level row: exactly the stock is sold (a bucket too small for an order is made
    up from the others), nothing goes negative, the audit is clean — and the buckets were used."""
    from conveyor.inventory.handlers import set_hot_mode

    seed_world(container, {"HOT": 40}, policy="reject")
    assert set_hot_mode(container, "HOT", "WH1", 8, "test") == 40
    with container.reader() as uow:
        channel_info(uow, "web")
    start = threading.Barrier(HOT_CLIENTS)

    def one(n: int) -> tuple[str, int]:
        qty = 1 + n % 3
        start.wait()
        try:
            result = place_order(container, order_cmd({"HOT": qty}, external_id=f"hot-{n}"), actor="test")
            return result.order.status, qty
        except DomainError as exc:
            return exc.code, qty

    with ThreadPoolExecutor(HOT_CLIENTS) as pool:
        outcomes = list(pool.map(one, range(HOT_CLIENTS)))
    sold = sum(qty for status, qty in outcomes if status == "allocated")
    with container.reader() as uow:
        level = uow.session.execute(text("SELECT on_hand, allocated FROM stock_levels")).one()
        buckets = uow.session.execute(text("SELECT COALESCE(SUM(on_hand), 0), COALESCE(SUM(allocated), 0)"
                                           " FROM stock_level_buckets")).one()
        lines = uow.session.execute(text("SELECT COALESCE(SUM(allocated), 0) FROM order_lines")).scalar()
        violations = run_audit(uow)
    assert {status for status, _ in outcomes} <= {"allocated", "insufficient_stock"}
    assert level.on_hand + buckets[0] == 40 and sold == level.allocated + buckets[1] == lines
    assert 38 <= sold <= 40  # what is left is less than the smallest order that was refused
    assert buckets[1] > 0 and violations == []
