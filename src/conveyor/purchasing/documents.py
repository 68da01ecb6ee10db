"""The purchase order PDF the supplier receives (drawn with ReportLab, like invoices and pick lists).

Plain data in (`PODocument`), bytes out. Built-in Helvetica, no system fonts; `invariant` output, so
the same PO always gives the same bytes. A drop-ship PO carries the customer's address as "ship to"
and asks the supplier to send back the tracking number.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from conveyor.shared.money import format_minor

_BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=12)
_TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=16, leading=20)


@dataclass(frozen=True, slots=True)
class POLineDoc:
    line_no: int
    sku: str
    supplier_sku: str
    description: str
    quantity: int
    unit_cost_minor: int


@dataclass(frozen=True, slots=True)
class PODocument:
    number: str
    issued_on: date
    expected_on: date | None
    currency: str
    buyer_name: str
    buyer_email: str
    supplier_name: str
    supplier_address: tuple[str, ...]
    payment_terms: str
    deliver_to: tuple[str, ...]  # our receiving location, or the customer's address (drop-ship)
    lines: tuple[POLineDoc, ...]
    drop_ship: bool = False
    customer_reference: str = ""
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def total_minor(self) -> int:
        return sum(line.quantity * line.unit_cost_minor for line in self.lines)


def _money(minor: int, currency: str) -> str:
    return f"{format_minor(minor, currency)} {currency}"


def _block(title: str, rows: tuple[str, ...]) -> Paragraph:
    text = "<br/>".join([f"<b>{escape(title)}</b>"] + [escape(r) for r in rows if r])
    return Paragraph(text, _BODY)


def _header(doc: PODocument) -> list[Flowable]:
    kind = "Drop-ship purchase order" if doc.drop_ship else "Purchase order"
    facts = [f"Number: {doc.number}", f"Date: {doc.issued_on.isoformat()}"]
    if doc.expected_on:
        facts.append(f"Expected by: {doc.expected_on.isoformat()}")
    if doc.payment_terms:
        facts.append(f"Payment terms: {doc.payment_terms}")
    if doc.customer_reference:
        facts.append(f"Customer order: {doc.customer_reference}")
    parties = Table([[_block("Buyer", (doc.buyer_name, doc.buyer_email)),
                      _block("Supplier", (doc.supplier_name, *doc.supplier_address)),
                      _block("Ship to" if doc.drop_ship else "Deliver to", doc.deliver_to)]],
                    colWidths=[58 * mm, 58 * mm, 58 * mm])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Paragraph(f"{kind} {escape(doc.number)}", _TITLE), Spacer(1, 3 * mm),
            Paragraph(escape(" · ".join(facts)), _BODY), Spacer(1, 5 * mm), parties, Spacer(1, 6 * mm)]


def _lines(doc: PODocument) -> Table:
    rows: list[list[object]] = [["#", "SKU", "Supplier SKU", "Description", "Qty", "Unit cost", "Amount"]]
    for line in doc.lines:
        rows.append([str(line.line_no), line.sku, line.supplier_sku, Paragraph(escape(line.description), _BODY),
                     str(line.quantity), _money(line.unit_cost_minor, doc.currency),
                     _money(line.quantity * line.unit_cost_minor, doc.currency)])
    rows.append(["", "", "", "Total", "", "", _money(doc.total_minor, doc.currency)])
    table = Table(rows, colWidths=[8 * mm, 26 * mm, 26 * mm, 50 * mm, 14 * mm, 25 * mm, 25 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
        ("ALIGN", (4, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def render_po_pdf(doc: PODocument) -> bytes:
    """The purchase order as PDF bytes."""
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"Purchase order {doc.number}", author=doc.buyer_name,
                            invariant=True)
    story = _header(doc) + [_lines(doc)]
    if doc.drop_ship:
        story += [Spacer(1, 5 * mm), Paragraph(
            "Please ship directly to the address above, without prices or our invoice in the parcel, and send "
            f"us the carrier and tracking number quoting {escape(doc.number)}.", _BODY)]
    if doc.notes:
        story += [Spacer(1, 4 * mm), Paragraph(escape(doc.notes), _BODY)]
    pdf.build(story)
    return buffer.getvalue()
