"""Bad input is refused with a problem+json `code` a client can act on — and nothing is written.

Every refusal is checked against a snapshot of the database taken before the request: row counts
of orders, lines, ledger, events, outbox and idempotency keys, and every stock level."""

from __future__ import annotations

import copy
import json

from sqlalchemy import text

from tests.e2e.conftest import order_body

PROBLEM = "application/problem+json"


def snapshot(container) -> dict:
    with container.reader() as uow:
        s = uow.session
        counts = {t: s.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                  for t in ("orders", "order_lines", "allocations", "order_events", "outbox", "stock_ledger",
                            "idempotency_keys", "products", "skus", "locations", "reservations")}
        levels = s.execute(text(
            "SELECT sku_id, location_id, on_hand, allocated, reserved, incoming, safety_stock "
            "FROM stock_levels ORDER BY sku_id, location_id")).all()
    return {"counts": counts, "levels": [tuple(r) for r in levels]}


def assert_problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status and body["detail"]
    return body


def with_line(**line) -> dict:
    body = order_body()
    body["lines"] = [{"sku": "SKU-A", "quantity": 1, "unit_price": "10.00", **line}]
    return body


def test_malformed_json_is_400_and_writes_nothing(api, container):
    before = snapshot(container)
    for raw in (b'{"currency": "USD", "lines": [', b"{'single': 'quotes'}", b"not json at all",
                json.dumps(order_body()).encode()[:-1]):
        r = api.client.post("/api/v1/orders", content=raw,
                            headers=api.headers("admin", **{"content-type": "application/json"}))
        assert_problem(r, 400, "malformed_json")
    assert snapshot(container) == before


INVALID_ORDERS = {
    "wrong type for currency": lambda b: {**b, "currency": 840},
    "lines is not a list": lambda b: {**b, "lines": {"sku": "SKU-A", "quantity": 1}},
    "no lines": lambda b: {**b, "lines": []},
    "customer is a string": lambda b: {**b, "customer": "Ada"},
    "bad e-mail": lambda b: {**b, "customer": {"name": "Ada", "email": "not-an-email"}},
    "zero quantity": lambda b: with_line(quantity=0),
    "negative quantity": lambda b: with_line(quantity=-2),
    "float quantity": lambda b: with_line(quantity=1.5),
    "quantity as string": lambda b: with_line(quantity="2"),
    "quantity as bool": lambda b: with_line(quantity=True),
    "price as JSON number": lambda b: with_line(unit_price=10.0),
    "price as JSON integer": lambda b: with_line(unit_price=10),
    "shipping as JSON number": lambda b: {**b, "shipping": 4.99},
    "discount as JSON number": lambda b: {**b, "discount": 1},
    "negative price": lambda b: with_line(unit_price="-1.00"),
    "price with exponent": lambda b: with_line(unit_price="1e3"),
    "unknown top-level field": lambda b: {**b, "priority": "high"},
    "unknown line field": lambda b: with_line(colour="red"),
    "unknown address field": lambda b: {**b, "shipping_address": {**b["shipping_address"], "planet": "Mars"}},
    "lower-case currency": lambda b: {**b, "currency": "usd"},
    "array instead of object": lambda b: [b],
}


def test_invalid_orders_are_422_validation_error_and_write_nothing(api, container):
    before = snapshot(container)
    wrong = {}
    for case, build in INVALID_ORDERS.items():
        r = api.post("/orders", build(copy.deepcopy(order_body())))
        ok = (r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
              and r.json().get("code") == "validation_error" and r.json().get("errors"))
        if not ok:
            wrong[case] = (r.status_code, r.text[:200])
    assert not wrong
    assert snapshot(container) == before


def test_an_integer_may_be_written_with_a_zero_fraction(api):
    """JSON Schema (the OpenAPI document) calls 2.0 an integer, so the API takes it as 2."""
    r = api.post("/orders", with_line(quantity=2.0))
    assert r.status_code == 201, r.text
    assert r.json()["lines"][0]["quantity"] == 2


