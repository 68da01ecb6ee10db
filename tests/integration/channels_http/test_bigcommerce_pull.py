"""BigCommerce: a thin webhook's order id → three v2 calls over real HTTP → a mapped order."""

import pytest

from conveyor.channels.connectors.bigcommerce import BigCommerceConnector, bigcommerce_client
from conveyor.channels.http import ChannelHttpError, RetryPolicy

from .conftest import FIXTURES, Reply

BASE = "/stores/abc123/v2/orders/250"


@pytest.fixture
def connector(fake_api, sleeps):
    client = bigcommerce_client(
        "abc123", "tok-123", api_root=fake_api.url, sleep=sleeps.append, timeout=2.0,
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.05),
    )  # fmt: skip
    yield BigCommerceConnector(client, channel="bc-store")
    client.close()


def serve_order(fake_api, *first_replies: Reply) -> None:
    fake_api.add(BASE, *first_replies, Reply.fixture("bigcommerce/order_250.json"))
    fake_api.add(f"{BASE}/products", Reply.fixture("bigcommerce/order_250_products.json"))
    fake_api.add(f"{BASE}/shipping_addresses", Reply.fixture("bigcommerce/order_250_shipping_addresses.json"))


def test_webhook_to_mapped_order(fake_api, connector, sku_lookup):
    serve_order(fake_api)
    webhook = (FIXTURES / "bigcommerce/webhook_order_created.json").read_bytes()
    pulled = connector.pull_from_webhook(webhook, sku_lookup)
    assert pulled.error is None and pulled.external_id == "250"
    order = pulled.mapped.order
    assert [line.sku for line in order.lines] == ["CAMERA-BODY", "LENS-50MM", "LENS-CLOTH"]
    assert pulled.mapped.declared_total_minor == pulled.mapped.computed_total_minor == 17591
    assert order.shipping_address.city == "Austin" and order.channel == "bc-store"
    assert pulled.raw["order"]["id"] == 250  # the raw documents come back for storage
    assert {s.headers["x-auth-token"] for s in fake_api.seen} == {"tok-123"}


def test_429_with_retry_after_then_success(fake_api, connector, sleeps, sku_lookup):
    serve_order(fake_api, Reply(429, b"{}", {"Retry-After": "2"}))
    pulled = connector.pull_order(250, sku_lookup)
    assert pulled.mapped is not None
    assert len(fake_api.calls(BASE)) == 2
    assert sleeps == [2.0]  # waited what the server asked, via the injected sleep


def test_products_are_paged_until_a_short_page(fake_api, connector, sku_lookup):
    fake_api.add(BASE, Reply.fixture("bigcommerce/order_250.json"))
    full_page = [{"id": i, "sku": "CAM-100", "quantity": 1, "total_ex_tax": "1.00"} for i in range(250)]
    fake_api.add(f"{BASE}/products", Reply.json(full_page), query={"page": "1"})
    fake_api.add(f"{BASE}/products", Reply(204), query={"page": "2"})
    fake_api.add(f"{BASE}/shipping_addresses", Reply.json([]))
    raw = connector.fetch_order(250)
    assert len(raw["products"]) == 250
    assert [s.query["page"] for s in fake_api.calls(f"{BASE}/products")] == [["1"], ["2"]]


def test_timeout_is_retried_then_reported(fake_api, sku_lookup, sleeps):
    fake_api.add(BASE, Reply.fixture("bigcommerce/order_250.json", delay_s=1.0))
    client = bigcommerce_client(
        "abc123", "tok", api_root=fake_api.url, timeout=0.2, sleep=sleeps.append,
        retry=RetryPolicy(max_attempts=2, base_delay_s=0.01),
    )  # fmt: skip
    with pytest.raises(ChannelHttpError) as err:
        BigCommerceConnector(client, channel="bc").pull_order(250, sku_lookup)
    assert err.value.status is None and err.value.attempts == 2
    assert "Timeout" in str(err.value)
    assert len(sleeps) == 1
    client.close()


def test_order_not_found_is_a_clear_error(fake_api, connector, sku_lookup):
    with pytest.raises(ChannelHttpError) as err:
        connector.pull_order(999, sku_lookup)
    assert err.value.status == 404 and "/v2/orders/999" in err.value.url
