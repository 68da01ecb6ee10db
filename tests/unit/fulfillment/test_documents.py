"""Warehouse documents, read back with pypdf: pick list, packing slips in four languages, manifest."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from pypdf import PdfReader

from conveyor.fulfillment.documents import PackingSlip, SlipLine, render_packing_slip_pdf, render_pick_list_pdf
from conveyor.fulfillment.manifest import ManifestShipment, build_manifests, manifest_csv, render_manifest_pdf
from conveyor.fulfillment.pdf import safe
from conveyor.fulfillment.picking import PickRequestLine, build_pick_list
from conveyor.shipping.addresses import Address

WAREHOUSE = Address("Conveyor EU", "Industriestraße 5", "München", "80331", "DE", company="Acme GmbH")
CUSTOMER = Address("Élodie Durand", "12 rue de la Paix", "Paris", "75002", "FR")


def pages(pdf: bytes) -> list[str]:
    return [p.extract_text().replace("\xa0", " ") for p in PdfReader(io.BytesIO(pdf)).pages]


def test_pick_list_pdf_has_every_stop_in_walking_order() -> None:
    pick_list = build_pick_list([
        PickRequestLine("fo_1", "l1", "TEE-RED-M", 2, "A-02-01", "#1001"),
        PickRequestLine("fo_2", "l2", "TEE-RED-M", 1, "A-02-01", "#1002"),
        PickRequestLine("fo_2", "l3", "MUG-BLUE", 1, "A-01-05", "#1002"),
    ], location="loc_munich", reference="WAVE-7")
    (text,) = pages(render_pick_list_pdf(pick_list))
    assert "Pick list WAVE-7" in text and "loc_munich" in text
    assert text.index("A-01-05") < text.index("A-02-01")
    assert "MUG-BLUE" in text and "TEE-RED-M" in text
    assert "#1001 ×2, #1002 ×1" in text


def test_a_long_pick_list_runs_over_pages_without_losing_lines() -> None:
    lines = [PickRequestLine(f"fo_{n}", f"l{n}", f"SKU-{n:04d}", 1, f"A-{n // 40:02d}-{n % 40:02d}")
             for n in range(300)]
    texts = pages(render_pick_list_pdf(build_pick_list(lines, "loc")))
    assert len(texts) > 1
    everything = "\n".join(texts)
    assert all(f"SKU-{n:04d}" in everything for n in range(300))


@pytest.mark.parametrize(
    ("language", "title", "order_date", "total", "thanks"),
    [
        ("en", "Packing slip", "November 17, 2026", "€1,234.50", "Thank you for your order!"),
        ("de", "Lieferschein", "17. November 2026", "1.234,50 €", "Vielen Dank für Ihre Bestellung!"),
        ("fr", "Bon de livraison", "17 novembre 2026", "1 234,50 €", "Merci pour votre commande !"),
        ("es-ES", "Albarán", "17 de noviembre de 2026", "1.234,50 €", "¡Gracias por su pedido!"),
    ],
)
def test_packing_slip_in_the_orders_language(language: str, title: str, order_date: str, total: str,
                                              thanks: str) -> None:
    slip = PackingSlip("#1001", date(2026, 11, 17), CUSTOMER, WAREHOUSE,
                       (SlipLine("TEE-RED-M", "T-shirt rouge M", 3, 24600), SlipLine("MUG-BLUE", "Tasse", 1, 49650)),
                       language=language, currency="EUR", shipping_method="DHL Express")
    (text,) = pages(render_packing_slip_pdf(slip))
    for expected in (title, "#1001", order_date, total, thanks, "Élodie Durand", "12 rue de la Paix", "75002",
                     "Industriestraße 5", "TEE-RED-M", "T-shirt rouge M", "MUG-BLUE", "DHL Express"):
        assert expected in text, expected


def test_a_slip_without_prices_and_an_unknown_language_falls_back_to_english() -> None:
    slip = PackingSlip("#9", date(2026, 1, 2), CUSTOMER, WAREHOUSE, (SlipLine("GIFT", "Gift card", 1),), language="ja")
    (text,) = pages(render_packing_slip_pdf(slip))
    assert "Packing slip" in text and "Gift card" in text
    assert "Total" not in text


def test_text_outside_the_standard_fonts_is_replaced_not_lost() -> None:
    assert safe("1\u202f234,50\xa0€") == "1\xa0234,50\xa0€"
    assert safe("東京") == "??"


def shipment(carrier: str, location: str, number: str, day: date = date(2026, 11, 17)) -> ManifestShipment:
    return ManifestShipment(carrier, location, day, number, "Ground", f"#{number[-4:]}", CUSTOMER, 1250,
                            packages=1, cost_minor=1099, currency="EUR")


def test_manifests_are_per_carrier_location_and_day() -> None:
    manifests = build_manifests([shipment("ups", "loc_a", "1Z999AA10123456784"), shipment("dhl", "loc_a", "3318810025"),
                                 shipment("ups", "loc_b", "1Z5R89390357567127"),
                                 shipment("ups", "loc_a", "1Z879E930346834440")])
    assert [(m.carrier, m.location, len(m.shipments)) for m in manifests] == [
        ("dhl", "loc_a", 1), ("ups", "loc_a", 2), ("ups", "loc_b", 1)]


def test_manifest_csv_and_pdf_list_every_shipment_with_totals() -> None:
    (manifest,) = build_manifests([shipment("ups", "loc_a", "1Z999AA10123456784"),
                                   shipment("ups", "loc_a", "1Z879E930346834440")])
    rows = list(csv.DictReader(io.StringIO(manifest_csv(manifest))))
    assert [r["tracking_number"] for r in rows] == ["1Z879E930346834440", "1Z999AA10123456784"]
    assert rows[0]["weight_kg"] == "1.250" and rows[0]["cost"] == "10.99"
    assert rows[0]["recipient"] == "Élodie Durand" and rows[0]["ship_date"] == "2026-11-17"
    (text,) = pages(render_manifest_pdf(manifest, carrier_name="UPS", location_name="Munich DC"))
    for expected in ("Manifest — UPS", "Munich DC", "2026-11-17", "1Z879E930346834440", "1Z999AA10123456784",
                     "Total: 2 shipments, 2 packages, 2.500 kg", "Signature"):
        assert expected in text, expected


def test_a_long_packing_slip_continues_on_a_second_page_with_the_total_at_the_end() -> None:
    lines = tuple(SlipLine(f"SKU-{n:03d}", f"Item {n}", 1, 100) for n in range(80))
    texts = pages(render_packing_slip_pdf(PackingSlip("#77", date(2026, 3, 1), CUSTOMER, WAREHOUSE, lines,
                                                      language="de", currency="EUR")))
    assert len(texts) == 2
    assert all("Lieferschein" in t and "Bestellung #77" in t for t in texts)
    assert all(f"SKU-{n:03d}" in "\n".join(texts) for n in range(80))
    assert "Summe: 80,00 €" in texts[-1]
