"""Re-polling Amazon over real HTTP: an order that was Pending at first sight is picked up again
once it is Unshipped — exactly once — because polls ask for LastUpdatedAfter and restart a little
before the previous poll began (recorded payloads: tests/fixtures/channels/lifecycle/amazon)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from conveyor.channels.classifiers.amazon import classify_body
from conveyor.channels.events import EventKind
from conveyor.channels.handlers import create_channel, set_mappings
from conveyor.channels.model import InboundPayload
from conveyor.channels.polling import poll
from conveyor.channels.service import get_channel
from conveyor.channels.skumap import Mapping
from conveyor.orders.model import Order
from tests.helpers import seed_world

from .conftest import FIXTURES, Reply

ORDERS = "/orders/v0/orders"
ORDER_ID = "902-3159896-1390916"
LIFECYCLE = FIXTURES / "lifecycle" / "amazon"


def _reply(name: str) -> Reply:
    return Reply(body=(LIFECYCLE / name).read_bytes())


def _without_next_token(name: str) -> Reply:
    # The docs' page carries a NextToken; here it is the only page.
    return Reply(body=(LIFECYCLE / name).read_bytes().replace(b'"NextToken": "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4",', b""))


def _setup(container, fake_api) -> None:
    seed_world(container, {"MUG-BLUE-12OZ": 10})
    create_channel(container, code="amz", name="Amazon US", type="amazon", currency="USD",
                   config={"base_url": fake_api.url, "marketplace_ids": ["ATVPDKIKX0DER"]},
                   secrets={"access_token": "Atza|t"})
    set_mappings(container, "amz", [Mapping("MUG-BLUE", "MUG-BLUE-12OZ")])
    # First poll: Pending (no OrderTotal, no prices); then Unshipped, twice (the overlap re-reads it).
    fake_api.add(ORDERS, _without_next_token("get_orders_pending.json"), _reply("get_orders_unshipped.json"))
    fake_api.add(f"{ORDERS}/{ORDER_ID}/orderItems", _reply("order_items_pending.json"),
                 _reply("order_items_unshipped.json"))


def _orders(container) -> list[tuple[str, str | None]]:
    with container.reader() as uow:
        orders = uow.session.scalars(select(Order).where(Order.external_id == ORDER_ID))
        return [(o.status, o.hold_reason) for o in orders]


def _payloads(container) -> list[bytes]:
    with container.reader() as uow:
        return list(uow.session.scalars(select(InboundPayload.body).order_by(InboundPayload.received_at)))


def test_pending_then_unshipped_is_picked_up_exactly_once(container, fake_api, sleeps):
    _setup(container, fake_api)
    first = poll(container, "amz", datetime(2017, 1, 20, tzinfo=UTC), sleep=sleeps.append)
    assert (first.pulled, first.created, first.failed) == (1, 1, [])
    # Accepted, not shippable: held as awaiting payment, nothing allocated.
    assert _orders(container) == [("on_hold", "awaiting_payment: Pending")]

    second = poll(container, "amz", sleep=sleeps.append)
    third = poll(container, "amz", sleep=sleeps.append)
    assert (second.pulled, second.failed, third.pulled, third.failed) == (1, [], 1, [])
    assert len(_orders(container)) == 1  # never a second order

    # The Unshipped document was stored once (the third poll's copy is the same delivery) …
    bodies = _payloads(container)
    assert len(bodies) == 2
    events = [classify_body(body, sku_lookup={"MUG-BLUE": "MUG-BLUE-12OZ"}.get, channel="amz") for body in bodies]
    # … and it is the paid, shippable state of the same order.
    assert [(e.kind, e.payment_state.value, e.ready_to_ship) for e in events] == [
        (EventKind.CREATED, "pending", False), (EventKind.CREATED, "paid", True)]
    assert {e.external_id for e in events} == {ORDER_ID}


def test_polls_ask_for_last_updated_after_from_a_cursor_before_the_previous_poll(container, fake_api, sleeps):
    _setup(container, fake_api)
    before = datetime.now(UTC)
    poll(container, "amz", datetime(2017, 1, 20, tzinfo=UTC), sleep=sleeps.append)
    poll(container, "amz", sleep=sleeps.append)
    first, second = (call.query for call in fake_api.calls(ORDERS))
    assert first["LastUpdatedAfter"] == ["2017-01-20T00:00:00Z"] and "CreatedAfter" not in first
    cursor = datetime.fromisoformat(second["LastUpdatedAfter"][0].replace("Z", "+00:00"))
    assert before - timedelta(minutes=3) < cursor <= before  # restarts ~2 minutes before the first poll began
    with container.reader() as uow:
        saved = get_channel(uow, "amz").config["last_polled_at"]
    # The second page reported LastUpdatedBefore 2017-01-20T21:00:00Z, so the cursor never passes it.
    assert datetime.fromisoformat(saved) == datetime(2017, 1, 20, 21, tzinfo=UTC)


def test_failed_orders_are_reported(container, fake_api, sleeps):
    _setup(container, fake_api)
    fake_api.routes.clear()
    broken = {"AmazonOrderId": "111-0000000-0000009", "OrderStatus": "Unshipped", "MarketplaceId": "XX",
              "OrderTotal": {"CurrencyCode": "US$", "Amount": "1"}}
    fake_api.add(ORDERS, Reply.json({"payload": {"Orders": [broken]}}))
    fake_api.add(f"{ORDERS}/111-0000000-0000009/orderItems", Reply.json({"payload": {"OrderItems": []}}))
    report = poll(container, "amz", datetime(2017, 1, 20, tzinfo=UTC), sleep=sleeps.append)
    assert [oid for oid, _ in report.failed] == ["111-0000000-0000009"]
    with container.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Order)) == 0
