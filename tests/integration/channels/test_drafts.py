"""Phone drafts against the database: simultaneous confirms make one order (the draft row is
locked on PostgreSQL; SQLite writers queue), and the draft's change commits with the order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from conveyor.channels.drafts import DraftLine
from conveyor.channels.handlers import channel_for, confirm_draft, create_channel, create_draft
from conveyor.channels.model import DraftOrder
from conveyor.inventory.model import StockLevel
from conveyor.orders.model import Order, OrderEvent
from tests.helpers import seed_world


def _draft(container) -> str:
    seed_world(container, {"SKU-A": 5})
    create_channel(container, code="phone", name="Phone", type="phone", backorder_policy="reject")
    draft = create_draft(container, channel_for(container, "phone"), "USD",
                         {"lines": [DraftLine("SKU-A", 3, 900, "price match")]}, actor="staff")
    return draft.id


def _confirm(container, draft_id: str) -> str:
    return confirm_draft(container, draft_id, channel_for(container, "phone"), actor="staff").order.id


def test_simultaneous_confirms_place_one_order(container):
    draft_id = _draft(container)
    with ThreadPoolExecutor(8) as pool:
        order_ids = set(pool.map(lambda _: _confirm(container, draft_id), range(8)))
    with container.reader() as uow:
        orders = uow.session.scalars(select(Order)).all()
        events = uow.session.scalars(select(OrderEvent.type).where(OrderEvent.order_id == orders[0].id)).all()
        draft = uow.session.get(DraftOrder, draft_id)
        allocated = uow.session.scalar(select(StockLevel.allocated))
    assert len(orders) == 1 and order_ids == {orders[0].id}
    assert sorted(events) == ["draft.confirmed", "fulfilment.created", "order.placed"]
    assert (draft.status, draft.order_id) == ("confirmed", orders[0].id)
    assert allocated == 3
