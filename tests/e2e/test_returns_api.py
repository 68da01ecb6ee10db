"""Returns through the HTTP API: the customer's signed link (no key), staff approval, receiving and
grading with stock and quarantine, refusals as problem+json with stable codes, quarantine release."""

from __future__ import annotations

from tests.e2e.conftest import order_body


def _shipped_order(api, lines: dict[str, int]) -> dict:
    order = api.post("/orders", order_body(lines)).json()
    shipped = api.post(f"/orders/{order['id']}/shipments", {"location": "WH1", "carrier": "UPS",
                                                            "tracking_number": "1Z999AA10123456784"})
    assert shipped.status_code == 201, shipped.text
    api.post(f"/orders/{order['id']}/deliver", {})
    return order


def _level(api, sku: str) -> dict:
    return api.get("/inventory/levels", params={"sku": sku, "location": "WH1"}).json()["items"][0]


def test_a_customer_returns_through_the_signed_link_and_staff_grade_it(api):
    order = _shipped_order(api, {"SKU-A": 2})
    link = api.post(f"/orders/{order['id']}/return-link", {"days": 30}, role="support")
    assert link.status_code == 201, link.text
    page = api.client.get(link.json()["path"])  # no API key: the token is the proof
    assert page.status_code == 200, page.text
    assert page.json()["lines"][0]["returnable"] == 2

    asked = api.client.post(f"{link.json()['path']}/returns",
                            json={"items": [{"line": "1", "quantity": 2, "reason": "changed_mind"}]})
    assert asked.status_code == 201, asked.text
    ret = asked.json()
    assert (ret["status"], ret["source"]) == ("requested", "customer")

    assert api.post(f"/returns/{ret['id']}/approve", role="support").json()["status"] == "approved"
    assert api.post(f"/returns/{ret['id']}/receive", {"location": "WH1"}, role="support").status_code == 403
    received = api.post(f"/returns/{ret['id']}/receive", {"location": "WH1"}, role="ops")
    assert received.status_code == 200, received.text
    line_id = ret["lines"][0]["id"]
    graded = api.post(f"/returns/{ret['id']}/grade", {"grades": [
        {"line_id": line_id, "grade": "resellable", "quantity": 1},
        {"line_id": line_id, "grade": "damaged", "quantity": 1}]}, role="ops")
    assert graded.status_code == 200, graded.text
    body = graded.json()
    assert body["status"] == "resolved"
    assert body["money"]["refund_due"] == "20.00" and body["money"]["refund_status"] == "due"

    level = _level(api, "SKU-A")
    assert (level["on_hand"], level["quarantined"], level["available"]) == (9, 1, 9)
    assert api.get("/audit").json()["ok"] is True
    released = api.post("/inventory/quarantine", {"sku": "SKU-A", "location": "WH1", "quantity": 1,
                                                  "action": "release", "note": "repacked"})
    assert released.status_code == 200, released.text
    assert (released.json()["on_hand"], released.json()["quarantined"]) == (10, 0)
    assert api.get("/audit").json()["ok"] is True
    types = [e["type"] for e in api.get(f"/orders/{order['id']}/timeline").json()]
    assert "return.requested" in types and types[-1] == "return.resolved"


def test_refusals_are_problems_with_stable_codes(api):
    order = api.post("/orders", order_body({"SKU-A": 1})).json()
    refused = api.post(f"/orders/{order['id']}/returns", {"items": [{"line": "1", "quantity": 1,
                                                                     "reason": "changed_mind"}]})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "return_not_allowed"
    assert refused.json()["problems"][0]["code"] == "not_shipped"

    bad_reason = api.post(f"/orders/{order['id']}/returns", {"items": [{"line": "1", "quantity": 1,
                                                                        "reason": "bored"}]})
    assert bad_reason.status_code == 422 and bad_reason.json()["code"] == "validation_error"

    forged = api.client.get("/api/v1/return-links/b3JkX3g.9999999999.forged")
    assert forged.status_code == 401 and forged.json()["code"] == "invalid_signature"


def test_quarantine_cannot_release_more_than_it_holds(api):
    r = api.post("/inventory/quarantine", {"sku": "SKU-A", "location": "WH1", "quantity": 1, "action": "scrap"})
    assert r.status_code in (404, 409, 422) and r.headers["content-type"].startswith("application/problem+json")
