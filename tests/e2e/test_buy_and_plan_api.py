"""Buy and plan through the HTTP API: supplier → replenishment → suggested PO (JSON and CSV) → PO
created and sent → PDF → partial receipt allocates the backorder → rest received → closed; reports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from conveyor.shared.clock import utcnow
from tests.e2e.conftest import order_body


def _setup(api) -> None:
    assert api.post("/suppliers", {"code": "ACME", "name": "Acme", "email": "orders@acme.example",
                                   "lead_time_days": 4, "payment_terms": "net 30"}).status_code == 201
    r = api.put("/suppliers/ACME/items/SKU-C", {"unit_cost": "2.50", "pack_size": 6, "supplier_sku": "AC-C"})
    assert r.status_code == 200 and r.json()["unit_cost"] == "2.50"
    r = api.put("/replenishment/settings", {"sku": "SKU-C", "location": "WH1", "method": "min_max",
                                            "minimum": 2, "maximum": 10})
    assert r.status_code == 200, r.text


def test_from_suggestion_to_closed_po_over_http(api):
    _setup(api)
    waiting = api.post("/orders", order_body({"SKU-C": 4}, channel="market"), role="channel_market").json()
    assert waiting["status"] == "backordered"

    suggested = api.get("/replenishment/suggestions").json()
    (order,) = suggested["orders"]
    assert (order["supplier"], order["location"], order["total"]) == ("ACME", "WH1", "45.00")
    assert [(li["sku"], li["needed"], li["quantity"]) for li in order["lines"]] == [("SKU-C", 14, 18)]
    as_csv = api.get("/replenishment/suggestions", params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["sku"], r["quantity"], r["line_total"]) for r in rows] == [("SKU-C", "18", "45.00")]

    created = api.post("/replenishment/run", {"send": True}).json()["created"]
    assert [(po["status"], po["total"]) for po in created] == [("sent", "45.00")]
    po_id = created[0]["id"]
    pdf = api.get(f"/purchase-orders/{po_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    partial = api.post(f"/purchase-orders/{po_id}/receipts", {"lines": [{"sku": "SKU-C", "quantity": 4}]})
    assert partial.status_code == 201, partial.text
    assert partial.json()["allocated_orders"] == [{"order_id": waiting["id"], "units": 4}]
    assert api.get(f"/orders/{waiting['id']}").json()["status"] == "allocated"
    assert api.get(f"/purchase-orders/{po_id}").json()["status"] == "partially_received"

    over = api.post(f"/purchase-orders/{po_id}/receipts", {"lines": [{"sku": "SKU-C", "quantity": 15}]})
    assert over.status_code == 409 and over.json()["code"] == "over_receipt"
    rest = api.post(f"/purchase-orders/{po_id}/receipts", {"lines": [{"sku": "SKU-C", "quantity": 14}]})
    assert rest.status_code == 201
    closed = api.get(f"/purchase-orders/{po_id}").json()
    assert closed["status"] == "closed" and closed["lines"][0]["received"] == 18
    assert api.get("/audit").json() == {"ok": True, "violations": []}


def test_creating_a_po_is_idempotent_and_validated(api):
    _setup(api)
    body = {"supplier": "ACME", "location": "WH1", "lines": [{"sku": "SKU-C", "quantity": 12}]}
    first = api.post("/purchase-orders", body, headers={"Idempotency-Key": "po-1"})
    again = api.post("/purchase-orders", body, headers={"Idempotency-Key": "po-1"})
    assert first.status_code == 201 and again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert first.json()["status"] == "draft" and first.json()["total"] == "30.00"
    assert len(api.get("/purchase-orders").json()["items"]) == 1
    unknown = api.post("/purchase-orders", {**body, "supplier": "NOPE"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_supplier"
    bad_cost = api.post("/purchase-orders", {**body, "lines": [{"sku": "SKU-C", "quantity": 1, "unit_cost": "1.005"}]})
    assert bad_cost.status_code == 422


def test_reports_answer_in_json_and_csv(api):
    api.post("/orders", order_body({"SKU-A": 2}))
    today = utcnow().date()
    params = {"start": str(today - timedelta(days=1)), "end": str(today + timedelta(days=1)), "by": "channel"}
    sales = api.get("/reports/sales", params=params).json()
    assert [(i["channel"], i["orders"], i["revenue"]) for i in sales["items"]] == [("web", 1, "20.00")]
    as_csv = api.get("/reports/sales", params={**params, "format": "csv"}).text.splitlines()
    assert as_csv[0] == "period,channel,orders,units,revenue,average_order_value,currency"
    assert as_csv[1].endswith(",web,1,0,20.00,20.00,USD")
    for path in ("/reports/fulfilment", "/reports/inventory", "/reports/returns"):
        assert api.get(path, params={"start": params["start"], "end": params["end"]}).status_code == 200, path
    assert api.get("/reports/sales", params={**params, "end": params["start"]}).status_code == 422
    assert api.get("/reports/sales", params=params, role="channel").status_code == 403
