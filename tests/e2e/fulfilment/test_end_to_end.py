"""Issue 10, "what it must show" 1 and 2: an order split across two locations goes all the way to
the customer's door through the API — two fulfilment orders, pick lists, packing with scans (one
wrong scan refused), labels, shipped, tracking events, delivered — with every step on the
timeline, the ledger balanced and the audit clean; the PDFs are read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conveyor.shipping.tracking_numbers import validate
from tests.e2e.fulfilment.conftest import MUG_GTIN, fulfilment_orders, pdf_text, place


def _level(api, sku: str, location: str) -> dict:
    return api.get("/inventory/levels", params={"sku": sku, "location": location}).json()["items"][0]


def _pick(api, location: str, expected_bin: str, sku: str) -> None:
    created = api.post("/pick-lists", {"location": location})
    assert created.status_code == 201, created.text
    [pick_list] = created.json()["items"]
    assert [(s["bin"], s["sku"], s["quantity"]) for s in pick_list["stops"]] == [(expected_bin, sku, 2 if sku == "MUG"
                                                                                 else 1)]
    pdf = api.get(f"/pick-lists/{pick_list['id']}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert expected_bin in text and sku in text
    confirmed = api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": None})
    assert confirmed.status_code == 200 and confirmed.json()["short"] == []


def _pack(api, fo: dict, scans: list[str]) -> None:
    for code in scans:
        r = api.post(f"/fulfilment-orders/{fo['id']}/scan", {"code": code})
        assert r.status_code == 200, r.text
    closed = api.post(f"/fulfilment-orders/{fo['id']}/packages", {"weight_grams": 900, "box": "M"})
    assert closed.status_code == 201, closed.text
    assert api.get(f"/fulfilment-orders/{fo['id']}").json()["status"] == "packed"


def _label(api, fo: dict) -> dict:
    options = api.get(f"/fulfilment-orders/{fo['id']}/rates").json()["items"]
    assert options and [o["price"] for o in options] == sorted((o["price"] for o in options), key=float)
    bought = api.post(f"/fulfilment-orders/{fo['id']}/labels", {})
    assert bought.status_code == 201, bought.text
    [label] = bought.json()["items"]
    assert (label["carrier"], label["service"]) == (options[0]["carrier"], options[0]["service"])
    assert validate(label["tracking_number"], label["carrier"]).valid
    return label


def test_split_order_from_two_locations_to_the_door(floor, container):
    api = floor
    order = place(api, {"MUG": 2, "CAP": 1}, tags=["lang:de"])
    fos = fulfilment_orders(api, order["id"])
    assert sorted(fos) == ["CA", "NJ"] and {fo["status"] for fo in fos.values()} == {"pending"}
    assert [(li["sku"], li["quantity"]) for li in fos["NJ"]["lines"]] == [("MUG", 2)]

    for fo in fos.values():
        assert api.post(f"/fulfilment-orders/{fo['id']}/release").json()["status"] == "released"
    _pick(api, "NJ", "A-01-1-A", "MUG")
    _pick(api, "CA", "B-02-1-A", "CAP")

    wrong = api.post(f"/fulfilment-orders/{fos['NJ']['id']}/scan", {"code": "CAP"})
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "scan_refused" and wrong.json()["outcome"] == "not_in_order"
    assert wrong.json()["detail"] == "Wrong item: CAP is not in this order."
    _pack(api, fos["NJ"], ["MUG", f"{MUG_GTIN}\n"])  # the SKU code, then the EAN as a scanner types it
    _pack(api, fos["CA"], ["cap"])

    labels = {code: _label(api, fo) for code, fo in fos.items()}
    label_pdf = api.get(f"/labels/{labels['NJ']['id']}/pdf")
    text = pdf_text(label_pdf.content)
    assert labels["NJ"]["tracking_number"] in text
    assert "350 5th Ave" in text and "Newark" in text and order["id"] in text
    zpl = api.get(f"/labels/{labels['NJ']['id']}/zpl").text
    assert zpl.startswith("^XA") and labels["NJ"]["tracking_number"] in zpl

    slip = pdf_text(api.get(f"/fulfilment-orders/{fos['NJ']['id']}/packing-slip").content)
    assert "Lieferschein" in slip and "MUG" in slip and "350 5th Ave" in slip  # German: the order's lang tag

    mug_before = _level(api, "MUG", "NJ")
    for fo in fos.values():
        shipped = api.post(f"/fulfilment-orders/{fo['id']}/ship")
        assert shipped.status_code == 200, shipped.text
        assert shipped.json()["status"] == "shipped"
    after = api.get(f"/orders/{order['id']}").json()
    assert after["status"] == "fulfilled" and len(after["shipments"]) == 2
    assert {s["tracking_number"] for s in after["shipments"]} == {lb["tracking_number"] for lb in labels.values()}
    mug_after = _level(api, "MUG", "NJ")
    assert (mug_after["on_hand"], mug_after["allocated"]) == (mug_before["on_hand"] - 2, mug_before["allocated"] - 2)

    now = datetime.now(UTC)
    out = api.post("/tracking/events", {"events": [
        {"tracking_number": labels["NJ"]["tracking_number"], "status": "in_transit",
         "occurred_at": (now - timedelta(hours=5)).isoformat(), "city": "Newark"},
        {"tracking_number": labels["NJ"]["tracking_number"], "status": "Delivered",
         "occurred_at": (now - timedelta(hours=1)).isoformat(), "city": "New York"}]})
    assert out.status_code == 200 and out.json()["delivered"] == [fos["NJ"]["id"]]
    assert api.get(f"/orders/{order['id']}").json()["status"] == "fulfilled"  # one parcel still on its way
    csv_body = ("tracking_number,status,occurred_at,city\n"
                f"{labels['CA']['tracking_number']},Out for delivery,{(now - timedelta(hours=3)).isoformat()},NYC\n"
                f"{labels['CA']['tracking_number']},Delivered,{(now - timedelta(minutes=5)).isoformat()},NYC\n")
    imported = api.post("/tracking/events/csv", content=csv_body, headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200 and imported.json()["delivered"] == [fos["CA"]["id"]], imported.text

    final = api.get(f"/orders/{order['id']}").json()
    assert final["status"] == "delivered"
    assert {fo["status"] for fo in final["fulfilment_orders"]} == {"delivered"}
    types = [e["type"] for e in api.get(f"/orders/{order['id']}/timeline").json()]
    for step, times in {"order.placed": 1, "fulfilment.created": 2, "fulfilment.released": 2, "fulfilment.picking": 2,
                        "fulfilment.packed": 2, "label.purchased": 2, "order.shipped": 2, "fulfilment.shipped": 2,
                        "tracking.updated": 2, "fulfilment.delivered": 2, "order.delivered": 2}.items():
        assert types.count(step) == times, (step, types)
    assert types.index("fulfilment.packed") < types.index("label.purchased") < types.index("order.shipped")
    assert api.get("/audit").json() == {"ok": True, "violations": []}


def test_the_manifest_lists_the_days_parcels_per_carrier(floor):
    api = floor
    order = place(api, {"MUG": 1})
    fo = fulfilment_orders(api, order["id"])["NJ"]
    api.post(f"/fulfilment-orders/{fo['id']}/release")
    api.post(f"/fulfilment-orders/{fo['id']}/scan", {"code": "MUG"})
    api.post(f"/fulfilment-orders/{fo['id']}/packages", {"weight_grams": 500, "length_mm": 200, "width_mm": 150,
                                                         "height_mm": 120})
    label = api.post(f"/fulfilment-orders/{fo['id']}/labels", {"carrier": "ups", "service": "ground"}).json()
    assert label["items"][0]["carrier"] == "ups", label
    assert api.post(f"/fulfilment-orders/{fo['id']}/ship").status_code == 200
    number = label["items"][0]["tracking_number"]
    listed = api.get("/manifests", params={"location": "NJ"}).json()["items"]
    assert [(m["carrier"], m["packages"], m["tracking_numbers"]) for m in listed] == [("ups", 1, [number])]
    csv_text = api.get("/manifests", params={"location": "NJ", "carrier": "ups", "format": "csv"}).text
    assert number in csv_text and "New York" in csv_text
    pdf = api.get("/manifests", params={"location": "NJ", "carrier": "ups", "format": "pdf"})
    assert number in pdf_text(pdf.content)


def test_the_packing_slip_speaks_the_customers_stored_language(floor):
    api = floor
    french = place(api, {"MUG": 1}, locale="fr-FR")  # what its e-mails are written in
    fo = fulfilment_orders(api, french["id"])["NJ"]
    assert "Bon de livraison" in pdf_text(api.get(f"/fulfilment-orders/{fo['id']}/packing-slip").content)
    asked = api.get(f"/fulfilment-orders/{fo['id']}/packing-slip", params={"language": "es"})
    assert "Albarán" in pdf_text(asked.content)  # asked for beats stored
