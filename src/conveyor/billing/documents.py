"""Invoice and credit-note PDFs, in the order's language (en, de, fr, es).

ReportLab draws them with its built-in Helvetica (no system fonts, nothing to install; it covers the
Latin-1 letters these four languages use). Babel formats money and dates the way each language
writes them ("€1,234.56", "1.234,56 €", "30 novembre 2026"). The output is reproducible: the same
document gives the same bytes (`invariant`), so a stored PDF can be regenerated and compared.
"""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from conveyor.billing.invoices import BillingDocument, Party
from conveyor.billing.numbering import DocumentKind
from conveyor.shared.money import exponent

LANGUAGES = ("en", "de", "fr", "es")

LABELS: dict[str, dict[str, str]] = {
    "invoice": {"en": "Invoice", "de": "Rechnung", "fr": "Facture", "es": "Factura"},
    "credit_note": {"en": "Credit note", "de": "Gutschrift", "fr": "Avoir", "es": "Factura rectificativa"},
    "number": {"en": "Number", "de": "Nummer", "fr": "Numéro", "es": "Número"},
    "date": {"en": "Date", "de": "Datum", "fr": "Date", "es": "Fecha"},
    "order": {"en": "Order", "de": "Bestellung", "fr": "Commande", "es": "Pedido"},
    "seller": {"en": "Seller", "de": "Verkäufer", "fr": "Vendeur", "es": "Vendedor"},
    "buyer": {"en": "Bill to", "de": "Rechnungsempfänger", "fr": "Facturé à", "es": "Facturar a"},
    "tax_id": {"en": "Tax ID", "de": "USt-IdNr.", "fr": "N° TVA", "es": "NIF-IVA"},
    "description": {"en": "Description", "de": "Beschreibung", "fr": "Désignation", "es": "Descripción"},
    "quantity": {"en": "Qty", "de": "Menge", "fr": "Qté", "es": "Cant."},
    "unit_price": {"en": "Unit price", "de": "Einzelpreis", "fr": "Prix unitaire", "es": "Precio unitario"},
    "discount": {"en": "Discount", "de": "Rabatt", "fr": "Remise", "es": "Descuento"},
    "tax_rate": {"en": "Tax", "de": "USt.", "fr": "TVA", "es": "IVA"},
    "amount": {"en": "Amount", "de": "Betrag", "fr": "Montant", "es": "Importe"},
    "tax_at": {
        "en": "Tax {rate} on {net}",
        "de": "USt. {rate} auf {net}",
        "fr": "TVA {rate} sur {net}",
        "es": "IVA {rate} sobre {net}",
    },
    "net_total": {"en": "Net total", "de": "Nettobetrag", "fr": "Total HT", "es": "Base imponible"},
    "tax_total": {"en": "Tax total", "de": "Umsatzsteuer", "fr": "Total TVA", "es": "Total IVA"},
    "total": {"en": "Total", "de": "Gesamtbetrag", "fr": "Total TTC", "es": "Total"},
    "refers_to": {
        "en": "Corrects invoice {number}",
        "de": "Korrektur zur Rechnung {number}",
        "fr": "Rectifie la facture {number}",
        "es": "Rectifica la factura {number}",
    },
}

_BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=12)
_TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=16, leading=20)


def label(key: str, language: str) -> str:
    return LABELS[key].get(language, LABELS[key]["en"])


def _plain(text: str) -> str:
    # Babel separates digits with no-break spaces (U+00A0, and U+202F in French); the built-in PDF
    # fonts lack U+202F, and plain spaces read back the same in every viewer.
    return text.replace("\u202f", " ").replace("\xa0", " ")


def money_text(minor: int, currency: str, language: str) -> str:
    amount = Decimal(minor).scaleb(-exponent(currency))
    return _plain(format_currency(amount, currency, locale=language))


def rate_text(rate: Decimal, language: str) -> str:
    return _plain(format_decimal(rate.normalize(), locale=language)) + " %"


def _party(title: str, party: Party, language: str) -> Paragraph:
    rows = [f"<b>{escape(title)}</b>", escape(party.name), *(escape(line) for line in party.address_lines)]
    if party.tax_id:
        rows.append(f"{escape(label('tax_id', language))}: {escape(party.tax_id)}")
    return Paragraph("<br/>".join(rows), _BODY)


def _header(document: BillingDocument) -> list[Flowable]:
    lang = document.language
    facts = [
        f"{label('number', lang)}: {document.number}",
        f"{label('date', lang)}: {format_date(document.issued_at.date(), format='long', locale=lang)}",
        f"{label('order', lang)}: {document.order_reference}",
    ]
    if document.refers_to:
        facts.append(label("refers_to", lang).format(number=document.refers_to))
    parties = Table(
        [[_party(label("seller", lang), document.seller, lang), _party(label("buyer", lang), document.buyer, lang)]],
        colWidths=[85 * mm, 85 * mm],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    title = label("invoice" if document.kind is DocumentKind.INVOICE else "credit_note", lang)
    return [
        Paragraph(escape(title), _TITLE),
        Paragraph("<br/>".join(escape(fact) for fact in facts), _BODY),
        Spacer(1, 6 * mm),
        parties,
        Spacer(1, 6 * mm),
    ]


def _lines_table(document: BillingDocument) -> Table:
    lang, cur = document.language, document.currency
    head = [label(key, lang) for key in ("description", "quantity", "unit_price", "discount", "tax_rate", "amount")]
    rows: list[list[str | Paragraph]] = [head]
    for line in document.lines:
        rows.append(
            [
                Paragraph(escape(line.description), _BODY),
                str(line.quantity),
                money_text(line.unit_price, cur, lang),
                money_text(line.discount, cur, lang) if line.discount else "",
                rate_text(line.tax_rate, lang),
                money_text(line.total, cur, lang),
            ]
        )
    table = Table(rows, colWidths=[62 * mm, 14 * mm, 26 * mm, 24 * mm, 16 * mm, 28 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
            ]
        )
    )
    return table


def _totals_table(document: BillingDocument) -> Table:
    lang, cur = document.language, document.currency
    rows = [
        [
            label("tax_at", lang).format(rate=rate_text(t.rate, lang), net=money_text(t.net, cur, lang)),
            money_text(t.tax, cur, lang),
        ]
        for t in document.tax_lines
    ]
    rows += [
        [label("net_total", lang), money_text(document.net_total, cur, lang)],
        [label("tax_total", lang), money_text(document.tax_total, cur, lang)],
        [label("total", lang), money_text(document.total, cur, lang)],
    ]
    table = Table(rows, colWidths=[100 * mm, 40 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 10),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
            ]
        )
    )
    return table


def render_pdf(document: BillingDocument) -> bytes:
    """The document as PDF bytes."""
    if document.language not in LANGUAGES:
        raise ValueError(f"documents are available in {', '.join(LANGUAGES)}, not {document.language!r}")
    buffer = io.BytesIO()
    title = f"{label('invoice' if document.kind is DocumentKind.INVOICE else 'credit_note', document.language)} "
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title + document.number,
        author=document.seller.name,
        lang=document.language,
        invariant=True,
    )
    story = _header(document) + [_lines_table(document), Spacer(1, 6 * mm), _totals_table(document)]
    if document.note:
        story += [Spacer(1, 4 * mm), Paragraph(escape(document.note), _BODY)]
    pdf.build(story)
    return buffer.getvalue()
