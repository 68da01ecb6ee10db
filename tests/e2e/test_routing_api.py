from __future__ import annotations

from tests.e2e.conftest import order_body


def test_preview_explains_without_reserving(api):
    before = api.get("/inventory/levels", params={"sku": "SKU-A"}).json()["items"][0]
    r = api.post("/routing/preview", {"lines": [{"sku": "SKU-A", "quantity": 2}],
                                      "shipping_address": {"postal_code": "10001", "country": "US"}})
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["strategy"] and plan["candidates"]
    assert [c["code"] for c in plan["candidates"] if c["kept"]] == ["WH1"]
    assert sum(a["quantity"] for a in plan["assignments"]) == 2
    after = api.get("/inventory/levels", params={"sku": "SKU-A"}).json()["items"][0]
    assert after == before


def test_preview_of_unknown_sku_is_422(api):
    r = api.post("/routing/preview", {"lines": [{"sku": "NOPE", "quantity": 1}]})
    assert (r.status_code, r.json()["code"]) == (422, "unknown_sku")


def test_config_round_trip_and_bad_document_is_422(api):
    assert api.get("/routing/config").json()["default"]["strategy"] == "lowest_cost"
    doc = {"default": {"strategy": "priority"}, "channels": {"web": {"strategy": "nearest",
                                                                     "fallback": "unfillable"}}}
    r = api.put("/routing/config", doc)
    assert r.status_code == 200, r.text
    assert api.get("/routing/config").json()["channels"]["web"]["strategy"] == "nearest"
    bad = api.put("/routing/config", {"default": {"strategy": "teleport"}})
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    assert api.get("/routing/config").json()["channels"]["web"]["fallback"] == "unfillable"
    assert api.put("/routing/config", doc, role="support").status_code == 403


def test_reroute_endpoint_and_routing_explanation(api):
    api.post("/inventory/receipts", {"sku": "SKU-A", "location": "WH2", "quantity": 5})
    order = api.post("/orders", order_body({"SKU-A": 2})).json()
    first = {a["location_id"] for a in order["allocations"]}
    location = api.get("/locations").json()
    codes = {loc["id"]: loc["code"] for loc in location}
    r = api.post(f"/orders/{order['id']}/reroute", {"location": codes[first.pop()], "reason": "short pick"})
    assert r.status_code == 200, r.text
    moved = {codes[a["location_id"]] for a in r.json()["allocations"] if a["quantity"]}
    assert len(moved) == 1 and moved != {codes[a["location_id"]] for a in order["allocations"]}
    decisions = api.get(f"/orders/{order['id']}/routing").json()["decisions"]
    assert [d["event"] for d in decisions] == ["order.placed", "order.allocated"]
    assert api.get("/audit").json()["ok"] is True
