"""Amazon SP-API: getOrders with NextToken paging, getOrderItems per order, over real HTTP."""

from datetime import UTC, datetime

import pytest

from conveyor.channels.connectors.amazon import AmazonConnector
from conveyor.channels.http import ChannelHttpClient, RetryPolicy

from .conftest import Reply

ORDERS = "/orders/v0/orders"


@pytest.fixture
def tokens():
    issued = []

    def provider() -> str:
        issued.append(f"Atza|token-{len(issued) + 1}")
        return issued[-1]

    return provider


@pytest.fixture
def connector(fake_api, sleeps, tokens):
    client = ChannelHttpClient(
        fake_api.url, sleep=sleeps.append, timeout=2.0, retry=RetryPolicy(max_attempts=3, base_delay_s=0.01)
    )
    yield AmazonConnector(
        client, tokens, marketplace_ids=["ATVPDKIKX0DER", "A1VC38T7YXB528"], channel="amazon-us"
    )
    client.close()


def serve(fake_api, *first_page_replies: Reply) -> None:
    fake_api.add(
        ORDERS,
        *first_page_replies,
        Reply.fixture("amazon/get_orders_page1.json"),
        query={"CreatedAfter": "2024-05-01T00:00:00Z"},
    )
    fake_api.add(
        ORDERS,
        Reply.fixture("amazon/get_orders_page2.json"),
        query={"NextToken": "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4="},
    )
    for order_id in ("113-1234567-1234567", "503-7654321-7654321"):
        fake_api.add(f"{ORDERS}/{order_id}/orderItems", Reply.fixture(f"amazon/order_items_{order_id}.json"))


def test_poll_follows_next_token_and_maps_each_order(fake_api, connector, sku_lookup):
    serve(fake_api)
    pulled = connector.poll(sku_lookup, created_after=datetime(2024, 5, 1, tzinfo=UTC))
    assert [p.external_id for p in pulled] == ["113-1234567-1234567", "503-7654321-7654321"]
    us, jp = (p.mapped for p in pulled)
    assert us.order.hold_reason == "unmapped_sku: UNKNOWN-SKU-9"
    assert us.declared_total_minor == us.computed_total_minor == 5191
    assert jp.order.currency == "JPY" and jp.order.lines[0].quantity == 3
    first, second = fake_api.calls(ORDERS)
    assert first.query["MarketplaceIds"] == ["ATVPDKIKX0DER,A1VC38T7YXB528"]
    assert (
        "CreatedAfter" not in second.query and second.query["MarketplaceIds"] == first.query["MarketplaceIds"]
    )


def test_every_request_carries_a_fresh_access_token(fake_api, connector, sku_lookup):
    serve(fake_api)
    connector.poll(sku_lookup, created_after=datetime(2024, 5, 1, tzinfo=UTC))
    tokens = [s.headers["x-amz-access-token"] for s in fake_api.seen]
    assert len(tokens) == 4 and len(set(tokens)) == 4 and tokens[0] == "Atza|token-1"


def test_throttled_then_success(fake_api, connector, sleeps, sku_lookup):
    throttled = Reply(
        429,
        b'{"errors": [{"code": "QuotaExceeded"}]}',
        {"Retry-After": "1", "x-amzn-RateLimit-Limit": "0.0167"},
    )
    serve(fake_api, throttled)
    pulled = connector.poll(sku_lookup, created_after=datetime(2024, 5, 1, tzinfo=UTC))
    assert len(pulled) == 2
    assert sleeps == [1.0]  # Retry-After wins over the rate-limit hint


def test_throttled_without_retry_after_waits_for_the_rate(fake_api, connector, sleeps, sku_lookup):
    serve(fake_api, Reply(429, b"{}", {"x-amzn-RateLimit-Limit": "0.5"}))
    connector.poll(sku_lookup, created_after=datetime(2024, 5, 1, tzinfo=UTC))
    assert sleeps == [2.0]


def test_window_must_be_one_aware_timestamp(connector, sku_lookup):
    with pytest.raises(ValueError):
        connector.poll(sku_lookup)
    with pytest.raises(ValueError):
        connector.poll(sku_lookup, last_updated_after=datetime(2024, 5, 1))
