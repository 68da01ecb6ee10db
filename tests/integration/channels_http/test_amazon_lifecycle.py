"""Amazon status changes found by polling (`LastUpdatedAfter`) over real HTTP, applied to the order
they name: Pending is held, Unshipped releases it (once), Canceled cancels it and gives the stock
back, a buyer's cancel request is flagged for a person, and a cancel for an order never seen
creates nothing. Recorded payloads: tests/fixtures/channels/lifecycle/amazon (see SOURCE.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from conveyor.channels.handlers import create_channel, set_mappings
from conveyor.channels.model import InboundPayload
from conveyor.channels.polling import poll
from conveyor.channels.skumap import Mapping
from conveyor.cli.main import app
from conveyor.config import get_settings
from conveyor.inventory.service import list_levels
from conveyor.orders.model import Order
from conveyor.orders.timeline import events
from tests.helpers import seed_world

from .conftest import FIXTURES, Reply

ORDERS = "/orders/v0/orders"
ORDER_ID = "902-3159896-1390916"
LIFECYCLE = FIXTURES / "lifecycle" / "amazon"
START = datetime(2017, 1, 20, tzinfo=UTC)


def _reply(name: str) -> Reply:
    body = (LIFECYCLE / name).read_bytes().replace(b'"NextToken": "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4",', b"")
    return Reply(body=body)


@pytest.fixture
def amazon(container, fake_api):
    seed_world(container, {"MUG-BLUE-12OZ": 10, "CBA-1": 5, "CBA-5": 5})
    create_channel(container, code="amz", name="Amazon US", type="amazon", currency="USD",
                   config={"base_url": fake_api.url, "marketplace_ids": ["ATVPDKIKX0DER"]},
                   secrets={"access_token": "Atza|t"})
    set_mappings(container, "amz", [Mapping("MUG-BLUE", "MUG-BLUE-12OZ"), Mapping("CBA_OTF_1", "CBA-1"),
                                    Mapping("CBA_OTF_5", "CBA-5")])
    return fake_api


def _order(container, external_id: str = ORDER_ID):
    with container.reader() as uow:
        order = uow.session.scalar(select(Order).where(Order.external_id == external_id))
        if order is None:
            return None
        return order.status, order.hold_reason, order.channel_payment, sorted(order.tags), [
            e.type for e in events(uow, order.id)]


def _allocated(container, sku: str) -> int:
    with container.reader() as uow:
        return sum(level.allocated for level in list_levels(uow, sku=sku, location=None, limit=50, cursor=None).items)


def test_pending_unshipped_canceled_moves_the_order_on_once_and_gives_stock_back(container, amazon, sleeps):
    amazon.add(ORDERS, _reply("get_orders_pending.json"), _reply("get_orders_unshipped.json"),
               _reply("get_orders_unshipped.json"), _reply("get_orders_canceled.json"))
    amazon.add(f"{ORDERS}/{ORDER_ID}/orderItems", _reply("order_items_pending.json"),
               _reply("order_items_unshipped.json"))

    first = poll(container, "amz", START, sleep=sleeps.append)
    assert (first.created, first.failed) == (1, [])
    status, hold, payment, _, _ = _order(container)
    assert (status, hold, payment) == ("on_hold", "awaiting_payment: Pending", "pending")
    assert _allocated(container, "MUG-BLUE-12OZ") == 0

    second = poll(container, "amz", sleep=sleeps.append)  # Unshipped: paid, allocated now
    third = poll(container, "amz", sleep=sleeps.append)  # the same Unshipped document again
    assert (second.updated, third.duplicates) == (1, 1)
    status, hold, payment, _, timeline = _order(container)
    assert (status, hold, payment) == ("allocated", None, "paid")
    assert timeline.count("order.released") == 1 and _allocated(container, "MUG-BLUE-12OZ") == 2
    assert "channel.updated" in timeline  # the prices Amazon had not given while Pending

    fourth = poll(container, "amz", sleep=sleeps.append)  # Canceled on Amazon
    assert (fourth.updated, fourth.failed) == (1, [])
    status, _, _, _, timeline = _order(container)
    assert status == "cancelled" and "order.cancelled" in timeline
    assert _allocated(container, "MUG-BLUE-12OZ") == 0


def test_canceled_order_never_seen_is_stored_and_creates_nothing(container, amazon, sleeps):
    amazon.add(ORDERS, _reply("get_orders_canceled.json"))
    amazon.add(f"{ORDERS}/{ORDER_ID}/orderItems", _reply("order_items_unshipped.json"))
    report = poll(container, "amz", START, sleep=sleeps.append)
    assert (report.pulled, report.created, report.failed) == (1, 0, [])
    assert _order(container) is None and _allocated(container, "MUG-BLUE-12OZ") == 0
    with container.reader() as uow:
        stored = uow.session.scalars(select(InboundPayload.status)).all()
    assert stored == ["ignored"]


def test_buyer_cancel_request_is_flagged_for_a_person_not_applied(container, amazon, sleeps):
    amazon.add(ORDERS, _reply("get_orders_buyer_cancel.json"))
    amazon.add(f"{ORDERS}/903-1671087-0812628/orderItems", _reply("order_items_buyer_cancel.json"))
    poll(container, "amz", START, sleep=sleeps.append)
    status, _, _, tags, timeline = _order(container, "903-1671087-0812628")
    assert status == "allocated"  # the seller decides; Amazon waits for the seller's cancel
    assert "buyer_cancel_requested" in tags and timeline.count("channel.cancel_requested") == 1


def test_poll_command_exits_non_zero_when_orders_failed(container, amazon, database_url, monkeypatch):
    broken = {"AmazonOrderId": "111-0000000-0000009", "OrderStatus": "Unshipped", "MarketplaceId": "XX",
              "OrderTotal": {"CurrencyCode": "US$", "Amount": "1"}}
    amazon.add(ORDERS, Reply.json({"payload": {"Orders": [broken]}}))
    amazon.add(f"{ORDERS}/111-0000000-0000009/orderItems", Reply.json({"payload": {"OrderItems": []}}))
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["channels", "poll", "amz", "--since", "2017-01-20T00:00:00+00:00"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "111-0000000-0000009" in result.output and "1 failed" in result.output


def test_paid_on_amazon_is_recorded_as_the_channels_payment_and_a_cancel_refunds_it(container, amazon, sleeps):
    """Marketplace orders are paid on the marketplace: Conveyor records that payment (provider
    `channel`) and, when the order is cancelled there, the refund the marketplace makes, with a credit note."""
    from conveyor.billing import service as billing  # noqa: PLC0415 - the money side of this flow
    from conveyor.payments import service as payments  # noqa: PLC0415

    amazon.add(ORDERS, _reply("get_orders_pending.json"), _reply("get_orders_unshipped.json"),
               _reply("get_orders_canceled.json"))
    amazon.add(f"{ORDERS}/{ORDER_ID}/orderItems", _reply("order_items_pending.json"),
               _reply("order_items_unshipped.json"))
    poll(container, "amz", START, sleep=sleeps.append)
    with container.reader() as uow:
        order = uow.session.scalar(select(Order).where(Order.external_id == ORDER_ID))
        assert payments.order_payments(uow, order.id) == []  # Pending: nothing paid yet

    poll(container, "amz", sleep=sleeps.append)  # Unshipped: paid on Amazon
    with container.reader() as uow:
        order = uow.session.scalar(select(Order).where(Order.external_id == ORDER_ID))
        [paid] = payments.order_payments(uow, order.id)
        assert (paid.provider, paid.method, paid.status) == ("channel", "marketplace", "captured")
        assert paid.captured_minor == order.total_minor > 0

    poll(container, "amz", sleep=sleeps.append)  # Canceled on Amazon
    with container.reader() as uow:
        order = uow.session.scalar(select(Order).where(Order.external_id == ORDER_ID))
        [paid] = payments.order_payments(uow, order.id)
        [note] = billing.order_credit_notes(uow, order.id)
        assert paid.refunded_minor == paid.captured_minor == note.total_minor
        attempts = payments.payment_attempts(uow, paid.id)
        assert "marketplace pays the buyer back" in attempts[-1].message
