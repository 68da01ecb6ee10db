"""Invoices and credit notes: built from the order's allocation, rendered as PDFs in the order's
language, and read back with pypdf — number, parties' tax ids, every tax line and the totals."""

import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from conveyor.billing.documents import money_text, render_pdf
from conveyor.billing.financials import OrderLine, OrderMoney, financial_view
from conveyor.billing.invoices import (
    Header,
    InvoiceTrigger,
    Party,
    build_credit_note,
    build_invoice,
    documents_total,
    invoice_due,
    invoice_units_for_shipment,
    whole_order_units,
)
from conveyor.billing.numbering import DocumentKind
from conveyor.returns.policy import ReturnPolicy
from conveyor.returns.refunds import ReturningUnits, refund_for_return

SELLER = Party("Conveyor Demo GmbH", ("Hauptstraße 1", "10115 Berlin"), "DE123456789")
BUYER = Party("Élodie Müller", ("12 rue de la Paix", "75002 Paris"), "FR40303265045")
ISSUED = datetime(2026, 11, 30, 10, tzinfo=UTC)
ORDER = OrderMoney(
    "EUR",
    (
        OrderLine("l1", "SHIRT", 3, 2_000, line_discount=300, line_tax=323, tax_rate=Decimal(19)),
        OrderLine("l2", "BOOK", 2, 1_500, line_tax=210, tax_rate=Decimal(7)),
    ),
    order_discount=400,
    shipping=590,
    shipping_tax=112,
    shipping_tax_rate=Decimal(19),
)
NAMES = {"l1": "T-shirt “Conveyor” (M)", "l2": "Handbuch der Logistik"}


def header(number, language="en"):
    return Header(number, ISSUED, language, SELLER, BUYER, "ord_01jd3k")


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def after(text: str, label: str) -> str:
    """The value printed in the cell right of `label` (pypdf reads table cells line by line)."""
    lines = text.splitlines()
    return lines[lines.index(label) + 1]


def test_invoice_for_the_whole_order_matches_the_financial_view():
    invoice = build_invoice(header("INV-2026-000001"), ORDER, whole_order_units(ORDER), NAMES, include_shipping=True)
    assert invoice.total == financial_view(ORDER).ordered
    assert invoice.tax_total == 323 + 210 + 112
    rates = {str(t.rate): (t.net, t.tax) for t in invoice.tax_lines}
    assert rates["19"][1] == 323 + 112 and rates["7"][1] == 210
    assert sum(t.gross for t in invoice.tax_lines) == invoice.total


def test_invoices_per_shipment_add_up_to_the_order():
    first = build_invoice(
        header("INV-2026-000001"), ORDER, invoice_units_for_shipment(ORDER, {"l1": 2}), NAMES, include_shipping=True
    )
    shipped = replace(ORDER, lines=(replace(ORDER.lines[0], shipped=2), ORDER.lines[1]))
    second = build_invoice(
        header("INV-2026-000002"),
        shipped,
        invoice_units_for_shipment(shipped, {"l1": 1, "l2": 2}),
        NAMES,
        include_shipping=False,
    )
    assert first.total + second.total == financial_view(ORDER).ordered
    assert first.tax_total + second.tax_total == 323 + 210 + 112


def test_credit_note_mirrors_the_refund_and_names_the_invoice():
    shipped = replace(ORDER, lines=tuple(replace(x, shipped=x.quantity) for x in ORDER.lines))
    refund = refund_for_return(
        shipped,
        [ReturningUnits("l1", 1), ReturningUnits("l2", 1)],
        ReturnPolicy(restocking_fee_fixed=200),
        refundable=10**6,
        include_shipping=True,
    )
    note = build_credit_note(header("CN-2026-000001"), shipped, refund, "INV-2026-000001", NAMES)
    assert note.kind is DocumentKind.CREDIT_NOTE and note.refers_to == "INV-2026-000001"
    assert note.total == refund.total and note.tax_total == sum(x.tax_refunded for x in refund.lines) + 112
    invoice = build_invoice(header("INV-2026-000001"), ORDER, whole_order_units(ORDER), NAMES, include_shipping=True)
    assert documents_total([invoice, note]) == invoice.total - refund.total


def test_invoice_policy_trigger():
    assert invoice_due(InvoiceTrigger.AT_SHIPMENT, "shipment") and not invoice_due(
        InvoiceTrigger.AT_SHIPMENT, "capture"
    )
    assert invoice_due(InvoiceTrigger.AT_CAPTURE, "capture")


