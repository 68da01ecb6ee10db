"""The purchase order PDF: what the supplier reads in it."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from conveyor.purchasing.documents import PODocument, POLineDoc, render_po_pdf


def _doc(**changes) -> PODocument:
    base = dict(number="PO-01ABC-XYZ", issued_on=date(2026, 11, 30), expected_on=date(2026, 12, 7), currency="EUR",
                buyer_name="Conveyor Shop", buyer_email="buy@example.com", supplier_name="Acme GmbH",
                supplier_address=("Hauptstr. 1", "10115 Berlin", "DE"), payment_terms="net 30",
                deliver_to=("Main warehouse", "1 Dock Rd", "Newark NJ"),
                lines=(POLineDoc(1, "SKU-A", "AC-1", "Blue mug", 40, 450), POLineDoc(2, "SKU-B", "", "Lid", 3, 99)))
    return PODocument(**{**base, **changes})


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")


def test_the_pdf_names_the_po_lines_and_total():
    text = _text(render_po_pdf(_doc()))
    for expected in ("Purchase order PO-01ABC-XYZ", "Acme GmbH", "net 30", "2026-12-07", "SKU-A", "AC-1", "Blue mug",
                     "180.00 EUR", "182.97 EUR", "Deliver to", "Main warehouse"):
        assert expected in text, expected


def test_a_drop_ship_po_ships_to_the_customer_and_asks_for_tracking():
    text = _text(render_po_pdf(_doc(drop_ship=True, deliver_to=("Ada Lovelace", "1 Main St", "10001 New York NY"),
                                    customer_reference="ord_123")))
    assert "Drop-ship purchase order" in text and "Ship to" in text and "Ada Lovelace" in text
    assert "tracking number" in text and "ord_123" in text


def test_the_same_po_gives_the_same_bytes():
    assert render_po_pdf(_doc()) == render_po_pdf(_doc())