def test_customer_email_is_normalised_and_test_domains_are_taken(api, container):
    """`.test` is reserved for testing (RFC 2606) and the schema's `format: email` allows it, so it
    is taken (merchants try the system with such addresses). A domain
    that can never receive mail is refused with the field named, and nothing is written."""
    body = order_body()
    body["customer"] = {"name": "Ada", "email": "Ada.Lovelace@Shop.TEST"}
    r = api.post("/orders", body)
    assert r.status_code == 201, r.text
    assert r.json()["customer"]["email"] == "ada.lovelace@shop.test"  # stored lower-cased
    before = snapshot(container)
    body["customer"]["email"] = "ada@printer.local"
    problem = assert_problem(api.post("/orders", body), 422, "validation_error")
    assert problem["errors"][0]["loc"][-1] == "email" and "special-use" in problem["errors"][0]["msg"]
    assert snapshot(container) == before


def test_unknown_sku_is_422_naming_the_sku(api, container):
    before = snapshot(container)
    r = api.post("/orders", order_body({"SKU-A": 1, "NOPE-404": 2, "SKU-B": 1}))
    problem = assert_problem(r, 422, "unknown_sku")
    assert problem["skus"] == ["NOPE-404"]
    assert "NOPE-404" in problem["detail"]
    # SKU-A and SKU-B would have fitted: nothing of the order may have been allocated.
    assert snapshot(container) == before


def test_unknown_currency_is_422(api, container):
    before = snapshot(container)
    problem = assert_problem(api.post("/orders", order_body(currency="XYZ")), 422, "unknown_currency")
    assert problem["currency"] == "XYZ"
    assert snapshot(container) == before


def test_more_decimals_than_the_currency_has_is_422(api, container):
    before = snapshot(container)
    for currency, amount in [("JPY", "1.5"), ("USD", "10.001"), ("BHD", "1.0005")]:
        problem = assert_problem(api.post("/orders", {**with_line(unit_price=amount), "currency": currency}),
                                 422, "validation_error")
        assert currency in problem["detail"]
    jpy_shipping = {**order_body(currency="JPY"), "shipping": "0.5"}
    assert_problem(api.post("/orders", jpy_shipping), 422, "validation_error")
    assert snapshot(container) == before


def test_amounts_within_the_currency_exponent_are_accepted(api):
    """The counterpart of the refusals above: JPY whole numbers and BHD's three decimals work."""
    jpy = api.post("/orders", {**with_line(unit_price="1500"), "currency": "JPY"})
    assert jpy.status_code == 201, jpy.text
    assert jpy.json()["totals"]["total"] == "1500"
    bhd = api.post("/orders", {**with_line(unit_price="1.250"), "currency": "BHD"})
    assert bhd.status_code == 201, bhd.text
    assert bhd.json()["totals"]["total"] == "1.250"


def test_unknown_channel_and_missing_channel_are_refused(api, container):
    before = snapshot(container)
    assert_problem(api.post("/orders", order_body(channel="no-such-channel")), 422, "unknown_channel")
    assert_problem(api.post("/orders", order_body(channel=None)), 422, "validation_error")
    assert snapshot(container) == before


def test_insufficient_stock_across_lines_writes_nothing(api, container):
    before = snapshot(container)
    r = api.post("/orders", order_body({"SKU-A": 1, "SKU-B": 6}))
    problem = assert_problem(r, 409, "insufficient_stock")
    assert [s["sku"] for s in problem["shortages"]] == ["SKU-B"]
    assert snapshot(container) == before


def _big_body() -> bytes:
    return json.dumps({**order_body(), "notes": "x" * 1_100_000}).encode()


def test_oversized_payload_with_content_length_is_413(api, container):
    before = snapshot(container)
    r = api.client.post("/api/v1/orders", content=_big_body(),
                        headers=api.headers("admin", **{"content-type": "application/json"}))
    assert_problem(r, 413, "payload_too_large")
    assert snapshot(container) == before


def test_oversized_chunked_payload_is_413(api, container):
    before = snapshot(container)
    body = _big_body()

    def chunks():
        for i in range(0, len(body), 64 * 1024):
            yield body[i:i + 64 * 1024]

    r = api.client.post("/api/v1/orders", content=chunks(),
                        headers=api.headers("admin", **{"content-type": "application/json"}))
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_problem(r, 413, "payload_too_large")
    assert snapshot(container) == before


def test_oversized_payload_with_lying_content_length_is_413(api, container):
    before = snapshot(container)
    r = api.client.post("/api/v1/orders", content=_big_body(),
                        headers=api.headers("admin", **{"content-type": "application/json",
                                                        "content-length": "100"}))
    assert_problem(r, 413, "payload_too_large")
    assert snapshot(container) == before