@pytest.mark.parametrize(
    ("language", "title", "total_label", "tax_word"),
    [
        ("en", "Invoice", "Total", "Tax"),
        ("de", "Rechnung", "Gesamtbetrag", "USt."),
        ("fr", "Facture", "Total TTC", "TVA"),
        ("es", "Factura", "Total", "IVA"),
    ],
)
def test_invoice_pdf_reads_back_in_the_orders_language(language, title, total_label, tax_word):
    invoice = build_invoice(
        header("INV-2026-000042", language), ORDER, whole_order_units(ORDER), NAMES, include_shipping=True
    )
    text = text_of(render_pdf(invoice))
    assert title in text and "INV-2026-000042" in text and "ord_01jd3k" in text
    assert "DE123456789" in text and "FR40303265045" in text and "Élodie Müller" in text
    assert after(text, total_label) == money_text(invoice.total, "EUR", language)
    on = {"en": "on", "de": "auf", "fr": "sur", "es": "sobre"}[language]
    for tax in invoice.tax_lines:
        rate_line = f"{tax_word} {tax.rate:f} % {on} {money_text(tax.net, 'EUR', language)}"
        assert after(text, rate_line) == money_text(tax.tax, "EUR", language)


def test_amounts_are_written_the_languages_way():
    assert money_text(123_456, "EUR", "en") == "€1,234.56"
    assert money_text(123_456, "EUR", "de") == "1.234,56 €"
    assert money_text(123_456, "EUR", "fr") == "1 234,56 €"
    assert money_text(1_234, "JPY", "en") == "¥1,234"


def test_german_pdf_has_the_date_in_german_and_exact_totals():
    invoice = build_invoice(
        header("INV-2026-000043", "de"), ORDER, whole_order_units(ORDER), NAMES, include_shipping=True
    )
    text = text_of(render_pdf(invoice))
    assert "30. November 2026" in text
    # shirts 60.00 − 3.00 − 2.62 (coupon share 5 700 : 3 000) + 3.23 tax; books 30.00 − 1.38 + 2.10 tax;
    # shipping 5.90 + 1.12 tax → 95.35 in all, 6.45 of it tax
    assert after(text, "Nettobetrag") == money_text(invoice.net_total, "EUR", "de") == "88,90 €"
    assert after(text, "Umsatzsteuer") == money_text(invoice.tax_total, "EUR", "de") == "6,45 €"
    assert after(text, "Gesamtbetrag") == "95,35 €"


def test_credit_note_pdf_reads_back():
    shipped = replace(ORDER, lines=tuple(replace(x, shipped=x.quantity) for x in ORDER.lines))
    refund = refund_for_return(shipped, [ReturningUnits("l2", 2)], ReturnPolicy(), refundable=10**6)
    note = build_credit_note(header("CN-2026-000007", "fr"), shipped, refund, "INV-2026-000001", NAMES)
    text = text_of(render_pdf(note))
    assert "Avoir" in text and "CN-2026-000007" in text and "Rectifie la facture INV-2026-000001" in text
    assert after(text, "Total TTC") == money_text(refund.total, "EUR", "fr") == "30,72 €"
    assert after(text, "TVA 7 % sur 28,62 €") == "2,10 €"


def test_many_lines_flow_onto_more_pages_and_the_total_is_on_the_last():
    lines = tuple(
        OrderLine(f"l{i}", f"SKU-{i:03d}", 1, 1_000 + i, line_tax=190, tax_rate=Decimal(19)) for i in range(90)
    )
    big = OrderMoney("EUR", lines)
    invoice = build_invoice(header("INV-2026-000099"), big, whole_order_units(big), {}, include_shipping=False)
    reader = PdfReader(io.BytesIO(render_pdf(invoice)))
    assert len(reader.pages) > 1
    assert "SKU-089" in text_of(render_pdf(invoice))
    assert after(reader.pages[-1].extract_text(), "Total") == money_text(invoice.total, "EUR", "en") == "€1,111.05"


def test_rendering_is_reproducible():
    invoice = build_invoice(header("INV-2026-000001"), ORDER, whole_order_units(ORDER), NAMES, include_shipping=True)
    assert render_pdf(invoice) == render_pdf(invoice)
