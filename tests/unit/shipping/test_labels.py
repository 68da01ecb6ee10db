"""Labels: the PDF is read back (pypdf) and the ZPL compared with a golden file."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from conveyor.shipping.addresses import Address
from conveyor.shipping.labels import LABEL_SIZE, LabelData, render_label_pdf, render_labels_pdf
from conveyor.shipping.zpl import escape, render_label_zpl, render_labels_zpl

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "shipping" / "label_ups_ground.zpl"
SHIP_FROM = Address("Conveyor Warehouse", "350 5th Ave", "New York", "10118", "US", region="NY",
                    company="Acme Goods Inc.")
SHIP_TO = Address("Jürgen Müller", "1 Market St", "San Francisco", "94105", "US", region="CA", line2="Suite 300")
LABEL = LabelData("1Z999AA10123456784", "UPS", "Ground", SHIP_FROM, SHIP_TO, 1850, reference="ORD-1001",
                  ship_date=date(2026, 11, 17), package_number=1, package_count=2)


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_label_pdf_shows_tracking_number_addresses_service_and_weight() -> None:
    pdf = render_label_pdf(LABEL)
    assert pdf.startswith(b"%PDF")
    (text,) = pdf_text(pdf)
    for expected in ["1Z999AA10123456784", "Conveyor Warehouse", "350 5th Ave", "New York, NY 10118",
                     "Jürgen Müller", "Suite 300", "San Francisco, CA 94105", "UPS GROUND", "1.85 kg",
                     "PKG 1 OF 2", "ORD-1001", "2026-11-17"]:
        assert expected in text


def test_label_pdf_is_four_by_six_inches() -> None:
    page = PdfReader(io.BytesIO(render_label_pdf(LABEL))).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(LABEL_SIZE)


def test_a_batch_has_one_page_per_label_in_order() -> None:
    numbers = ["1Z999AA10123456784", "986578788855", "9400111201080805483016"]
    labels = [LabelData(n, "X", "Y", SHIP_FROM, SHIP_TO, 500) for n in numbers]
    pages = pdf_text(render_labels_pdf(labels))
    assert len(pages) == 3
    assert [n in page for n, page in zip(numbers, pages, strict=True)] == [True, True, True]


def test_long_addresses_are_shrunk_to_fit_not_dropped() -> None:
    long_to = Address("Maximilian Alexander von und zu Hohenzollern-Sigmaringen", "Hauptstraße 1", "Berlin",
                      "10115", "DE")
    (text,) = pdf_text(render_label_pdf(LabelData("3318810025", "DHL", "Express", SHIP_FROM, long_to, 100)))
    assert "Hohenzollern-Sigmaringen" in text


def test_zpl_matches_the_golden_file() -> None:
    zpl = render_label_zpl(LABEL)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(zpl, encoding="utf-8")
    assert zpl == GOLDEN.read_text(encoding="utf-8")


def test_zpl_has_the_barcode_and_escapes_field_data() -> None:
    zpl = render_label_zpl(LABEL)
    assert zpl.startswith("^XA\n^CI28\n") and zpl.endswith("^XZ\n")
    assert "^BCN,230,Y,N,N,A^FD1Z999AA10123456784^FS" in zpl
    assert "J_C3_BCrgen M_C3_BCller" in zpl  # UTF-8 bytes of ü as hex escapes
    assert escape("a^b~c_d") == "a_5Eb_7Ec_5Fd"
    tricky = LabelData("1Z999AA10123456784", "UPS", "Ground", SHIP_FROM,
                       Address("^XZ~JR", "x", "y", "1", "US"), 1)
    assert "^XZ~JR" not in render_label_zpl(tricky).replace("^XZ\n", "")


def test_zpl_batch_is_one_document_per_label() -> None:
    assert render_labels_zpl([LABEL, LABEL]).count("^XA") == 2


def test_zpl_refuses_a_tracking_number_that_is_not_alphanumeric() -> None:
    with pytest.raises(ValueError):
        render_label_zpl(LabelData("1Z^XZ", "UPS", "Ground", SHIP_FROM, SHIP_TO, 1))
