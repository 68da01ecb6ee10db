"""Phone orders through the HTTP API: drafts allocate nothing until confirmed, price overrides
carry a reason onto the order's timeline, confirming is idempotent, past customers can be found.

World (tests/e2e/conftest.py): SKU-A 10 and SKU-B 5 at WH1, SKU-C none; catalog price 10.00 USD.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.e2e.conftest import order_body

DRAFTS = "/channels/phone/drafts"


@pytest.fixture
def phone(api):
    r = api.post("/channels", {"code": "phone", "name": "Phone orders", "type": "phone",
                               "backorder_policy": "reject"})
    assert r.status_code == 201, r.text
    return api


def draft_body(lines=None, **extra) -> dict:
    lines = lines if lines is not None else [{"sku": "SKU-A", "quantity": 2},
                                             {"sku": "SKU-B", "quantity": 1, "unit_price": "8.00",
                                              "price_reason": "loyal customer, promised by phone"}]
    return {"customer": {"name": "Grace Hopper", "email": "Grace@Example.com", "phone": "+1 555 0100"},
            "shipping_address": {"name": "Grace Hopper", "line1": "1 Navy Way", "city": "Arlington",
                                 "region": "VA", "postal_code": "22202", "country": "US"},
            "lines": lines, "shipping": "5.00", "notes": "call before delivery", **extra}


def stock_picture(api, container) -> tuple:
    """Everything an allocation or reservation would change."""
    levels = api.get("/inventory/levels", params={"limit": 200}).json()["items"]
    with container.reader() as uow:
        counts = [uow.session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                  for t in ("stock_ledger", "reservations", "allocations", "orders", "outbox")]
    return sorted((lv["sku_id"], lv["location_id"], lv["on_hand"], lv["allocated"], lv["reserved"])
                  for lv in levels), counts


def test_a_draft_is_priced_and_shows_stock_but_allocates_nothing(phone, container):
    before = stock_picture(phone, container)
    r = phone.post(DRAFTS, draft_body(), role="support")
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["order_id"] is None and draft["currency"] == "USD"
    assert draft["customer"]["email"] == "g***@***.com"  # support without `pii:read` sees it masked
    assert draft["shipping_address"]["line1"] == "***" and draft["shipping_address"]["country"] == "US"
    a, b = draft["lines"]
    assert (a["unit_price"], a["catalog_price"], a["price_overridden"], a["available"]) == ("10.00", "10.00", False, 10)
    assert (b["unit_price"], b["price_overridden"], b["override_reason"], b["available"]) == \
        ("8.00", True, "loyal customer, promised by phone", 5)
    assert draft["totals"] == {"subtotal": "28.00", "discount": "0.00", "tax": "0.00", "shipping": "5.00",
                               "total": "33.00"}
    assert stock_picture(phone, container) == before
    assert phone.get(f"{DRAFTS}/{draft['id']}", role="readonly").json() == draft
    assert phone.get(f"{DRAFTS}/{draft['id']}").json()["customer"]["email"] == "grace@example.com"  # admin
    listed = phone.get(DRAFTS, role="readonly").json()["items"]
    assert [d["customer"]["email"] for d in listed] == ["g***@***.com"]


def test_whole_flow_edit_confirm_allocates_and_timeline_names_the_override(phone, container):
    draft = phone.post(DRAFTS, draft_body(), role="support").json()
    edited = phone.patch(f"{DRAFTS}/{draft['id']}", {
        "customer": {"name": "Grace B. Hopper", "email": "grace@example.com", "phone": "+1 555 0100"},
        "lines": [{"sku": "SKU-A", "quantity": 3},
                  {"sku": "SKU-B", "quantity": 2, "unit_price": "7.50", "price_reason": "bulk price agreed"}]},
        role="support")
    assert edited.status_code == 200, edited.text
    assert [li["quantity"] for li in edited.json()["lines"]] == [3, 2]
    assert edited.json()["notes"] == "call before delivery"  # fields not sent are kept

    r = phone.post(f"{DRAFTS}/{draft['id']}/confirm", role="support")
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "allocated" and order["external_id"] == draft["id"]
    assert order["customer"]["name"] == "G*** B*** H***"  # support without `pii:read` sees it masked
    assert phone.get(f"/orders/{order['id']}").json()["customer"]["name"] == "Grace B. Hopper"
    assert [(li["sku"], li["quantity"], li["unit_price"], li["allocated"]) for li in order["lines"]] == \
        [("SKU-A", 3, "10.00", 3), ("SKU-B", 2, "7.50", 2)]
    assert order["totals"]["total"] == "50.00"
    levels = {lv["sku_id"]: lv["allocated"] for lv in phone.get("/inventory/levels").json()["items"]}
    assert sorted(levels.values(), reverse=True)[:2] == [3, 2]

    events = phone.get(f"/orders/{order['id']}/timeline").json()
    assert [e["type"] for e in events] == ["order.placed", "fulfilment.created", "draft.confirmed"]
    confirmed = events[2]["data"]
    assert confirmed["draft_id"] == draft["id"] and confirmed["taken_by"].startswith("key:")
    assert confirmed["price_overrides"] == [{"line_no": 2, "sku": "SKU-B", "unit_price": "7.50",
                                             "catalog_price": "10.00", "reason": "bulk price agreed"}]
    after = phone.get(f"{DRAFTS}/{draft['id']}").json()
    assert (after["status"], after["order_id"]) == ("confirmed", order["id"])
    # A confirmed draft is history: it can no longer change.
    for method, body in (("patch", {"notes": "too late"}), ("delete", None)):
        call = getattr(phone, method)
        r = call(f"{DRAFTS}/{draft['id']}", body) if body else call(f"{DRAFTS}/{draft['id']}")
        assert (r.status_code, r.json()["code"]) == (409, "illegal_transition")


def test_confirming_twice_returns_the_same_order(phone, container):
    draft = phone.post(DRAFTS, draft_body(), role="support").json()
    first = phone.post(f"{DRAFTS}/{draft['id']}/confirm", role="support")
    second = phone.post(f"{DRAFTS}/{draft['id']}/confirm", role="ops")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert len(phone.get("/orders").json()["items"]) == 1
    events = phone.get(f"/orders/{first.json()['id']}/timeline").json()
    assert [e["type"] for e in events].count("draft.confirmed") == 1
    level = phone.get("/inventory/levels", params={"sku": "SKU-A", "location": "WH1"}).json()["items"][0]
    assert level["allocated"] == 2


def test_confirm_with_idempotency_key_replays(phone):
    draft = phone.post(DRAFTS, draft_body(), role="support").json()
    path = f"{DRAFTS}/{draft['id']}/confirm"
    first = phone.post(path, headers={"Idempotency-Key": "confirm-1"})
    again = phone.post(path, headers={"Idempotency-Key": "confirm-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]


def test_create_with_idempotency_key_makes_one_draft(phone):
    headers = {"Idempotency-Key": "take-call-17"}
    first = phone.post(DRAFTS, draft_body(), headers=headers)
    again = phone.post(DRAFTS, draft_body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert len(phone.get(DRAFTS).json()["items"]) == 1
    other = phone.post(DRAFTS, draft_body(notes="different"), headers=headers)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


def test_price_override_without_reason_is_refused(phone):
    for reason in ("", "   "):
        r = phone.post(DRAFTS, draft_body([{"sku": "SKU-A", "quantity": 1},
                                           {"sku": "SKU-B", "quantity": 1, "unit_price": "1.00",
                                            "price_reason": reason}]))
        assert (r.status_code, r.json()["code"]) == (422, "validation_error")
        assert r.json()["line"] == 2 and r.json()["sku"] == "SKU-B"
        assert "price_reason" in r.json()["detail"]
    # The catalog price given explicitly is no override and needs no reason.
    ok = phone.post(DRAFTS, draft_body([{"sku": "SKU-A", "quantity": 1, "unit_price": "10.00"}]))
    assert ok.status_code == 201 and ok.json()["lines"][0]["price_overridden"] is False
    assert len(phone.get(DRAFTS).json()["items"]) == 1


def test_draft_is_validated_like_an_order(phone):
    r = phone.post(DRAFTS, draft_body([{"sku": "NOPE-1", "quantity": 1}, {"sku": "SKU-A", "quantity": 1}]))
    assert (r.status_code, r.json()["code"], r.json()["skus"]) == (422, "unknown_sku", ["NOPE-1"])
    r = phone.post(DRAFTS, draft_body([{"sku": "SKU-A", "quantity": 0}]))
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    r = phone.post(DRAFTS, draft_body([{"sku": "SKU-A", "quantity": 1}], discount="50.00"))
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    assert phone.get(DRAFTS).json()["items"] == []
    draft = phone.post(DRAFTS, draft_body([{"sku": "SKU-A", "quantity": 1}])).json()
    r = phone.patch(f"{DRAFTS}/{draft['id']}", {"lines": [{"sku": "NOPE-2", "quantity": 1}]})
    assert (r.status_code, r.json()["skus"]) == (422, ["NOPE-2"])
    assert phone.get(f"{DRAFTS}/{draft['id']}").json()["lines"][0]["sku"] == "SKU-A"


def test_insufficient_stock_keeps_the_draft(phone, container):
    draft = phone.post(DRAFTS, draft_body([{"sku": "SKU-A", "quantity": 1},
                                           {"sku": "SKU-C", "quantity": 2}])).json()
    assert [li["available"] for li in draft["lines"]] == [10, 0]
    before = stock_picture(phone, container)
    r = phone.post(f"{DRAFTS}/{draft['id']}/confirm")
    assert (r.status_code, r.json()["code"]) == (409, "insufficient_stock")
    assert [s["sku"] for s in r.json()["shortages"]] == ["SKU-C"]
    assert stock_picture(phone, container) == before
    assert phone.get(f"{DRAFTS}/{draft['id']}").json()["status"] == "draft"
    # Once stock arrives the same draft confirms.
    assert phone.post("/inventory/receipts", {"sku": "SKU-C", "location": "WH2", "quantity": 2}).status_code == 201
    r = phone.post(f"{DRAFTS}/{draft['id']}/confirm")
    assert r.status_code == 201 and r.json()["status"] == "allocated"


def test_discard(phone):
    keep = phone.post(DRAFTS, draft_body()).json()
    gone = phone.post(DRAFTS, draft_body(), role="support").json()
    r = phone.delete(f"{DRAFTS}/{gone['id']}", role="support")
    assert r.status_code == 200 and r.json()["status"] == "discarded"
    assert phone.delete(f"{DRAFTS}/{gone['id']}").json()["status"] == "discarded"
    r = phone.post(f"{DRAFTS}/{gone['id']}/confirm")
    assert (r.status_code, r.json()["code"]) == (409, "illegal_transition")
    assert phone.get("/orders").json()["items"] == []
    open_ids = [d["id"] for d in phone.get(DRAFTS, params={"status": "draft"}).json()["items"]]
    assert open_ids == [keep["id"]]
    discarded = phone.get(DRAFTS, params={"status": "discarded"}).json()["items"]
    assert [d["id"] for d in discarded] == [gone["id"]] and discarded[0]["lines"][0]["available"] is None


def test_list_pages_newest_first_per_channel(phone):
    made = [phone.post(DRAFTS, draft_body()).json()["id"] for _ in range(3)]
    phone.post("/channels/web/drafts", draft_body())
    first = phone.get(DRAFTS, params={"limit": 2}).json()
    second = phone.get(DRAFTS, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [d["id"] for d in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None
    assert phone.get(f"/channels/web/drafts/{made[0]}").status_code == 404  # wrong channel in the path


def test_customer_lookup_by_email_phone_and_name(phone):
    old = order_body({"SKU-A": 1}, customer={"name": "Ada Lovelace", "email": "ada@example.com",
                                             "phone": "+44 20 7946 0000"})
    newer = order_body({"SKU-B": 1}, customer={"name": "Ada Lovelace", "email": "ada@example.com",
                                               "phone": "+44 20 7946 0000"},
                       shipping_address={"name": "Ada", "line1": "12 St James's Sq", "city": "London",
                                         "postal_code": "SW1Y 4JH", "country": "GB"})
    other = order_body({"SKU-A": 1}, customer={"name": "Charles Babbage", "phone": "5550199"})
    for body in (old, newer, other):
        assert phone.post("/orders", body).status_code == 201
    # Staff with `pii:read` (admin here); support without it sees them masked (tests/e2e/test_privacy.py).
    by_email = phone.get("/channels/phone/customers", params={"q": "ADA@example.com"}).json()
    assert len(by_email) == 1
    ada = by_email[0]
    assert (ada["name"], ada["order_count"], ada["shipping_address"]["city"]) == ("Ada Lovelace", 2, "London")
    assert phone.get("/channels/phone/customers", params={"q": "+44 20 7946 0000"}).json() == by_email
    by_digits = phone.get("/channels/phone/customers", params={"q": "555 0199"}).json()
    assert [(c["name"], c["order_count"]) for c in by_digits] == [("Charles Babbage", 1)]
    by_name = phone.get("/channels/phone/customers", params={"q": "babb"}).json()
    assert [c["name"] for c in by_name] == ["Charles Babbage"]
    assert phone.get("/channels/phone/customers", params={"q": "nobody@example.com"}).json() == []
    r = phone.get("/channels/phone/customers", params={"q": "ab"})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")


def test_permissions(phone, container):
    body = draft_body([{"sku": "SKU-A", "quantity": 1}])
    r = phone.post(DRAFTS, body, role="readonly")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = phone.get("/channels/phone/customers", params={"q": "ada@example.com"}, role="readonly")
    assert r.status_code == 403
    # A channel key takes drafts for its own channel only, and finds only its own customers.
    r = phone.post(DRAFTS, body, role="channel")
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    own = phone.post("/channels/web/drafts", body, role="channel")
    assert own.status_code == 201, own.text
    staff = phone.post(DRAFTS, body).json()
    assert phone.get(f"{DRAFTS}/{staff['id']}", role="channel").status_code == 403
    assert phone.post(f"{DRAFTS}/{staff['id']}/confirm", role="channel").status_code == 403
    assert phone.get(f"{DRAFTS}/{staff['id']}").json()["status"] == "draft"
    phone.post("/orders", order_body({"SKU-A": 1}, channel="market", customer={"email": "m@example.com"}))
    assert phone.get("/channels/web/customers", params={"q": "m@example.com"}, role="channel").json() == []
    assert len(phone.get("/channels/phone/customers", params={"q": "m@example.com"}).json()) == 1
    confirmed = phone.post(f"/channels/web/drafts/{own.json()['id']}/confirm", role="channel")
    assert confirmed.status_code == 201
    assert phone.get("/channels/web/drafts", role="readonly").json()["items"][0]["status"] == "confirmed"
