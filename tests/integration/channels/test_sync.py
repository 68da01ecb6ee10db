"""Stock and order changes → per-channel updates through the outbox and `Worker`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from conveyor.channels.handlers import create_channel, set_mappings
from conveyor.channels.skumap import Mapping
from conveyor.inventory.handlers import receive
from conveyor.messaging.handlers import default_handlers
from conveyor.messaging.model import OutboxMessage
from conveyor.messaging.worker import Worker
from conveyor.orders.handlers import place_order, ship_order
from tests.helpers import order_cmd, seed_world


@pytest.fixture
def world(container, platform):
    w = seed_world(container, {"SKU-A": 10, "SKU-B": 5}, locations=2)
    worker = Worker(container, default_handlers(container))
    worker.drain()  # the seeding's own stock messages, before any channel syncs
    create_channel(container, code="feed", name="Feed", type="native",
                   config={"sync": "webhook", "feed_url": f"{platform.url}/feed"}, stock_buffer={"fixed": 2},
                   secrets={"feed_secret": "fs"})
    create_channel(container, code="shopx", name="Shop", type="shopify",
                   stock_buffer={"percent": 50, "locations": ["WH1"]},
                   config={"sync": "platform", "base_url": platform.url, "location_id": 99},
                   secrets={"access_token": "shpat"})
    set_mappings(container, "shopx", [Mapping("SHOP-A", "SKU-A", "111")])
    create_channel(container, code="quiet", name="No sync")
    return {**w, "worker": worker}


def channel_updates(container) -> dict[str, list[list[tuple]]]:
    """channel code → one entry per channel.inventory message: [(sku, available), …]."""
    with container.reader() as uow:
        rows = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "channel.inventory")
                                   .order_by(OutboxMessage.id))
        found: dict[str, list] = {}
        for m in rows:
            found.setdefault(m.payload["channel"], []).append([(i["sku"], i["available"]) for i in m.payload["items"]])
        return found


def receive_and_sync(container, world, sku: str, location: str, qty: int) -> None:
    receive(container, sku, location, qty, actor="test")
    world["worker"].drain()


def test_one_update_per_affected_channel_with_buffers(container, world, platform):
    receive_and_sync(container, world, "SKU-A", "WH1", 5)  # SKU-A: 15 at WH1
    assert channel_updates(container) == {"feed": [[("SKU-A", 13)]],  # 15 less 2 fixed
                                          "shopx": [[("SKU-A", 7)]]}  # 15 less 50 % rounded up
    feed = [r.json() for r in platform.calls("POST", "/feed")]
    assert [(f["type"], f["items"][0]["available"]) for f in feed] == [("inventory", 13)]
    sets = [r.json() for r in platform.calls("POST", "/admin/api/2024-10/inventory_levels/set.json")]
    assert sets == [{"location_id": 99, "inventory_item_id": 111, "available": 7}]
    assert {r.headers["x-shopify-access-token"] for r in platform.calls("POST", "/admin")} == {"shpat"}


def test_change_outside_a_channels_locations_or_listings_does_not_reach_it(container, world):
    receive_and_sync(container, world, "SKU-A", "WH2", 3)  # shopx sells from WH1 only
    receive_and_sync(container, world, "SKU-B", "WH1", 1)  # shopx does not list SKU-B
    assert channel_updates(container) == {"feed": [[("SKU-A", 11)], [("SKU-B", 4)]]}


def test_every_message_is_done_and_the_feed_is_signed(container, world, platform):
    receive_and_sync(container, world, "SKU-A", "WH1", 1)
    with container.reader() as uow:
        statuses = set(uow.session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.topic.in_(["stock.changed", "channel.inventory"]))))
    assert statuses == {"done"}
    call = platform.calls("POST", "/feed")[0]
    assert call.headers["webhook-signature"].startswith("v1,") and call.headers["webhook-id"].startswith("msg_")


def test_shipping_a_channel_order_sends_tracking_to_the_platform(container, world, platform):
    platform.add("GET", "/admin/api/2024-10/orders/EXT-1/fulfillment_orders.json",
                 body={"fulfillment_orders": [{"id": 5001, "status": "open"}]})
    order = place_order(container, order_cmd({"SKU-A": 1}, channel="shopx", external_id="EXT-1"), actor="t").order
    ship_order(container, order.id, location=world["locations"][0], carrier="UPS", tracking_number="1Z9", actor="test")
    world["worker"].drain()
    posted = [r.json() for r in platform.calls("POST", "/admin/api/2024-10/fulfillments.json")]
    assert posted == [{"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": 5001}],
                                       "notify_customer": True, "tracking_info": {"number": "1Z9", "company": "UPS"}}}]


def test_failed_delivery_is_retried_later_with_the_error_kept(container, world, platform):
    platform.add("POST", "/feed", status=500, body=b'{"error": "down"}')
    receive_and_sync(container, world, "SKU-B", "WH1", 1)
    with container.reader() as uow:
        msg = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.topic == "channel.inventory"))
    assert (msg.status, msg.attempts) == ("pending", 1)
    assert "500" in msg.last_error
    assert json.loads(json.dumps(msg.payload))["channel"] == "feed"
