"""`place_together`: orders that arrived at once go in one transaction, and each gets the answer
it would have got alone - created, found placed before, or refused - on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event, text

from conveyor.audit import run_audit
from conveyor.orders.handlers import place_together
from conveyor.orders.placement import PlacementResult
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
