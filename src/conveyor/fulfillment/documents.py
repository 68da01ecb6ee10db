"""Warehouse documents as PDF: the pick list (with Code 128 barcodes of bin and SKU, so a scanner
can confirm each stop) and the packing slip in the order's language (English, German, French,
Spanish; dates and money formatted by Babel for that locale). The end-of-day manifest is in
manifest.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from conveyor.fulfillment.pdf import MARGIN, PAGE, Document, barcode, text
from conveyor.fulfillment.picking import PickList
from conveyor.shared.money import format_minor
from conveyor.shipping.addresses import Address

# --- pick list ---------------------------------------------------------------------------------------

_ROW = 16 * mm


def _put_to_order(stop_breakdown: tuple) -> str:
    return ", ".join(f"{p.order_ref or p.fulfillment_order} ×{p.quantity}" for p in stop_breakdown)


def render_pick_list_pdf(pick_list: PickList, printed_at: str = "") -> bytes:
    """Stops in walking order: sequence, bin (with barcode), SKU (with barcode), quantity to pick
    and, for batches, which order each unit goes to."""
    width = PAGE[0]

    def header(canvas: Canvas, page: int) -> float:
        top = PAGE[1] - MARGIN
        text(canvas, MARGIN, top - 12, f"Pick list {pick_list.reference}".strip(), size=16, bold=True)
        summary = (f"Location {pick_list.location} · {len(pick_list.stops)} stops · {pick_list.total_units} units"
                   f" · {len(pick_list.fulfillment_orders)} orders")
        text(canvas, MARGIN, top - 28, summary + (f" · printed {printed_at}" if printed_at else ""), size=9)
        y = top - 48
        for x, title in ((MARGIN, "#"), (MARGIN + 10 * mm, "Bin"), (MARGIN + 60 * mm, "SKU"),
                         (MARGIN + 120 * mm, "Qty"), (MARGIN + 135 * mm, "Put to order")):
            text(canvas, x, y, title, size=9, bold=True)
        canvas.line(MARGIN, y - 3, width - MARGIN, y - 3)
        return y - 4

    doc = Document(f"Pick list {pick_list.reference}", header)
    for stop in pick_list.stops:
        y = doc.row(_ROW)
        c = doc.canvas
        text(c, MARGIN, y + 9 * mm, str(stop.sequence), size=10, bold=True)
        text(c, MARGIN + 10 * mm, y + 10 * mm, stop.bin or "(no bin)", size=10, bold=True, width=48 * mm)
        barcode(c, stop.bin, MARGIN + 10 * mm, y + 2 * mm, 48 * mm, 7 * mm)
        text(c, MARGIN + 60 * mm, y + 10 * mm, stop.sku, size=10, bold=True, width=58 * mm)
        barcode(c, stop.sku, MARGIN + 60 * mm, y + 2 * mm, 58 * mm, 7 * mm)
        text(c, MARGIN + 120 * mm, y + 9 * mm, str(stop.quantity), size=12, bold=True)
        put_width = width - 2 * MARGIN - 135 * mm
        text(c, MARGIN + 135 * mm, y + 9 * mm, _put_to_order(stop.breakdown), size=8, width=put_width)
        c.setLineWidth(0.3)
        c.line(MARGIN, y, width - MARGIN, y)
    return doc.finish()


# --- packing slip ------------------------------------------------------------------------------------

LANGUAGES = ("en", "de", "fr", "es")

SLIP_TEXT: dict[str, dict[str, str]] = {
    "en": {"title": "Packing slip", "order": "Order", "date": "Order date", "ship_to": "Ship to",
           "from": "From", "method": "Shipping method", "sku": "SKU", "item": "Item", "qty": "Qty",
           "price": "Price", "total": "Total", "thanks": "Thank you for your order!"},
    "de": {"title": "Lieferschein", "order": "Bestellung", "date": "Bestelldatum", "ship_to": "Lieferadresse",
           "from": "Absender", "method": "Versandart", "sku": "Artikelnr.", "item": "Artikel", "qty": "Menge",
           "price": "Preis", "total": "Summe", "thanks": "Vielen Dank für Ihre Bestellung!"},
    "fr": {"title": "Bon de livraison", "order": "Commande", "date": "Date de commande",
           "ship_to": "Adresse de livraison", "from": "Expéditeur", "method": "Mode d'expédition",
           "sku": "Réf.", "item": "Article", "qty": "Qté", "price": "Prix", "total": "Total",
           "thanks": "Merci pour votre commande !"},
    "es": {"title": "Albarán", "order": "Pedido", "date": "Fecha del pedido", "ship_to": "Dirección de envío",
           "from": "Remitente", "method": "Método de envío", "sku": "Ref.", "item": "Artículo", "qty": "Cant.",
           "price": "Precio", "total": "Total", "thanks": "¡Gracias por su pedido!"},
}


@dataclass(frozen=True, slots=True)
class SlipLine:
    sku: str
    description: str
    quantity: int
    unit_price_minor: int | None = None  # None: a gift slip or a B2B slip without prices


@dataclass(frozen=True, slots=True)
class PackingSlip:
    order_ref: str
    order_date: date
    ship_to: Address
    ship_from: Address
    lines: tuple[SlipLine, ...]
    language: str = "en"  # the order's language; falls back to English when not supported
    currency: str = "USD"
    shipping_method: str = ""
    note: str = ""


def slip_language(language: str) -> str:
    base = (language or "en").replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else "en"


def money(minor: int, currency: str, language: str) -> str:
    return format_currency(Decimal(format_minor(minor, currency)), currency, locale=language)


def render_packing_slip_pdf(slip: PackingSlip) -> bytes:
    lang = slip_language(slip.language)
    words = SLIP_TEXT[lang]
    priced = all(line.unit_price_minor is not None for line in slip.lines)
    width = PAGE[0]

    def header(canvas: Canvas, page: int) -> float:
        return _slip_header(canvas, page, slip, words, priced)

    doc = Document(f"{words['title']} {slip.order_ref}", header)
    total = 0
    for line in slip.lines:
        y = doc.row(14)
        c = doc.canvas
        text(c, MARGIN, y, line.sku, size=9, width=35 * mm)
        text(c, MARGIN + 38 * mm, y, line.description, size=9, width=(80 if priced else 115) * mm)
        text(c, MARGIN + (125 if priced else 165) * mm, y, str(line.quantity), size=9, right=True)
        if priced and line.unit_price_minor is not None:
            text(c, MARGIN + 150 * mm, y, money(line.unit_price_minor, slip.currency, lang), size=9, right=True)
            line_total = line.unit_price_minor * line.quantity
            total += line_total
            text(c, width - MARGIN, y, money(line_total, slip.currency, lang), size=9, right=True)
    if priced:
        y = doc.row(20)
        text(doc.canvas, width - MARGIN, y, f"{words['total']}: {money(total, slip.currency, lang)}", size=10,
             bold=True, right=True)
    for closing in ([slip.note] if slip.note else []) + [words["thanks"]]:
        y = doc.row(18)
        text(doc.canvas, MARGIN, y, closing, size=10)
    return doc.finish()


def _slip_header(canvas: Canvas, page: int, slip: PackingSlip, words: dict[str, str], priced: bool) -> float:
    """Title and order number on every page; dates, addresses and method on the first."""
    lang = slip_language(slip.language)
    width = PAGE[0]
    top = PAGE[1] - MARGIN
    text(canvas, MARGIN, top - 14, words["title"], size=18, bold=True)
    text(canvas, width - MARGIN, top - 14, f"{words['order']} {slip.order_ref}", size=12, bold=True, right=True)
    if page > 1:
        return _slip_columns(canvas, top - 40, words, priced)
    text(canvas, width - MARGIN, top - 30,
         f"{words['date']}: {format_date(slip.order_date, format='long', locale=lang)}", size=9, right=True)
    y = top - 50
    text(canvas, MARGIN, y, words["ship_to"], size=9, bold=True)
    text(canvas, width / 2, y, words["from"], size=9, bold=True)
    for i, (to_line, from_line) in enumerate(_pairs(slip.ship_to.lines(), slip.ship_from.lines())):
        text(canvas, MARGIN, y - 13 - i * 12, to_line, size=10, width=width / 2 - MARGIN - 5 * mm)
        text(canvas, width / 2, y - 13 - i * 12, from_line, size=9, width=width / 2 - MARGIN)
    y -= 13 + 12 * max(len(slip.ship_to.lines()), len(slip.ship_from.lines())) + 6
    if slip.shipping_method:
        text(canvas, MARGIN, y, f"{words['method']}: {slip.shipping_method}", size=9)
        y -= 16
    return _slip_columns(canvas, y, words, priced)


def _pairs(left: list[str], right: list[str]) -> list[tuple[str, str]]:
    size = max(len(left), len(right))
    return [(left[i] if i < len(left) else "", right[i] if i < len(right) else "") for i in range(size)]


def _slip_columns(canvas: Canvas, y: float, words: dict[str, str], priced: bool) -> float:
    width = PAGE[0]
    text(canvas, MARGIN, y, words["sku"], size=9, bold=True)
    text(canvas, MARGIN + 38 * mm, y, words["item"], size=9, bold=True)
    text(canvas, MARGIN + (125 if priced else 165) * mm, y, words["qty"], size=9, bold=True, right=True)
    if priced:
        text(canvas, MARGIN + 150 * mm, y, words["price"], size=9, bold=True, right=True)
        text(canvas, width - MARGIN, y, words["total"], size=9, bold=True, right=True)
    canvas.line(MARGIN, y - 4, width - MARGIN, y - 4)
    return y - 6
