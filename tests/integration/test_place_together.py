"""`place_together`: orders that arrived at once go in one transaction, and each gets the answer
it would have got alone - created, found placed before, or refused - on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from conveyor.audit import run_audit
from conveyor.automation.handlers import create_rule
from conveyor.inventory.handlers import receive
from conveyor.orders import placement
from conveyor.orders.handlers import place_together
from conveyor.orders.placement import PlacementResult
from conveyor.orders.service import get_order, order_timeline
from conveyor.shared.errors import DomainError
from tests.helpers import order_cmd, seed_world


def _commits(container) -> list[int]:
    commits = [0]
    event.listen(container.db.engine, "commit", lambda conn: commits.__setitem__(0, commits[0] + 1))
    return commits


def _allocated(container) -> int:
    with container.reader() as uow:
        return uow.session.execute(text("SELECT SUM(allocated) FROM stock_levels")).scalar()


def test_each_order_gets_its_own_answer_from_one_transaction(container):
    seed_world(container, {"SKU-A": 10}, policy="reject")
    commits = _commits(container)
    first, too_big, repeat, plain = place_together(container, [
        (order_cmd({"SKU-A": 2}, external_id="E-1"), "api:one"),
        (order_cmd({"SKU-A": 100}, external_id="E-2"), "api:two"),
        (order_cmd({"SKU-A": 3}, external_id="E-1"), "api:one"),  # the channel sends E-1 again
        (order_cmd({"SKU-A": 1}), "api:three"),
    ])
    assert commits[0] == 1
    assert isinstance(first, PlacementResult) and first.created and first.order.status == "allocated"
    assert isinstance(too_big, DomainError) and too_big.code == "insufficient_stock"
    assert isinstance(repeat, PlacementResult) and not repeat.created and repeat.order.id == first.order.id
    assert isinstance(plain, PlacementResult) and plain.created and plain.order.id != first.order.id
    assert _allocated(container) == 3  # E-1's 2 and the plain order's 1: nothing of the repeat or the refused
    with container.reader() as uow:
        assert run_audit(uow) == []
        actors = dict(uow.session.execute(text(
            "SELECT o.external_id, e.actor FROM order_events e JOIN orders o ON o.id = e.order_id"
            " WHERE e.type = 'order.placed'")).all())
    assert actors == {"E-1": "api:one", None: "api:three"}  # each order's own actor on its timeline


def test_stock_short_for_all_of_them_places_each_alone(container):
    """Both orders were decided against the same 3 units; together they need 4: the shared write
    comes up short, nothing of it stays, and each order is placed alone, first come first served."""
    seed_world(container, {"SKU-A": 3}, policy="reject")
    commits = _commits(container)
    first, second = place_together(container, [(order_cmd({"SKU-A": 2}, external_id="S-1"), "api"),
                                               (order_cmd({"SKU-A": 2}, external_id="S-2"), "api")])
    assert isinstance(first, PlacementResult) and first.order.status == "allocated"
    assert isinstance(second, DomainError) and second.code == "insufficient_stock"
    assert commits[0] == 1  # the shared attempts rolled back; only the first order's own commit
    assert _allocated(container) == 2


def _statements(container, containing: str) -> list[str]:
    """Statements sent from now on whose text holds `containing`."""
    found: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if containing in statement:
            found.append(statement)

    event.listen(container.db.engine, "before_cursor_execute", seen)
    return found


def test_the_batch_reads_stock_once_and_each_order_sees_what_the_ones_before_took(container):
    """Two warehouses with 2 units each, two orders of 2: deciding on one shared snapshot, the
    second order sees the first one's units gone and goes to the other warehouse - one snapshot
    read, one transaction, no lost race (deciding each on its own read, both chose the same one)."""
    world = seed_world(container, {"SKU-A": 2, "SKU-B": 5}, locations=2, policy="reject")
    receive(container, "SKU-A", "WH2", 2, actor="test")
    commits, reads = _commits(container), _statements(container, "FROM stock_levels l JOIN locations loc")
    first, second, other = place_together(container, [(order_cmd({"SKU-A": 2}), "api"),
                                                      (order_cmd({"SKU-A": 2}), "api"),
                                                      (order_cmd({"SKU-B": 1}), "api")])
    assert all(isinstance(r, PlacementResult) and r.order.status == "allocated" for r in (first, second, other))
    assert {first.order.allocations[0].location_id, second.order.allocations[0].location_id} == \
        set(world["locations"])
    assert (commits[0], len(reads)) == (1, 1)
    assert _allocated(container) == 5


@pytest.mark.parametrize("policy", ["reject", "backorder"])
def test_what_a_repeat_booked_in_the_batch_never_shorts_the_next_order(container, policy):
    """E-1 was placed before (2 of 5 units taken); the batch holds it again and a new order for the
    last 3. The repeat is known before deciding, so it books nothing in the batch's snapshot (had it
    booked its 2 units, the new order would have been refused, or backordered in part): the new
    order is placed whole, in the same transaction."""
    seed_world(container, {"SKU-A": 5}, policy=policy)
    place_together(container, [(order_cmd({"SKU-A": 2}, external_id="E-1"), "api")])
    commits = _commits(container)
    repeat, new = place_together(container, [(order_cmd({"SKU-A": 2}, external_id="E-1"), "api"),
                                             (order_cmd({"SKU-A": 3}, external_id="E-2"), "api")])
    assert isinstance(repeat, PlacementResult) and not repeat.created
    assert isinstance(new, PlacementResult) and new.created and new.order.status == "allocated"
    assert commits[0] == 1
    assert _allocated(container) == 5


def test_the_batch_writes_its_orders_in_one_statement_and_rules_still_act_on_each(container):
    """Three new orders (one hit by a `placed` rule that tags it and notes on its timeline): one
    INSERT for all three orders, and each order's rows, tags and timeline are its own."""
    seed_world(container, {"SKU-A": 10}, policy="reject")
    big_total = {"field": "total", "op": "gte", "value": {"amount": "30.00", "currency": "USD"}}
    create_rule(container, {"name": "Note big ones", "triggers": ["placed"], "condition": big_total,
                            "actions": [{"type": "tag", "tag": "big"}, {"type": "add_note", "note": "check it"}]},
                "test")
    inserts = _statements(container, "INSERT INTO orders ")
    small, big, other = place_together(container, [(order_cmd({"SKU-A": 1}, external_id="N-1"), "api"),
                                                   (order_cmd({"SKU-A": 3}, external_id="N-2"), "api"),
                                                   (order_cmd({"SKU-A": 2}), "api")])
    assert len(inserts) == 1
    with container.reader() as uow:
        stored = {o.id: o for o in (get_order(uow, r.order.id) for r in (small, big, other))}
        notes = [e.data.get("text") for e in order_timeline(uow, big.order.id) if e.type == "note.added"]
        assert run_audit(uow) == []
    assert [stored[r.order.id].tags for r in (small, big, other)] == [[], ["big"], []]
    assert [len(stored[r.order.id].lines) for r in (small, big, other)] == [1, 1, 1]
    assert notes == ["check it"]
    assert _allocated(container) == 6


