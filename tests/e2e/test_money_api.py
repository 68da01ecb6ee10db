"""Money through the HTTP API: a card authorized at placement, captured per shipment, invoiced, refunded
with a credit note; PDFs read back; the day's journal parsed back as CSV and IIF with every entry
balanced; the payout reconciliation; a declined card; a manual bank transfer marked paid."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from pypdf import PdfReader

from tests.e2e.conftest import order_body

VISA, DECLINED = "4242424242424242", "4000000000000002"


def ship(api, order_id: str, lines: dict | None = None):
    body = {"location": "WH1", "carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    r = api.post(f"/orders/{order_id}/shipments", {**body, **({"lines": lines} if lines else {})})
    assert r.status_code == 201, r.text
    return r.json()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\xa0", " ")


def place_paid(api, **extra):
    body = order_body({"SKU-A": 3}, payment={"provider": "test", "token": VISA}, **extra)
    body["lines"][0].update(unit_price="19.99", tax="6.00", name="Widget")
    body["shipping"] = "4.90"
    r = api.post("/orders", body)
    assert r.status_code == 201, r.text
    return r.json()


def test_card_authorized_captured_per_shipment_invoiced_and_refunded(api):
    order = place_paid(api, locale="de-DE")
    [payment] = api.get(f"/orders/{order['id']}/payments").json()["items"]
    assert (payment["status"], payment["authorized"], payment["captured"]) == ("authorized", "70.87", "0.00")

    line_id = order["lines"][0]["id"]
    ship(api, order["id"], {line_id: 1})
    [payment] = api.get(f"/orders/{order['id']}/payments").json()["items"]
    # one unit (19.99 + its 2.00 of tax) and the shipping charge, 4.90
    assert (payment["status"], payment["captured"]) == ("partially_captured", "26.89")
    [invoice] = api.get(f"/orders/{order['id']}/invoices").json()["items"]
    assert invoice["total"] == "26.89"

    pdf = api.get(f"/invoices/{invoice['id']}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Rechnung" in text and invoice["number"] in text and "26,89 $" in text  # German: decimal comma
    assert "USt. 10 % auf 19,99 $\n2,00 $" in text  # the tax per rate: 10 % of the unit, read back
    assert "Versand" in text and "USt. 0 % auf 4,90 $" in text

    ship(api, order["id"])
    refund = api.post(f"/orders/{order['id']}/refunds", {"amount": "10.00", "reason": "scratched"},
                      headers={"Idempotency-Key": "refund-e2e-1"})
    assert refund.status_code == 201, refund.text
    assert (refund.json()["status"], refund.json()["refunded"]) == ("succeeded", "10.00")
    again = api.post(f"/orders/{order['id']}/refunds", {"amount": "10.00", "reason": "scratched"},
                     headers={"Idempotency-Key": "refund-e2e-1"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == refund.json()

    too_much = api.post(f"/orders/{order['id']}/refunds", {"amount": "60.88", "reason": "everything"})
    assert too_much.status_code == 409
    assert too_much.headers["content-type"].startswith("application/problem+json")
    assert too_much.json()["code"] == "refund_exceeds_captured"

    note = api.get(f"/credit-notes/{refund.json()['credit_note_id']}").json()
    assert (note["total"], note["refers_to"]) == ("10.00", api.get(
        f"/orders/{order['id']}/invoices").json()["items"][-1]["number"])
    assert "Gutschrift" in pdf_text(api.get(f"/credit-notes/{note['id']}/pdf").content)

    money = api.get(f"/orders/{order['id']}/financials").json()
    assert (money["ordered"], money["captured"], money["refunded"], money["paid"]) == (
        "70.87", "70.87", "10.00", "60.87")
    assert Decimal(money["due"]) == Decimal(money["net"]) - Decimal(money["paid"])


def _csv_entries(text: str) -> dict[str, list[dict]]:
    entries: dict[str, list[dict]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(text)):
        entries[row["entry"]].append(row)
    return entries


def _iif_transactions(text: str) -> list[list[list[str]]]:
    transactions, current = [], None
    for row in (line.split("\t") for line in text.split("\r\n") if line):
        if row[0] == "TRNS":
            current = [row]
        elif row[0] == "SPL":
            current.append(row)
        elif row[0] == "ENDTRNS":
            transactions.append(current)
    return transactions


def test_the_days_journal_parses_back_balanced_as_csv_and_iif(api):
    order = place_paid(api)
    ship(api, order["id"])
    api.post(f"/orders/{order['id']}/refunds", {"amount": "5.00", "reason": "late"})
    day = datetime.now(UTC).date().isoformat()

    entries = _csv_entries(api.get("/accounting/journal", params={"day": day, "currency": "USD"}).text)
    assert len(entries) == 2  # the sale and the refund (no unit costs known: no cost entries)
    for rows in entries.values():
        debits = sum(Decimal(r["debit"] or 0) for r in rows)
        assert debits == sum(Decimal(r["credit"] or 0) for r in rows) > 0
    sale = next(rows for rows in entries.values() if rows[0]["reference"].startswith("INV-"))
    assert {r["account"]: r["debit"] or "-" + r["credit"] for r in sale} == {
        "Undeposited Funds": "70.87", "Sales": "-59.97", "Shipping Income": "-4.90", "Sales Tax Payable": "-6.00"}

    iif = api.get("/accounting/journal", params={"day": day, "currency": "USD", "format": "iif"}).text
    assert iif.startswith("!ACCNT\tNAME\tACCNTTYPE")
    transactions = _iif_transactions(iif)
    assert len(transactions) == 2
    for rows in transactions:
        assert {r[1] for r in rows} == {"GENERAL JOURNAL"}
        assert sum(Decimal(r[5]) for r in rows) == 0
        assert rows[0][2] == datetime.now(UTC).strftime("%m/%d/%Y")

    payouts = api.get("/accounting/payouts", params={"start": day, "end": "2999-01-01",
                                                     "paid_out": "test:USD:65.87"}).json()["items"]
    assert payouts == [{"provider": "test", "currency": "USD", "captured": "70.87", "refunded": "5.00",
                        "fees": "0.00", "expected": "65.87", "paid_out": "65.87", "difference": "0.00"}]


def test_a_declined_card_answers_with_the_order_on_hold(api):
    r = api.post("/orders", order_body(payment={"provider": "test", "token": DECLINED}))
    assert r.status_code == 201
    assert (r.json()["status"], r.json()["hold_reason"]) == (
        "on_hold", "payment_failed: payment declined (generic_decline): Your card was declined.")
    [payment] = api.get(f"/orders/{r.json()['id']}/payments").json()["items"]
    assert payment["status"] == "declined" and payment["attempts"][0]["error_code"] == "generic_decline"


def test_a_bank_transfer_is_expected_then_marked_paid_in_parts(api):
    order = api.post("/orders", order_body({"SKU-A": 2})).json()  # 20.00, no payment at placement
    expected = api.post(f"/orders/{order['id']}/payments", {"provider": "manual", "method": "bank_transfer"},
                        headers={"Idempotency-Key": "expect-1"})
    assert expected.status_code == 201, expected.text
    payment = expected.json()
    assert (payment["status"], payment["authorized"]) == ("authorized", "20.00")
    first = api.post(f"/payments/{payment['id']}/mark-paid", {"amount": "12.00"})
    assert first.status_code == 201 and first.json()["captured"] == "12.00"
    rest = api.post(f"/payments/{payment['id']}/mark-paid", {"amount": "8.00"}).json()
    assert (rest["status"], rest["captured"]) == ("captured", "20.00")
    over = api.post(f"/payments/{payment['id']}/mark-paid", {"amount": "0.01"})
    assert over.status_code == 409 and over.json()["code"] == "capture_exceeds_authorized"
    refund = api.post(f"/orders/{order['id']}/refunds", {"amount": "2.00", "reason": "price match"}).json()
    assert "pay it back by bank transfer" in refund["message"]
