"""Re-routing, partial shipping and cancelling keep an order's allocation rows equal to its line
buckets (the bug the order-core issue reported: after a re-route, shipping exactly what
GET /orders/{id} showed at a location was refused, and a cancel left stock allocated)."""

from __future__ import annotations

from collections import defaultdict

import pytest

NEW_YORK = {"name": "Ada", "line1": "1 Main St", "city": "New York", "region": "NY", "postal_code": "10001",
            "country": "US"}


@pytest.fixture
def split_order(api):
    """6 units for New York from EAST (5 in stock, near) and WEST (3 in stock, far): split 5 + 1."""
    for code, lat, lon in (("EAST", 40.70, -74.16), ("WEST", 34.04, -117.56)):
        created = api.post("/locations", {"code": code, "name": code, "latitude": lat, "longitude": lon})
        assert created.status_code == 201
    assert api.post("/products", {"name": "Lamp", "skus": [{"code": "LAMP", "name": "Lamp", "price": "40.00"}]}
                    ).status_code == 201
    for location, qty in (("EAST", 5), ("WEST", 3)):
        assert api.post("/inventory/receipts", {"sku": "LAMP", "location": location, "quantity": qty}
                        ).status_code == 201
    body = {"channel": "web", "currency": "USD", "shipping_address": NEW_YORK,
            "lines": [{"sku": "LAMP", "quantity": 6, "unit_price": "40.00"}]}
    order = api.post("/orders", body).json()
    assert order["status"] == "allocated"
    return order


def allocated_at(api, order: dict) -> dict[str, int]:
    """What GET /locations and GET /orders/{id} say is allocated, per location code."""
    codes = {loc["id"]: loc["code"] for loc in api.get("/locations").json()}
    held: dict[str, int] = defaultdict(int)
    for a in api.get(f"/orders/{order['id']}").json()["allocations"]:
        held[codes[a["location_id"]]] += a["quantity"]
    return {k: v for k, v in held.items() if v}


def audit_is_clean(api) -> bool:
    report = api.get("/audit").json()
    return report["ok"] and report["violations"] == []


def test_shipping_what_a_location_shows_after_a_reroute_is_accepted(api, split_order):
    assert allocated_at(api, split_order) == {"EAST": 5, "WEST": 1}
    line_id = split_order["lines"][0]["id"]
    rerouted = api.post(f"/orders/{split_order['id']}/reroute",
                        {"location": "EAST", "reason": "two damaged on the shelf", "lines": {line_id: 2}})
    assert rerouted.status_code == 200, rerouted.text
    assert allocated_at(api, split_order) == {"EAST": 3, "WEST": 3}
    shipped = api.post(f"/orders/{split_order['id']}/shipments",
                       {"location": "WEST", "lines": {line_id: 3}, "carrier": "UPS",
                        "tracking_number": "1Z999AA10123456784"})
    assert shipped.status_code == 201, shipped.text
    order = api.get(f"/orders/{split_order['id']}").json()
    assert (order["lines"][0]["allocated"], order["lines"][0]["shipped"]) == (3, 3)
    assert order["status"] == "partially_fulfilled"
    assert audit_is_clean(api)


def test_cancelling_after_a_reroute_releases_every_unit(api, split_order):
    line_id = split_order["lines"][0]["id"]
    api.post(f"/orders/{split_order['id']}/reroute",
             {"location": "EAST", "reason": "two damaged on the shelf", "lines": {line_id: 2}})
    cancelled = api.post(f"/orders/{split_order['id']}/cancel", {"reason": "customer changed their mind"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert allocated_at(api, split_order) == {}
    levels = {lv["location_id"]: lv for lv in api.get("/inventory/levels", params={"sku": "LAMP"}).json()["items"]}
    assert sorted((lv["on_hand"], lv["allocated"]) for lv in levels.values()) == [(3, 0), (5, 0)]
    assert audit_is_clean(api)


def test_more_than_a_location_holds_is_refused_with_the_limit(api, split_order):
    line_id = split_order["lines"][0]["id"]
    refused = api.post(f"/orders/{split_order['id']}/shipments",
                       {"location": "WEST", "lines": {line_id: 2}, "carrier": "UPS",
                        "tracking_number": "1Z999AA10123456784"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_quantity" and refused.json()["available"] == 1
    assert audit_is_clean(api)