def test_an_order_sent_meanwhile_another_way_rolls_the_batch_back_and_each_is_placed_alone(container, monkeypatch):
    """The batch's one read of the channels' repeats missed an order that went in just after it
    (simulated: the read finds nothing). The batch's INSERT fails on the unique key, nothing of it
    stays, and each order is placed alone: the repeat answered with the order placed before."""
    seed_world(container, {"SKU-A": 10}, policy="reject")
    [earlier] = place_together(container, [(order_cmd({"SKU-A": 2}, external_id="R-1"), "api")])
    monkeypatch.setattr(placement, "sent_before", lambda uow, keys: set())
    repeat, new = place_together(container, [(order_cmd({"SKU-A": 2}, external_id="R-1"), "api"),
                                             (order_cmd({"SKU-A": 1}, external_id="R-2"), "api")])
    assert isinstance(repeat, PlacementResult) and not repeat.created and repeat.order.id == earlier.order.id
    assert isinstance(new, PlacementResult) and new.created
    assert _allocated(container) == 3
    with container.reader() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM orders")).scalar() == 2
        assert run_audit(uow) == []


def test_a_repeat_that_went_in_after_the_batch_was_decided_is_still_answered_as_one(container, monkeypatch):
    """The read of the repeats made while deciding missed R-1 (it went in just after). On SQLite the
    writer reads them again, sees R-1 and decides the batch again - one transaction; on PostgreSQL
    (decided inside the write) the INSERT fails on the unique key and each order is placed alone."""
    seed_world(container, {"SKU-A": 10}, policy="reject")
    [earlier] = place_together(container, [(order_cmd({"SKU-A": 2}, external_id="R-1"), "api")])
    real, calls = placement.sent_before, []

    def missed_once(uow, keys):
        calls.append(keys)
        return set() if len(calls) == 1 else real(uow, keys)

    monkeypatch.setattr(placement, "sent_before", missed_once)
    commits = _commits(container)
    repeat, new = place_together(container, [(order_cmd({"SKU-A": 2}, external_id="R-1"), "api"),
                                             (order_cmd({"SKU-A": 1}, external_id="R-2"), "api")])
    assert isinstance(repeat, PlacementResult) and not repeat.created and repeat.order.id == earlier.order.id
    assert isinstance(new, PlacementResult) and new.created
    assert _allocated(container) == 3
    if container.db.is_sqlite:
        assert commits[0] == 1


