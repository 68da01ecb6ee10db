"""On the warehouse floor: short picks re-route the remainder (never to the same location), the
fulfilment orders follow cancels and re-routes, labels are voided and reprinted, boxes are
suggested, releases follow the location's rules."""

from __future__ import annotations

from conveyor.inventory.handlers import receive
from tests.e2e.fulfilment.conftest import fulfilment_orders, pdf_text, place


def _release_and_list(api, fo: dict, location: str) -> dict:
    api.post(f"/fulfilment-orders/{fo['id']}/release")
    r = api.post("/pick-lists", {"location": location})
    assert r.status_code == 201, r.text
    return r.json()["items"][0]


def test_a_short_pick_reroutes_the_remainder_to_another_location(floor, container):
    api = floor
    receive(container, "MUG", "CA", 5, actor="test")
    order = place(api, {"MUG": 3})
    fo = fulfilment_orders(api, order["id"])["NJ"]
    pick_list = _release_and_list(api, fo, "NJ")
    r = api.post(f"/pick-lists/{pick_list['id']}/confirm",
                 {"picked": [{"bin": "A-01-1-A", "sku": "MUG", "quantity": 1}]})
    assert r.status_code == 200, r.text
    assert [(s["sku"], s["requested"], s["picked"], s["short"]) for s in r.json()["short"]] == [("MUG", 3, 1, 2)]
    fos = fulfilment_orders(api, order["id"])
    assert (fos["NJ"]["status"], fos["NJ"]["lines"][0]["quantity"], fos["NJ"]["lines"][0]["picked"]) == (
        "picking", 1, 1)
    assert (fos["CA"]["status"], fos["CA"]["lines"][0]["quantity"]) == ("pending", 2)
    allocations = api.get(f"/orders/{order['id']}").json()["allocations"]
    by_location = {a["location_id"]: a["quantity"] for a in allocations}
    assert sorted(by_location.values()) == [1, 2]
    types = [e["type"] for e in api.get(f"/orders/{order['id']}/timeline").json()]
    assert "fulfilment.short_picked" in types and "order.rerouted" in types
    assert api.get("/audit").json()["ok"] is True
    assert api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": None}).status_code == 409


def test_nothing_picked_cancels_the_fulfilment_order_and_backorders_without_stock(floor):
    api = floor
    order = place(api, {"CAP": 1})
    fo = fulfilment_orders(api, order["id"])["CA"]
    pick_list = _release_and_list(api, fo, "CA")
    api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": [{"bin": "B-02-1-A", "sku": "CAP", "quantity": 0}]})
    shown = api.get(f"/orders/{order['id']}").json()
    assert [f["status"] for f in shown["fulfilment_orders"]] == ["cancelled"]
    assert shown["status"] == "backordered"
    assert api.get("/audit").json()["ok"] is True


def test_cancelling_the_order_cancels_its_fulfilment_orders(floor):
    api = floor
    order = place(api, {"MUG": 1, "CAP": 1})
    line_ids = {li["sku"]: li["id"] for li in order["lines"]}
    api.post(f"/orders/{order['id']}/cancel", {"lines": {line_ids["CAP"]: 1}, "reason": "changed mind"})
    fos = fulfilment_orders(api, order["id"])
    assert (fos["CA"]["status"], fos["NJ"]["status"]) == ("cancelled", "pending")
    api.post(f"/orders/{order['id']}/cancel", {"reason": "changed mind"})
    assert fulfilment_orders(api, order["id"])["NJ"]["status"] == "cancelled"
    assert api.get("/audit").json()["ok"] is True


def test_packing_refuses_what_is_already_packed_and_unknown_codes(floor):
    api = floor
    order = place(api, {"MUG": 1})
    fo = fulfilment_orders(api, order["id"])["NJ"]
    api.post(f"/fulfilment-orders/{fo['id']}/release")
    assert api.post(f"/fulfilment-orders/{fo['id']}/scan", {"code": "MUG"}).status_code == 200
    again = api.post(f"/fulfilment-orders/{fo['id']}/scan", {"code": "MUG"}).json()
    assert (again["outcome"], again["detail"]) == ("already_packed", "MUG is already fully packed (1 of 1).")
    unknown = api.post(f"/fulfilment-orders/{fo['id']}/scan", {"code": "ZZZ-404"}).json()
    assert unknown["outcome"] == "unknown_barcode"
    misread = api.post(f"/fulfilment-orders/{fo['id']}/scan", {"code": "4006381333932"}).json()
    assert misread["outcome"] == "bad_check_digit"
    line_id = api.get(f"/fulfilment-orders/{fo['id']}").json()["lines"][0]["id"]
    assert api.post(f"/fulfilment-orders/{fo['id']}/unpack", {"line_id": line_id}).json()["lines"][0]["packed"] == 0


def test_box_suggestion_and_label_void_and_reprint(floor):
    api = floor
    order = place(api, {"MUG": 2})
    fo = fulfilment_orders(api, order["id"])["NJ"]
    assert api.get(f"/fulfilment-orders/{fo['id']}/box-suggestion").json()["box"] == "S"
    api.post(f"/fulfilment-orders/{fo['id']}/release")
    for _ in range(2):
        api.post(f"/fulfilment-orders/{fo['id']}/scan", {"code": "MUG"})
    api.post(f"/fulfilment-orders/{fo['id']}/packages", {"weight_grams": 820, "box": "S"})
    [first] = api.post(f"/fulfilment-orders/{fo['id']}/labels", {}).json()["items"]
    assert api.post(f"/fulfilment-orders/{fo['id']}/labels", {}).status_code == 422  # every package has one
    voided = api.post(f"/labels/{first['id']}/void")
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    [second] = api.post(f"/fulfilment-orders/{fo['id']}/labels", {"carrier": "ups", "service": "ground"}).json()[
        "items"]
    assert second["tracking_number"] != first["tracking_number"] and second["tracking_number"].startswith("1Z")
    assert second["tracking_number"] in pdf_text(api.get(f"/labels/{second['id']}/pdf").content)
    assert api.post(f"/fulfilment-orders/{fo['id']}/ship").json()["tracking_number"] == second["tracking_number"]
    gone = api.post(f"/labels/{second['id']}/void")
    assert gone.status_code == 409 and "already left" in gone.json()["detail"]  # the parcel left
    types = [e["type"] for e in api.get(f"/orders/{order['id']}/timeline").json()]
    assert types.count("label.purchased") == 2 and types.count("label.voided") == 1


def test_immediate_release_follows_the_location_rules(floor):
    api = floor
    r = api.put("/locations/NJ/fulfilment-settings", {"release_mode": "immediate", "hold_tags": ["fraud-review"]})
    assert r.status_code == 200, r.text
    plain = place(api, {"MUG": 1})
    flagged = place(api, {"MUG": 1}, tags=["fraud-review"])
    released = api.post("/fulfilment-orders/release-due").json()["released"]
    assert released == [fulfilment_orders(api, plain["id"])["NJ"]["id"]]
    assert fulfilment_orders(api, flagged["id"])["NJ"]["status"] == "pending"
    bad = api.put("/locations/NJ/fulfilment-settings", {"release_mode": "cutoff"})
    assert bad.status_code == 422 and "release_cutoff" in bad.json()["detail"]
