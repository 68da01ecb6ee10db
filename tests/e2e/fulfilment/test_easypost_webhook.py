"""EasyPost tracker webhooks (recorded Event: tests/fixtures/shipping/easypost) move the shipped
fulfilment order on, once `X-Hmac-Signature` proves EasyPost sent them."""

from __future__ import annotations

from pathlib import Path

from conveyor.shipping.easypost_webhook import signature
from tests.e2e.fulfilment.conftest import fulfilment_orders, place

EVENT = (Path(__file__).resolve().parents[2] / "fixtures" / "shipping" / "easypost"
         / "webhook_tracker_updated.json").read_bytes()
SECRET = "easypost-webhook-secret"


def test_a_signed_tracker_event_flags_the_damaged_parcel(floor, container):
    api = floor
    container.settings.easypost_webhook_secret = SECRET
    order = place(api, {"MUG": 1})
    shipped = api.post(f"/orders/{order['id']}/shipments", {"location": "NJ", "carrier": "ups",
                                                            "tracking_number": "1Z999AA10123456784"})
    assert shipped.status_code == 201, shipped.text
    url = "/api/v1/tracking/webhooks/easypost"
    unsigned = api.client.post(url, content=EVENT, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "invalid_signature"
    forged = api.client.post(url, content=EVENT, headers={"X-Hmac-Signature": signature(EVENT, "guess")})
    assert forged.status_code == 401

    r = api.client.post(url, content=EVENT, headers={"X-Hmac-Signature": signature(EVENT, SECRET),
                                                     "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    fo = fulfilment_orders(api, order["id"])["NJ"]
    assert r.json()["stored"] == 2 and r.json()["exceptions"] == [fo["id"]]
    assert fo["status"] == "exception" and "exception" in fo["exception_reason"]
    events = [e for e in api.get(f"/orders/{order['id']}/timeline").json() if e["type"] == "tracking.updated"]
    assert [x["city"] for x in events[0]["data"]["events"]] == ["SECAUCUS", "HARRISBURG"]
