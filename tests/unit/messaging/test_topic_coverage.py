"""No outbox topic is left without a reader again (716 `order.created` once sat pending): every
topic has a consumer in the worker or is explicitly ignored; every event can be subscribed to by
webhooks, in the same payload version the outbox writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.bootstrap import build
from conveyor.config import Settings
from conveyor.messaging import webhooks
from conveyor.messaging.handlers import IGNORED, default_handlers, trigger_of
from conveyor.messaging.outbox import INTERNAL, VERSIONS, Topic


@pytest.fixture
def handlers(tmp_path: Path):
    c = build(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    yield default_handlers(c)
    c.close()


def test_every_topic_has_a_consumer_or_is_explicitly_ignored(handlers):
    assert {str(t) for t in Topic} == set(handlers) | {str(t) for t in IGNORED}
    assert not set(handlers) & {str(t) for t in IGNORED}


def test_events_are_handled_in_transactions_and_deliveries_as_io(handlers):
    for topic in Topic:
        assert handlers[topic].transactional == (topic not in INTERNAL), topic
    assert handlers[Topic.WEBHOOK_DELIVERY].batch


def test_events_can_be_subscribed_to_but_the_workers_own_deliveries_cannot():
    assert webhooks.check_patterns(["fulfilment.shipped", "purchase_order.*", "webhook.ping"])
    for internal in ("webhook.delivery", "notification.email", "channel.inbound", "fulfilment.requested"):
        with pytest.raises(Exception, match="matches no topic"):
            webhooks.check_patterns([internal])
    assert webhooks.TOPIC_VERSIONS["order.shipped"] == VERSIONS[Topic.ORDER_SHIPPED]


@pytest.mark.parametrize(("topic", "payload", "trigger"), [
    ("order.created", {"status": "allocated"}, "allocated"),
    ("order.created", {"status": "on_hold"}, None),
    ("order.allocated", {"status": "allocated"}, "allocated"),
    ("order.shipped", {"status": "fulfilled"}, "shipped"),
    ("order.cancelled", {"status": "cancelled"}, "cancelled"),
    ("order.cancelled", {"status": "allocated"}, None),  # some lines only
    ("order.paid", {}, "paid"),
    ("return.requested", {}, "return_requested"),
    ("refund.issued", {}, "refunded"),
    ("order.held", {}, None),
    ("stock.changed", {}, None),
])
def test_lifecycle_points_of_events(topic, payload, trigger):
    assert trigger_of(topic, payload) == trigger
