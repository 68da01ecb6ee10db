"""A BigCommerce webhook names an order we must fetch. When the store's API trickles its answer,
the fetch (retries included) ends at its total deadline: the delivery is stored and answered 202,
to be fetched again by the worker, instead of holding the platform's webhook request open."""

from __future__ import annotations

from conveyor.channels import inbound
from conveyor.channels.inbound import receive_webhook
from tests.integration.channels.support import bigcommerce_headers, fixture, seed_channels
from tests.support_slow import DripServer


def test_a_slow_store_api_is_cut_off_and_the_fetch_retried_later(container, monkeypatch):
    drip = DripServer(pause_s=0.2).start()
    try:
        seed_channels(container, bc_base_url=drip.url.removesuffix("/slow"))
        monkeypatch.setattr(inbound, "FETCH_TOTAL_S", 1.0)
        body = fixture("bigcommerce/webhook_order_created.json")
        outcome = receive_webhook(container, "bc", body, bigcommerce_headers(body))
    finally:
        drip.stop()
    assert outcome.status_code == 202 and outcome.body["status"] == "accepted"
    assert "no time is left" in outcome.body["detail"] or "Timeout" in outcome.body["detail"], outcome.body
    assert drip.sent and not any(drip.finished)  # every answer was cut off before it was complete