@pytest.mark.parametrize("policy", ["reject", "backorder"])
def test_a_batch_decides_as_the_same_orders_placed_one_after_another(container, policy):
    """Two mirrored catalogues with the same stock at three warehouses: a batch of orders on one,
    the same orders placed one by one on the other. Each order ends the same - status, and the
    units taken at each warehouse - including orders that run a SKU out, split, or name a location -
    and the batch needs one transaction."""
    world = seed_world(container, {f"{sku}-{side}": 0 for sku in ("A", "B", "C") for side in (1, 2)},
                       locations=3, policy=policy)
    for side in (1, 2):
        for sku, stock in {"A": (3, 2, 0), "B": (1, 1, 4), "C": (0, 5, 1)}.items():
            for n, units in enumerate(stock, start=1):
                if units:
                    receive(container, f"{sku}-{side}", f"WH{n}", units, actor="test")
    shapes = [{"A": 2}, {"A": 2, "B": 1}, {"A": 2}, {"B": 3, "C": 2}, {"C": 3}, {"A": 1, "C": 1},
              {"B": 2}, {"C": 2}]
    pinned = {4: "WH3"}  # the fifth order must ship from WH3

    def cmd(n: int, side: int):
        return order_cmd({f"{sku}-{side}": q for sku, q in shapes[n].items()}, fulfil_from=pinned.get(n))

    commits = _commits(container)
    together = place_together(container, [(cmd(n, 1), "api") for n in range(len(shapes))])
    assert commits[0] == 1  # decided right the first time: no lost race, no fallback to one by one
    alone = []
    for n in range(len(shapes)):
        try:
            alone.append(place_together(container, [(cmd(n, 2), "api")])[0])
        except DomainError as exc:  # (a batch of one is placed alone, errors raised or returned)
            alone.append(exc)
    codes = dict(zip(world["locations"], ("WH1", "WH2", "WH3"), strict=True))

    def outcome(result) -> tuple:
        if isinstance(result, DomainError):
            return ("refused", result.code)
        taken = sorted((a.sku_id == result.order.lines[0].sku_id, codes[a.location_id], a.quantity)
                       for a in result.order.allocations)
        return (result.order.status, [li.allocated for li in result.order.lines], taken)

    assert [outcome(r) for r in together] == [outcome(r) for r in alone]
    assert any(isinstance(r, DomainError) or r.order.status != "allocated" for r in alone)  # some ran out
    with container.reader() as uow:
        assert run_audit(uow) == []
