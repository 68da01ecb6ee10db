"""4×6 inch shipping labels as PDF (ReportLab): ship-from, ship-to, carrier and service, weight,
reference and a Code 128 barcode of the tracking number with the number printed under it.

Why ReportLab: it draws Code 128 itself and renders a label in about a millisecond
(docs/benchmarks.md, "Labels and pick lists"), where WeasyPrint's HTML/CSS route took ~0.2 s a
label here; the target is ≥ 50 labels/s on one core. Only the PDF standard fonts are used
(Helvetica), so nothing depends on fonts installed on the machine.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from conveyor.shipping.addresses import Address

LABEL_SIZE = (4 * inch, 6 * inch)
MARGIN = 0.15 * inch


@dataclass(frozen=True, slots=True)
class LabelData:
    tracking_number: str
    carrier_name: str
    service_name: str
    ship_from: Address
    ship_to: Address
    weight_grams: int
    reference: str = ""  # order / fulfilment order number
    ship_date: date | None = None
    package_number: int = 1
    package_count: int = 1


def format_weight(grams: int) -> str:
    return f"{grams / 1000:.2f} kg"


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest font size up to `size` at which `text` fits in `width`."""
    actual = canvas.stringWidth(text, font, size)
    return size if actual <= width else max(size * width / actual, 5.0)


def _block(canvas: Canvas, x: float, y: float, lines: list[str], size: float, width: float,
           bold_first: bool = False) -> float:
    """Draw lines downwards from `y`; returns the y below the block."""
    for i, line in enumerate(lines):
        font = "Helvetica-Bold" if bold_first and i == 0 else "Helvetica"
        canvas.setFont(font, _fit(canvas, line, font, size, width))
        canvas.drawString(x, y, line)
        y -= size * 1.2
    return y


def _barcode(canvas: Canvas, number: str, x: float, y: float, width: float, height: float) -> None:
    probe = Code128(number, barWidth=1.0, barHeight=height, humanReadable=False, quiet=True)
    bar_width = min(1.6, width / probe.width)
    code = Code128(number, barWidth=bar_width, barHeight=height, humanReadable=False, quiet=True)
    code.drawOn(canvas, x + (width - code.width) / 2, y)


def draw_label(canvas: Canvas, label: LabelData) -> None:
    """One label on the current page of `canvas` (4×6 in)."""
    page_w, page_h = LABEL_SIZE
    inner = page_w - 2 * MARGIN
    top = page_h - MARGIN
    canvas.setFont("Helvetica", 7)
    canvas.drawString(MARGIN, top - 7, "FROM:")
    y = _block(canvas, MARGIN + 30, top - 7, label.ship_from.lines(), 8, inner - 30)
    y = min(y, top - 60)
    canvas.line(MARGIN, y, page_w - MARGIN, y)
    canvas.setFont("Helvetica-Bold", 8)
    canvas.drawString(MARGIN, y - 12, "SHIP TO:")
    y = _block(canvas, MARGIN + 10, y - 30, label.ship_to.lines(), 13, inner - 10, bold_first=True)
    y -= 4
    canvas.line(MARGIN, y, page_w - MARGIN, y)
    service = f"{label.carrier_name} {label.service_name}".upper()
    canvas.setFont("Helvetica-Bold", _fit(canvas, service, "Helvetica-Bold", 20, inner))
    canvas.drawString(MARGIN, y - 24, service)
    details = [f"WEIGHT: {format_weight(label.weight_grams)}",
               f"PKG {label.package_number} OF {label.package_count}"]
    if label.ship_date:
        details.append(f"SHIP DATE: {label.ship_date.isoformat()}")
    canvas.setFont("Helvetica", 9)
    canvas.drawString(MARGIN, y - 40, "   ".join(details))
    if label.reference:
        canvas.drawString(MARGIN, y - 53, f"REF: {label.reference}")
    canvas.line(MARGIN, y - 62, page_w - MARGIN, y - 62)
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(MARGIN, 1.75 * inch, "TRACKING #")
    _barcode(canvas, label.tracking_number, MARGIN, 0.55 * inch, inner, 1.1 * inch)
    canvas.setFont("Helvetica-Bold", _fit(canvas, label.tracking_number, "Helvetica-Bold", 14, inner))
    # Printed unbroken so that what a person copies from the PDF is the number itself.
    canvas.drawCentredString(page_w / 2, 0.3 * inch, label.tracking_number)


def render_labels_pdf(labels: Iterable[LabelData], title: str = "Shipping labels") -> bytes:
    """A batch: one 4×6 page per label, in the given order."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LABEL_SIZE, pageCompression=1)
    canvas.setTitle(title)
    count = 0
    for label in labels:
        draw_label(canvas, label)
        canvas.showPage()
        count += 1
    if count == 0:
        raise ValueError("no labels to render")
    canvas.save()
    return buffer.getvalue()


def render_label_pdf(label: LabelData) -> bytes:
    return render_labels_pdf([label], title=f"Label {label.tracking_number}")
