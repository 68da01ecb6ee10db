from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from conveyor.messaging.broker import (
    BrokerSettings,
    NatsPublisher,
    OutboxEvent,
    RabbitPublisher,
    event_body,
    publisher_for,
)
from conveyor.shared.errors import ValidationFailed


def test_the_url_chooses_the_broker_and_no_url_means_off():
    assert publisher_for(BrokerSettings("")) is None
    assert isinstance(publisher_for(BrokerSettings("nats://127.0.0.1:4222")), NatsPublisher)
    assert isinstance(publisher_for(BrokerSettings("amqp://guest:guest@127.0.0.1:5672/")), RabbitPublisher)
    with pytest.raises(ValidationFailed):
        publisher_for(BrokerSettings("kafka://127.0.0.1:9092"))


def test_event_body_carries_type_id_key_and_utc_timestamp():
    created = datetime(2026, 11, 30, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    body = json.loads(event_body(OutboxEvent("msg_1", "order.shipped", "ord_7", {"carrier": "DHL"}, created)))
    assert body == {"type": "order.shipped", "id": "msg_1", "key": "ord_7", "timestamp": "2026-11-30T09:00:00.000Z",
                    "data": {"carrier": "DHL"}}
    assert created.astimezone(UTC).hour == 9
