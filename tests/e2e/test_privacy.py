"""Customers' personal data: masked for roles without `pii:read`, every unmasked read logged,
exported on request, and erased everywhere while the financial record stays."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from structlog.testing import capture_logs

from conveyor.audit import run_audit
from conveyor.auth.handlers import create_key
from tests.e2e.conftest import order_body

ADA = "ada@example.com"
# What identifies Ada in order_body(); none of it may survive an erasure anywhere in the database.
ADA_TRACES = ["ada@example.com", "Lovelace", "1 Main St", "+1 212 555 0199"]


def _ada_body(**extra) -> dict:
    body = order_body({"SKU-A": 1}, **extra)
    body["customer"]["phone"] = "+1 212 555 0199"
    body["billing_address"] = dict(body["shipping_address"], line2="Apt 4")
    return body


def _ada_order(api, role: str = "admin", headers: dict | None = None, **extra) -> dict:
    r = api.post("/orders", _ada_body(**extra), role=role, headers=headers or {})
    assert r.status_code == 201, r.text
    return r.json()


def _bob_order(api) -> dict:
    body = order_body({"SKU-A": 1})
    body["customer"] = {"name": "Bob Builder", "email": "bob@example.com"}
    body["shipping_address"] = dict(body["shipping_address"], line1="9 Other Rd")
    r = api.post("/orders", body)
    assert r.status_code == 201, r.text
    return r.json()


# --- masking by role ---------------------------------------------------------------------------


def test_support_sees_masked_contact_details_and_addresses(api):
    order = _ada_order(api)
    detail = api.get(f"/orders/{order['id']}", role="support").json()
    assert detail["customer"] == {"name": "A*** L***", "email": "a***@***.com", "phone": "***99"}
    shipping = detail["shipping_address"]
    assert shipping["line1"] == shipping["city"] == shipping["postal_code"] == "***"
    assert (shipping["country"], shipping["region"]) == ("US", "NY")  # enough to answer "where is it"
    assert detail["billing_address"]["line2"] == "***"
    assert detail["totals"] == order["totals"] and detail["lines"] == order["lines"]  # the rest is whole

    listed = api.get("/orders", role="support").json()["items"]
    assert [o["customer"]["email"] for o in listed] == ["a***@***.com"]
    assert ADA not in api.get("/orders", role="readonly").text
    assert "1 Main St" not in api.get(f"/orders/{order['id']}", role="readonly").text


def test_support_sees_notes_with_the_contact_details_in_them_masked(api):
    order = _ada_order(api, notes="Ring +1 212 555 0199 at the gate (code 4521)")
    note = "Customer asked by mail from ada@example.com to ship after 2026-12-24"
    assert api.post(f"/orders/{order['id']}/notes", {"text": note}).status_code == 200
    assert api.get(f"/orders/{order['id']}", role="support").json()["notes"] == "Ring ***99 at the gate (code 4521)"
    timeline = api.get(f"/orders/{order['id']}/timeline", role="support").json()
    assert [e["data"]["text"] for e in timeline if e["type"] == "note.added"] == [
        "Customer asked by mail from a***@***.com to ship after 2026-12-24"]
    assert api.get(f"/orders/{order['id']}").json()["notes"] == "Ring +1 212 555 0199 at the gate (code 4521)"
    assert note in api.get(f"/orders/{order['id']}/timeline").text  # staff with pii:read: as written


def test_staff_with_pii_read_and_the_channel_that_sent_it_see_everything(api, container):
    order = _ada_order(api, channel=None, role="channel")
    _, granted = create_key(container, "support", "senior support", grants=["pii:read"])
    for headers in (api.headers("admin"), api.headers("ops"), api.headers("channel"),
                    {"Authorization": f"Bearer {granted}"}):
        shown = api.client.get(f"/api/v1/orders/{order['id']}", headers=headers).json()
        assert shown["customer"]["email"] == ADA
        assert shown["shipping_address"]["line1"] == "1 Main St"


def test_a_key_can_only_be_granted_pii_read(api):
    r = api.post("/api-keys", {"role": "support", "grants": ["orders:fulfil"]})
    assert r.status_code == 422
    created = api.post("/api-keys", {"role": "support", "grants": ["pii:read"]})
    assert created.status_code == 201 and created.json()["grants"] == ["pii:read"]


def test_support_answers_of_writes_and_customer_lookup_are_masked(api):
    order = _ada_order(api)
    held = api.post(f"/orders/{order['id']}/hold", {"reason": "address check"}, role="support")
    assert held.status_code == 200 and held.json()["customer"]["email"] == "a***@***.com"
    created = api.post("/orders", order_body({"SKU-A": 1}), role="support").json()
    assert created["customer"]["email"] == "a***@***.com"

    found = api.get("/channels/web/customers", role="support", params={"q": ADA})
    assert found.status_code == 200
    assert [c["email"] for c in found.json()] == ["a***@***.com"]
    assert found.json()[0]["shipping_address"]["line1"] == "***"
    assert api.get("/channels/web/customers", role="admin", params={"q": ADA}).json()[0]["email"] == ADA


def test_unmasked_reads_are_logged_with_who_and_which_orders(api):
    order = _ada_order(api)
    with capture_logs() as logs:
        api.get(f"/orders/{order['id']}")
        api.get("/orders")
        api.get(f"/orders/{order['id']}", role="support")  # masked: nothing personal was read
    reads = [e for e in logs if e["event"] == "pii.read"]
    admin_key = api.tokens["admin"].split("_", 3)
    assert [(e["actor"], e["role"], e["what"], e["order_ids"]) for e in reads] == [
        (f"key:{admin_key[1]}_{admin_key[2]}", "admin", "order", [order["id"]]),
        (f"key:{admin_key[1]}_{admin_key[2]}", "admin", "order list", [order["id"]]),
    ]
    assert all(ADA not in json.dumps(e) for e in reads)  # the access log holds no personal data


# --- export and erasure --------------------------------------------------------------------------


def test_export_holds_everything_about_the_person_and_nobody_else(api):
    first, second = _ada_order(api), _ada_order(api)
    _bob_order(api)
    with capture_logs() as logs:
        r = api.post("/customers/export", {"email": "ADA@example.com"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert sorted(o["id"] for o in doc["orders"]) == sorted([first["id"], second["id"]])
    assert doc["orders"][0]["shipping_address"]["line1"] == "1 Main St"
    assert doc["orders"][0]["timeline"][0]["type"] == "order.placed"
    assert "bob@example.com" not in r.text
    assert any(e["event"] == "pii.read" and e["what"] == "export" for e in logs)
    by_phone = api.post("/customers/export", {"phone": "+1 212 555 0199"}).json()
    assert len(by_phone["orders"]) == 2
    assert api.post("/customers/export", {}).status_code == 422
    assert api.post("/customers/export", {"email": ADA}, role="support").status_code == 403


def test_erasure_waits_for_open_orders(api):
    order = _ada_order(api)
    r = api.post("/customers/erase", {"email": ADA, "reason": "ticket 42"})
    assert r.status_code == 409 and r.json()["order_ids"] == [order["id"]]
    assert api.get(f"/orders/{order['id']}").json()["customer"]["email"] == ADA  # nothing changed


def _ledger(container) -> list[tuple]:
    with container.reader() as uow:
        return [tuple(r) for r in uow.session.execute(text(
            "SELECT sku_id, location_id, reason, reference_id, d_on_hand, d_allocated, d_reserved "
            "FROM stock_ledger ORDER BY id"))]


def _keep_a_raw_copy(container, order_id: str) -> None:
    """A channel's inbound payload for the order, as intake stores it (before parsing), and an
    e-mail to the customer waiting in the outbox, as notifications queue it."""
    from conveyor.channels.model import InboundPayload
    from conveyor.messaging import outbox
    from conveyor.messaging.topics import Topic
    from conveyor.shared import ids

    with container.uow() as uow:
        web = uow.session.execute(text("SELECT id FROM channels WHERE code = 'web'")).scalar_one()
        uow.session.add(InboundPayload(
            id=ids.new_id("payload"), channel_id=web, order_id=order_id, topic="orders/create",
            body=json.dumps({"email": ADA, "customer": {"first_name": "Ada", "last_name": "Lovelace"},
                             "shipping_address": {"address1": "1 Main St", "country_code": "US"}}).encode()))
        outbox.enqueue(uow, Topic.NOTIFICATION_EMAIL, order_id, {"kind": "shipped", "to": ADA, "order_id": order_id,
                                                                 "customer_name": "Ada Lovelace"})
        uow.commit()


# Issued invoices and credit notes keep the buyer's name and address: tax law requires the seller
# to keep them unchanged for years (GDPR art. 17(3)(b)); docs/operations.md "Personal data".
LEGAL_RECORDS = {"invoices", "credit_notes"}


def _everything_stored(container, *, skip: set[str] | frozenset[str] = frozenset()) -> str:
    """Every row of every table as text (bytes decoded), to search for what must be gone."""
    import conveyor.models  # noqa: F401
    from conveyor.shared.db import Base

    parts = []
    with container.reader() as uow:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            for row in uow.session.execute(select(table)):
                parts.append(" ".join(v.decode("latin-1") if isinstance(v, bytes) else json.dumps(v, default=str)
                                      for v in row))
    return "\n".join(parts)


def test_erasure_anonymises_the_person_everywhere_and_keeps_the_books(api, container):
    shipped = _ada_order(api, headers={"Idempotency-Key": "ada-1"})
    cancelled = _ada_order(api, notes="Leave with the neighbour; Lovelace on +1 212 555 0199 if out")
    bob = _bob_order(api)
    staff_note = "Ada Lovelace rang from ada@example.com: wants it gift wrapped"
    assert api.post(f"/orders/{shipped['id']}/notes", {"text": staff_note}).status_code == 200
    _keep_a_raw_copy(container, shipped["id"])
    r = api.post(f"/orders/{shipped['id']}/shipments", {"location": "WH1", "carrier": "ups",
                                                        "override_reason": "test: no real tracking number"})
    assert r.status_code == 201, r.text
    assert api.post(f"/orders/{cancelled['id']}/cancel", {"reason": "asked"}).status_code == 200
    before = {o: api.get(f"/orders/{o}").json() for o in (shipped["id"], cancelled["id"])}
    ledger = _ledger(container)
    assert all(trace in _everything_stored(container) for trace in ADA_TRACES)

    r = api.post("/customers/erase", {"email": ADA, "reason": "GDPR request 42"})
    assert r.status_code == 200, r.text
    counts = r.json()
    assert (counts["orders"], counts["channel_payloads"], counts["stored_responses"]) == (2, 1, 1)
    assert counts["outbox_messages"] >= 1

    stored = _everything_stored(container, skip=LEGAL_RECORDS)
    assert [t for t in ADA_TRACES if t in stored] == []
    # … and the shipped order's invoice still names its buyer, unchanged.
    assert "Lovelace" in _everything_stored(container) and "Lovelace" not in stored
    assert "bob@example.com" in stored and "9 Other Rd" in stored  # nobody else was touched
    for order_id, was in before.items():
        now = api.get(f"/orders/{order_id}").json()
        assert now["customer"] == {"name": "[erased]", "email": "", "phone": ""}
        assert now["shipping_address"] == {"region": "NY", "country": "US"}
        for kept in ("totals", "lines", "allocations", "status", "shipments", "currency"):
            assert now[kept] == was[kept], kept
        assert api.get(f"/orders/{order_id}/timeline").json()[-1]["type"] == "customer.erased"
    kept_note = api.get(f"/orders/{cancelled['id']}").json()["notes"]
    assert kept_note == "Leave with the neighbour; [erased] on [erased] if out"
    timeline = api.get(f"/orders/{shipped['id']}/timeline").json()
    notes = [e["data"]["text"] for e in timeline if e["type"] == "note.added"]
    assert notes[0] == "[erased] rang from [erased]: wants it gift wrapped"  # what staff wrote stays, not who
    assert _ledger(container) == ledger
    with container.reader() as uow:
        assert run_audit(uow) == []
    assert api.post("/customers/export", {"email": ADA}).json()["orders"] == []
    assert api.get(f"/orders/{bob['id']}").json()["customer"]["email"] == "bob@example.com"
    replay = api.post("/orders", _ada_body(), headers={"Idempotency-Key": "ada-1"})
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json()["id"] == shipped["id"]
    assert ADA not in replay.text  # a stored answer no longer hands the data out


@pytest.mark.parametrize("erase_by", ["email", "phone"])
def test_cli_exports_and_erases(api, container, tmp_path, monkeypatch, erase_by):
    from typer.testing import CliRunner

    from conveyor.cli.main import app

    order = _ada_order(api)
    assert api.post(f"/orders/{order['id']}/cancel", {"reason": "asked"}).status_code == 200
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", container.settings.database_url)
    from conveyor.config import get_settings
    get_settings.cache_clear()
    out = tmp_path / "ada.json"
    person = ["--email", ADA] if erase_by == "email" else ["--phone", "+1 212 555 0199"]
    result = CliRunner().invoke(app, ["customers", "export", *person, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["orders"][0]["customer"]["email"] == ADA
    refused = CliRunner().invoke(app, ["customers", "erase", *person, "--reason", "ticket"])
    assert refused.exit_code == 2
    result = CliRunner().invoke(app, ["customers", "erase", *person, "--reason", "ticket", "--yes"])
    assert result.exit_code == 0, result.output
    get_settings.cache_clear()
    assert api.get(f"/orders/{order['id']}").json()["customer"]["email"] == ""


def test_stored_copies_are_masked_too(api, container):
    order = _ada_order(api)
    _keep_a_raw_copy(container, order["id"])
    shown = api.get("/channels/web/payloads", role="support")
    assert shown.status_code == 200, shown.text
    body = json.loads(shown.json()[0]["body"])
    assert body["email"] == "***" and body["customer"] == {"first_name": "***", "last_name": "***"}
    assert body["shipping_address"] == {"address1": "***", "country_code": "US"}
    assert ADA in api.get("/channels/web/payloads").json()[0]["body"]
    messages = api.get("/outbox", role="support", params={"key": order["id"], "topic": "notification.email"})
    assert messages.status_code == 200
    assert messages.json()["items"][0]["payload"] == {"kind": "shipped", "to": "***", "order_id": order["id"],
                                                      "customer_name": "***"}
    assert ADA in api.get("/outbox", params={"key": order["id"]}).text
