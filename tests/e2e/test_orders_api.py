from __future__ import annotations

from tests.e2e.conftest import order_body


def test_create_get_and_list_order(api):
    r = api.post("/orders", order_body({"SKU-A": 2, "SKU-B": 1}, external_id="W-1", shipping="4.99"))
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "allocated"
    assert order["totals"] == {"subtotal": "30.00", "discount": "0.00", "tax": "0.00", "shipping": "4.99",
                               "total": "34.99"}
    assert api.get(f"/orders/{order['id']}").json()["id"] == order["id"]
    listed = api.get("/orders", params={"sku": "SKU-B"}).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]


def test_channel_retry_returns_existing_order(api):
    first = api.post("/orders", order_body(external_id="W-9"))
    again = api.post("/orders", order_body(external_id="W-9"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    level = api.get("/inventory/levels", params={"sku": "SKU-A", "location": "WH1"}).json()["items"][0]
    assert level["allocated"] == 1


def test_insufficient_stock_is_409_problem(api):
    r = api.post("/orders", order_body({"SKU-A": 11}))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "insufficient_stock"
    assert r.json()["shortages"][0]["sku"] == "SKU-A"


def test_cancel_releases_stock_and_illegal_transition_is_409(api):
    order = api.post("/orders", order_body({"SKU-A": 4})).json()
    r = api.post(f"/orders/{order['id']}/cancel", {"reason": "customer asked"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    level = api.get("/inventory/levels", params={"sku": "SKU-A", "location": "WH1"}).json()["items"][0]
    assert level["allocated"] == 0
    again = api.post(f"/orders/{order['id']}/cancel", {})
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"
    assert again.json()["current_status"] == "cancelled"


def test_ship_deliver_complete_and_timeline(api):
    order = api.post("/orders", order_body({"SKU-A": 2})).json()
    shipped = api.post(f"/orders/{order['id']}/shipments", {"location": "WH1", "carrier": "UPS",
                                                            "tracking_number": "1Z999AA10123456784"})
    assert shipped.status_code == 201, shipped.text
    assert api.get(f"/orders/{order['id']}").json()["status"] == "fulfilled"
    assert api.post(f"/orders/{order['id']}/deliver", {}).json()["status"] == "delivered"
    assert api.post(f"/orders/{order['id']}/complete").json()["status"] == "completed"
    types = [e["type"] for e in api.get(f"/orders/{order['id']}/timeline").json()]
    # The channel invoices at shipment (the default, docs/money.md): the shipment issues the invoice.
    assert types == ["order.placed", "fulfilment.created", "order.shipped", "fulfilment.shipped", "invoice.issued",
                     "order.delivered", "fulfilment.delivered", "order.completed"]
    level = api.get("/inventory/levels", params={"sku": "SKU-A", "location": "WH1"}).json()["items"][0]
    assert (level["on_hand"], level["allocated"]) == (8, 0)
    assert api.get("/audit").json()["ok"] is True


def test_hold_and_release(api):
    order = api.post("/orders", order_body()).json()
    held = api.post(f"/orders/{order['id']}/hold", {"reason": "fraud check"}).json()
    assert (held["status"], held["hold_reason"]) == ("on_hold", "fraud check")
    assert api.post(f"/orders/{order['id']}/shipments", {"location": "WH1"}).status_code == 409
    assert api.post(f"/orders/{order['id']}/release").json()["status"] == "allocated"


def test_routing_explanation_names_locations(api):
    order = api.post("/orders", order_body({"SKU-A": 1})).json()
    decisions = api.get(f"/orders/{order['id']}/routing").json()["decisions"]
    assert decisions and decisions[0]["strategy"]
    kept = [c for c in decisions[0]["candidates"] if c["kept"]]
    assert kept and kept[0]["code"] == "WH1"


def test_order_status_feed_csv_lists_status_and_tracking(api):
    import csv
    import io

    order = api.post("/orders", order_body({"SKU-A": 1}, external_id="W-77")).json()
    api.post(f"/orders/{order['id']}/shipments", {"location": "WH1", "carrier": "UPS",
                                                "tracking_number": "1Z999AA10123456784"})
    other = api.post("/orders", order_body({"SKU-A": 1}, channel="market", external_id="M-1"))
    assert other.status_code == 201
    r = api.get("/channels/web/feeds/orders.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["external_id"], x["status"], x["carrier"], x["tracking_number"]) for x in rows] == [
        ("W-77", "fulfilled", "UPS", "1Z999AA10123456784")]
    later = api.get("/channels/web/feeds/orders.csv", params={"since": "2999-01-01T00:00:00Z"})
    assert list(csv.DictReader(io.StringIO(later.text))) == []
