"""The shipment rules of issue 10: `POST /orders/{id}/shipments` refuses an empty carrier, an empty
tracking number, a number failing its carrier's check digit and an order without a shipping
address (422) unless an override reason is given; `POST /tracking-numbers/validate`;
`POST /delivery-promise`."""

from __future__ import annotations

import pytest

from tests.e2e.fulfilment.conftest import fulfilment_orders, place

UPS_VALID = "1Z999AA10123456784"  # the UPS developer guide's sample
UPS_BAD_CHECK = "1Z999AA10123456785"


@pytest.mark.parametrize(("body", "code"), [
    ({"carrier": "", "tracking_number": UPS_VALID}, "validation_error"),
    ({"carrier": "ups", "tracking_number": ""}, "invalid_tracking_number"),
    ({"carrier": "ups", "tracking_number": UPS_BAD_CHECK}, "invalid_tracking_number"),
    ({"carrier": "fedex", "tracking_number": UPS_VALID}, "invalid_tracking_number"),
])
def test_a_shipment_typed_in_by_hand_is_checked(floor, body, code):
    api = floor
    order = place(api, {"MUG": 1})
    refused = api.post(f"/orders/{order['id']}/shipments", {"location": "NJ", **body})
    assert refused.status_code == 422 and refused.json()["code"] == code, refused.text
    after = api.get(f"/orders/{order['id']}").json()
    assert after["status"] == "allocated" and after["shipments"] == []


def test_an_order_without_a_shipping_address_is_refused_unless_overridden(floor):
    api = floor
    order = place(api, {"MUG": 1}, shipping_address=None)
    refused = api.post(f"/orders/{order['id']}/shipments", {"location": "NJ", "carrier": "ups",
                                                            "tracking_number": UPS_VALID})
    assert refused.status_code == 422 and refused.json()["code"] == "no_shipping_address"
    kept = api.post(f"/orders/{order['id']}/shipments", {"location": "NJ", "carrier": "ups", "tracking_number":
                                                         UPS_VALID, "override_reason": "collected at the door"})
    assert kept.status_code == 201, kept.text


def test_an_override_with_a_reason_records_it_and_says_why_on_the_timeline(floor):
    api = floor
    order = place(api, {"MUG": 2})
    fo = fulfilment_orders(api, order["id"])["NJ"]
    shipped = api.post(f"/orders/{order['id']}/shipments", {
        "location": "NJ", "carrier": "ups", "tracking_number": UPS_BAD_CHECK,
        "override_reason": "hand-written label from the depot"})
    assert shipped.status_code == 201, shipped.text
    shown = api.get(f"/orders/{order['id']}").json()
    assert shown["status"] == "fulfilled"
    assert [(s["carrier"], s["tracking_number"]) for s in shown["shipments"]] == [("ups", UPS_BAD_CHECK)]
    # The fulfilment order that held those units left with that shipment.
    [after] = shown["fulfilment_orders"]
    assert (after["id"], after["status"], after["tracking_number"]) == (fo["id"], "shipped", UPS_BAD_CHECK)
    notes = [e["data"]["text"] for e in api.get(f"/orders/{order['id']}/timeline").json() if e["type"] == "note.added"]
    assert notes and "hand-written label from the depot" in notes[0]
    assert api.get("/audit").json()["ok"] is True


def test_a_partial_shipment_by_hand_leaves_the_rest_on_the_fulfilment_order(floor):
    api = floor
    order = place(api, {"MUG": 3})
    line_id = order["lines"][0]["id"]
    r = api.post(f"/orders/{order['id']}/shipments", {"location": "NJ", "lines": {line_id: 1}, "carrier": "ups",
                                                      "tracking_number": UPS_VALID})
    assert r.status_code == 201, r.text
    [fo] = api.get(f"/orders/{order['id']}").json()["fulfilment_orders"]
    assert (fo["status"], fo["lines"][0]["quantity"]) == ("pending", 2)
    assert api.get("/audit").json()["ok"] is True


@pytest.mark.parametrize(("number", "carrier", "expected"), [
    ("1Z 999 AA1 0123 4567 84", None, {"valid": True, "carrier": "ups"}),
    (UPS_BAD_CHECK, None, {"valid": False, "carrier": None}),
    ("9400 1112 0108 0805 4830 16", None, {"valid": True, "carrier": "usps"}),
    ("3318810025", "dhl", {"valid": True, "carrier": "dhl"}),
    ("3318810025", "ups", {"valid": False, "carrier": None}),
])
def test_tracking_numbers_validate(api, number, carrier, expected):
    r = api.post("/tracking-numbers/validate", {"number": number, **({"carrier": carrier} if carrier else {})},
                 role="channel")
    assert r.status_code == 200 and r.json() == expected


def test_the_delivery_promise_names_a_date_and_how_long_to_order(floor):
    api = floor
    r = api.post("/delivery-promise", {"items": [{"sku": "MUG", "quantity": 1}],
                                       "destination": {"country": "US", "postal_code": "10118"}}, role="channel")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["available"] is True and body["location"] == "NJ"  # where the mug is
    assert body["message"].startswith("Order within ") and ", get it " in body["message"]
    assert body["delivery_date"] >= body["order_by"][:10]
    unknown = api.post("/delivery-promise", {"items": [{"sku": "NOPE", "quantity": 1}],
                                             "destination": {"country": "US", "postal_code": "10118"}})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_sku"
