"""The order's language reaches the stored order from every source: platform webhooks (their own
field, else the store's language set on the channel), phone drafts and POS sales (an explicit
field). The customer e-mails read it from there (tests/integration/messaging/test_customer_emails.py)."""

from __future__ import annotations

import json

from conveyor.channels.drafts import DraftLine
from conveyor.channels.handlers import (
    channel_for,
    confirm_draft,
    create_channel,
    create_draft,
    record_sale,
    update_channel,
)
from conveyor.channels.inbound import receive_webhook
from conveyor.orders.commands import LineInput, PlaceOrder
from conveyor.orders.service import get_order as read_order
from tests.helpers import seed_world
from tests.integration.channels.support import FIXTURES, seed_channels, shopify_headers, woo_headers


def get_order(container, order_id: str):
    with container.reader() as uow:
        return read_order(uow, order_id)


def _woo_order(container, delivery: str, meta: list[dict]) -> str:
    document = json.loads((FIXTURES / "lifecycle/woocommerce/order_created_processing.json").read_bytes())
    document["id"], document["meta_data"] = int(document["id"]) + len(delivery), meta
    body = json.dumps(document).encode()
    response = receive_webhook(container, "woo", body, woo_headers(body, delivery=delivery))
    assert response.status_code in (200, 201), response.body
    return response.body["order_id"]


def test_woocommerce_uses_wpml_meta_else_the_stores_language(container):
    seed_channels(container)
    update_channel(container, "woo", {"config": {"language": "fr_FR"}})
    from_store = _woo_order(container, "w-1", [])
    from_wpml = _woo_order(container, "w-22", [{"id": 9, "key": "wpml_language", "value": "de"}])
    assert get_order(container, from_store).locale == "fr-FR"
    assert get_order(container, from_wpml).locale == "de"


def test_shopify_customer_locale_is_stored(container):
    seed_channels(container)
    document = json.loads((FIXTURES / "shopify/order_create.json").read_bytes())
    document["customer_locale"] = "de-at"
    body = json.dumps(document).encode()
    response = receive_webhook(container, "shop", body, shopify_headers(body))
    assert response.status_code in (200, 201), response.body
    assert get_order(container, response.body["order_id"]).locale == "de-AT"


def test_phone_and_pos_orders_take_the_language_given(container):
    seed_world(container, {"SKU-A": 10})
    create_channel(container, code="phone", name="Phone", type="phone")
    create_channel(container, code="till", name="Store till", type="pos")
    draft = create_draft(container, channel_for(container, "phone"), "USD",
                         {"lines": [DraftLine("SKU-A", 1)], "locale": "es-MX"}, actor="staff")
    phoned = confirm_draft(container, draft.id, channel_for(container, "phone"), actor="staff").order
    sold = record_sale(container, PlaceOrder(channel="till", currency="USD", lines=[LineInput("SKU-A", 1, 1000)],
                                             locale="pt-PT"), "WH1", "test")
    assert phoned.locale == "es-MX"
    assert sold.locale == "en"  # no Portuguese templates: English
