"""`conveyor channels map-sku CODE KEY SKU`: the same one action as the API — map a channel key and
release every order held for it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from conveyor.channels.inbound import receive_webhook
from conveyor.channels.service import channel_info
from conveyor.cli.main import app
from conveyor.config import get_settings
from conveyor.orders.service import find_by_external_id
from tests.integration.channels.support import FIXTURES, seed_channels, woo_headers


def test_map_sku_command_releases_the_held_order(container, database_url, monkeypatch):
    seed_channels(container)
    document = json.loads((FIXTURES / "lifecycle/woocommerce/order_created_processing.json").read_bytes())
    document["line_items"][1]["variation_id"] = 99  # a variation nobody has mapped
    body = json.dumps(document).encode()
    assert receive_webhook(container, "woo", body, woo_headers(body)).status_code == 201

    monkeypatch.setenv("CONVEYOR_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["channels", "map-sku", "woo", "woocommerce:product:22:99", "TEE-BLACK-L"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 order(s) released" in result.output
    with container.reader() as uow:
        order = find_by_external_id(uow, channel_info(uow, "woo").id, "727")
        assert order is not None and order.status == "allocated" and order.hold_reason is None
