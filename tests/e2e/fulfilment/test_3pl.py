"""Issue 10, "what it must show" 5: the 3PL round trip — a released fulfilment order goes out as a
signed webhook (through the outbox and the worker) and in the CSV export; the 3PL's confirmation
ships the order and moves stock; its inventory snapshot with a discrepancy is reported and the
ledger is untouched until a person resolves it."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from conveyor.fulfillment import handlers as fulfilment_handlers
from conveyor.messaging.handlers import default_handlers
from conveyor.messaging.worker import Worker
from tests.e2e.fulfilment.conftest import fulfilment_orders, place

SECRET = "whsec_" + base64.b64encode(b"reno-3pl-shared-secret-32-bytes!").decode()
USPS_VALID = "9400 1112 0108 0805 4830 16"


@pytest.fixture
def reno(floor, monkeypatch):
    """The 3PL takes webhooks; what the worker POSTs is captured."""
    r = floor.put("/locations/RENO3PL/fulfilment-settings", {"webhook_url": "https://reno-3pl.example/orders",
                                                             "webhook_secret": SECRET})
    assert r.status_code == 200 and r.json()["webhook_secret_set"] is True and "webhook_secret" not in r.json()
    sent: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(202)

    # The worker's 3PL delivery builds its client with a connect timeout and a total deadline
    # (shared/deadline.py); here that client answers in-process.
    monkeypatch.setattr(fulfilment_handlers, "deadline_client",
                        lambda *args, **kwargs: httpx.Client(transport=httpx.MockTransport(receive)))
    return sent


def _ledger_entries(api, sku: str) -> list[dict]:
    return api.get("/inventory/ledger", params={"sku": sku, "location": "RENO3PL", "limit": 200}).json()["items"]


def _level(api, sku: str) -> dict:
    return api.get("/inventory/levels", params={"sku": sku, "location": "RENO3PL"}).json()["items"][0]


def test_request_out_confirmation_in_snapshot_reconciled(floor, reno, container):
    api = floor
    order = place(api, {"TEE": 2})
    fo = fulfilment_orders(api, order["id"])["RENO3PL"]
    assert api.post(f"/fulfilment-orders/{fo['id']}/release").json()["status"] == "released"

    Worker(container, default_handlers(container)).drain()
    [request] = reno
    payload = Webhook(SECRET).verify(request.content, dict(request.headers))  # the standard's own check
    assert str(request.url) == "https://reno-3pl.example/orders"
    assert payload["type"] == "fulfilment.requested" and payload["fulfilment_order_id"] == fo["id"]
    assert [(li["sku"], li["quantity"]) for li in payload["lines"]] == [("TEE", 2)]
    assert payload["ship_to"]["line1"] == "350 5th Ave"

    rows = list(csv.DictReader(io.StringIO(api.get("/3pl/RENO3PL/requests.csv").text)))
    assert [(r["request_id"], r["sku"], r["quantity"], r["ship_to_city"]) for r in rows] == [
        (payload["request_id"], "TEE", "2", "New York")]

    before = _level(api, "TEE")
    confirmation = {"request_id": payload["request_id"], "external_ref": "RENO-SHP-1", "carrier": "usps",
                    "tracking_number": USPS_VALID, "shipped": {"TEE": 2}}
    first = api.post("/3pl/confirmations", confirmation)
    assert first.status_code == 201, first.text
    assert api.post("/3pl/confirmations", confirmation).json() == first.json()  # a repeat ships nothing more
    after = _level(api, "TEE")
    assert (after["on_hand"], after["allocated"]) == (before["on_hand"] - 2, before["allocated"] - 2)
    shown = api.get(f"/orders/{order['id']}").json()
    assert shown["status"] == "fulfilled" and shown["fulfilment_orders"][0]["status"] == "shipped"
    assert shown["shipments"][0]["tracking_number"] == USPS_VALID.replace(" ", "")
    assert api.get("/3pl/RENO3PL/requests.csv").text.count("\n") == 1  # nothing open any more

    entries = len(_ledger_entries(api, "TEE"))
    snapshot = api.post("/3pl/RENO3PL/snapshots", {"taken_at": datetime.now(UTC).isoformat(), "counts": {"TEE": 7}})
    assert snapshot.status_code == 201, snapshot.text
    [found] = snapshot.json()["discrepancies"]
    assert (found["sku"], found["ledger_on_hand"], found["reported_on_hand"], found["difference"]) == ("TEE", 8, 7, -1)
    listed = api.get("/3pl/discrepancies", params={"location": "RENO3PL"}).json()["items"]
    assert [d["id"] for d in listed] == [found["id"]]
    assert _level(api, "TEE")["on_hand"] == 8 and len(_ledger_entries(api, "TEE")) == entries  # untouched

    resolved = api.post(f"/3pl/discrepancies/{found['id']}/resolve", {"action": "adjust", "note": "recount ok"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "adjusted"
    assert _level(api, "TEE")["on_hand"] == 7
    newest = _ledger_entries(api, "TEE")
    assert len(newest) == entries + 1
    again = api.post(f"/3pl/discrepancies/{found['id']}/resolve", {"action": "dismiss"})
    assert again.status_code == 409
    assert api.get("/audit").json()["ok"] is True


def test_a_short_confirmation_reroutes_what_the_3pl_could_not_send(floor, reno):
    api = floor
    order = place(api, {"TEE": 3})
    fo = fulfilment_orders(api, order["id"])["RENO3PL"]
    api.post(f"/fulfilment-orders/{fo['id']}/release")
    request_id = json.loads(api.get(f"/orders/{order['id']}/timeline").text)[-1]["data"]["request_id"]
    r = api.post("/3pl/confirmations", {"request_id": request_id, "external_ref": "RENO-SHP-2", "carrier": "usps",
                                        "tracking_number": USPS_VALID, "shipped": {"TEE": 2}})
    assert r.status_code == 201, r.text
    line = api.get(f"/orders/{order['id']}").json()["lines"][0]
    # TEE is stocked nowhere else: the unit the 3PL could not send waits as a back-order.
    assert (line["shipped"], line["allocated"], line["backordered"]) == (2, 0, 1)
    assert api.get("/audit").json()["ok"] is True


def test_a_snapshot_is_only_for_a_3pl(floor):
    r = floor.post("/3pl/NJ/snapshots", {"taken_at": datetime.now(UTC).isoformat(), "counts": {"MUG": 1}})
    assert r.status_code == 422 and "not a 3PL" in r.json()["detail"]
