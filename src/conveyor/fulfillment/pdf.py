"""Small drawing helpers shared by the warehouse documents (ReportLab canvas, standard fonts).

Only the PDF standard fonts are used, so documents render the same on any machine; they cover
Windows-1252 (Western European languages, €). Characters outside it are replaced rather than
drawn as empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

PAGE = A4
MARGIN = 15 * mm
_SPACES = {"\u202f": "\u00a0", "\u2009": " ", "\u2007": " "}  # Babel's French/Swiss spacing


def safe(text: str) -> str:
    """Text the standard fonts can show: typographic spaces become plain ones, anything outside
    Windows-1252 becomes "?"."""
    for char, plain in _SPACES.items():
        text = text.replace(char, plain)
    return text.encode("cp1252", errors="replace").decode("cp1252")


def fitted(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    actual = canvas.stringWidth(text, font, size)
    return size if actual <= width else max(size * width / actual, 4.0)


def text(canvas: Canvas, x: float, y: float, value: str, size: float = 9, bold: bool = False,
         width: float | None = None, right: bool = False) -> None:
    font = "Helvetica-Bold" if bold else "Helvetica"
    value = safe(value)
    canvas.setFont(font, fitted(canvas, value, font, size, width) if width else size)
    if right:
        canvas.drawRightString(x, y, value)
    else:
        canvas.drawString(x, y, value)


def barcode(canvas: Canvas, value: str, x: float, y: float, max_width: float, height: float) -> None:
    """A Code 128 barcode of `value`, narrowed to fit `max_width`, left-aligned at x."""
    if not value:
        return
    code = Code128(value, barWidth=0.9, barHeight=height, humanReadable=False, quiet=False)
    if code.width > max_width:
        code = Code128(value, barWidth=0.9 * max_width / code.width, barHeight=height, humanReadable=False,
                       quiet=False)
    code.drawOn(canvas, x, y)


class Document:
    """A paginated A4 document: `row(height)` gives the y of the next row, starting a new page
    (with the header drawn by `header`) when the current one is full."""

    def __init__(self, title: str, header: Callable[[Canvas, int], float]) -> None:
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=PAGE, pageCompression=1)
        self.canvas.setTitle(safe(title))
        self.header = header
        self.page = 1
        self.y = header(self.canvas, self.page)

    def row(self, height: float) -> float:
        if self.y - height < MARGIN + 10 * mm:
            self._footer()
            self.canvas.showPage()
            self.page += 1
            self.y = self.header(self.canvas, self.page)
        self.y -= height
        return self.y

    def _footer(self) -> None:
        text(self.canvas, PAGE[0] - MARGIN, MARGIN, f"{self.page}", size=8, right=True)

    def finish(self) -> bytes:
        self._footer()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()