def test_body_just_under_the_limit_is_accepted(api):
    body = order_body()
    body["notes"] = "x" * 4000
    r = api.client.post("/api/v1/orders", content=json.dumps(body).encode(),
                        headers=api.headers("admin", **{"content-type": "application/json"}))
    assert r.status_code == 201, r.text


def test_invalid_stock_movements_write_nothing(api, container):
    before = snapshot(container)
    cases = [
        ("/inventory/adjustments", {"sku": "SKU-A", "location": "WH1", "delta": 1.5, "reason": "found"}, 422,
         "validation_error"),
        ("/inventory/adjustments", {"sku": "SKU-A", "location": "WH1", "delta": 1, "reason": "because"}, 422,
         "validation_error"),
        ("/inventory/receipts", {"sku": "SKU-A", "location": "WH1", "quantity": 0}, 422, "validation_error"),
        ("/inventory/receipts", {"sku": "SKU-A", "location": "WH1", "quantity": "5"}, 422,
         "validation_error"),
        ("/inventory/receipts", {"sku": "NOPE", "location": "WH1", "quantity": 5}, 422, "unknown_sku"),
        ("/inventory/receipts", {"sku": "SKU-A", "location": "NOWHERE", "quantity": 5}, 422,
         "unknown_location"),
        ("/inventory/transfers", {"sku": "SKU-A", "source": "WH1", "destination": "WH2", "quantity": -1}, 422,
         "validation_error"),
        ("/inventory/counts", {"location": "WH1", "counts": {"SKU-A": -1}}, 422, "validation_error"),
        ("/inventory/counts", {"location": "WH1", "counts": {}}, 422, "validation_error"),
    ]
    for path, body, status, code in cases:
        assert_problem(api.post(path, body), status, code)
    assert snapshot(container) == before


def test_unknown_route_is_404_problem(api):
    for path in ("/api/v1/nothing-here", "/api/v2/orders", "/nothing"):
        assert_problem(api.client.get(path, headers=api.headers("admin")), 404, "not_found")


def test_unknown_order_is_404_problem(api):
    problem = assert_problem(api.get("/orders/ord_doesnotexist"), 404, "not_found")
    assert "ord_doesnotexist" in problem["detail"]


def test_wrong_method_is_405_problem(api, container):
    before = snapshot(container)
    for method, path in [("DELETE", "/api/v1/orders"), ("PUT", "/api/v1/orders"),
                         ("PATCH", "/api/v1/inventory/levels"), ("GET", "/api/v1/inventory/receipts"),
                         ("DELETE", "/api/v1/products")]:
        r = api.client.request(method, path, headers=api.headers("admin"))
        assert_problem(r, 405, "method_not_allowed")
    assert snapshot(container) == before


def test_wrong_method_names_the_allowed_methods(api):
    r = api.client.delete("/api/v1/orders", headers=api.headers("admin"))
    assert r.status_code == 405
    assert set(r.headers.get("allow", "").replace(" ", "").split(",")) == {"GET", "POST"}


def test_bad_query_parameters_are_422(api):
    for params in ({"limit": 0}, {"limit": "many"}, {"created_from": "yesterday"}, {"q": "x" * 201}):
        assert_problem(api.get("/orders", params=params), 422, "validation_error")


def test_idempotency_key_too_long_is_422(api, container):
    before = snapshot(container)
    r = api.post("/orders", order_body(), headers={"Idempotency-Key": "k" * 256})
    assert_problem(r, 422, "validation_error")
    assert snapshot(container) == before


def test_a_csv_body_the_csv_module_cannot_read_is_422_and_writes_nothing(api, container):
    """A field over the csv module's 128 kB limit was a 500 on every CSV upload; a carriage return
    inside a line was one on the tracking import (the others read lines as the csv module wants)."""
    before = snapshot(container)
    huge = "x" * 200_000
    cases = {
        "/channels/web/sku-map/import": f"channel_sku,sku\n{huge},SKU-A\n",
        "/tracking/events/csv": f"tracking_number,status,occurred_at\n{huge},delivered,2026-11-30T10:00:00Z\n",
    }
    for path, body in cases.items():
        r = api.post(path, content=body.encode(), headers={"content-type": "text/csv"})
        assert "not readable as CSV" in assert_problem(r, 422, "validation_error")["detail"], path
    r = api.post("/tracking/events/csv", content=b"tracking_number,status\rx,occurred_at\n",
                 headers={"content-type": "text/csv"})
    assert_problem(r, 422, "validation_error")  # the CR ends the header row: a column is missing
    assert snapshot(container) == before
