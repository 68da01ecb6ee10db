"""The 4×6 label as ZPL II for Zebra-compatible thermal printers (203 dpi: 812 × 1218 dots).

A text template, filled field by field. Field data goes through `^FH` hex escapes so a caret,
tilde or underscore in an address cannot end a field or start a command; `^CI28` makes the
printer read the escaped bytes as UTF-8 (ZPL II programming guide: ^FH, ^CI, ^BC, ^BY).
"""

from __future__ import annotations

from collections.abc import Iterable

from conveyor.shipping.labels import LabelData, format_weight

DOTS_WIDE = 812


def escape(text: str) -> str:
    """Field data for use after `^FH_`: control characters of ZPL become _XX hex escapes."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if byte < 0x20 or char in "^~_\\" or byte >= 0x80:
            out.append(f"_{byte:02X}")
        else:
            out.append(char)
    return "".join(out)


def _text(x: int, y: int, height: int, text: str, bold: bool = False) -> str:
    # The scalable font 0 has no bold face: a wider glyph box is the customary stand-in.
    width = int(height * 1.1) if bold else height
    return f"^FO{x},{y}^A0N,{height},{width}^FB{DOTS_WIDE - x - 30},1,0,L^FH_^FD{escape(text)}^FS"


def _lines(x: int, y: int, height: int, lines: list[str], bold_first: bool = False) -> tuple[list[str], int]:
    commands = []
    for i, line in enumerate(lines):
        commands.append(_text(x, y, height, line, bold=bold_first and i == 0))
        y += int(height * 1.25)
    return commands, y


def render_label_zpl(label: LabelData) -> str:
    """One label as a ZPL document (^XA … ^XZ)."""
    if not label.tracking_number.isalnum() or not label.tracking_number.isascii():
        raise ValueError(f"tracking number {label.tracking_number!r} is not plain letters and digits")
    cmds = ["^XA", "^CI28", "^PW812", "^LL1218", "^LH0,0"]
    cmds.append(_text(30, 30, 22, "FROM:"))
    block, y = _lines(110, 30, 22, label.ship_from.lines())
    cmds += block
    y = max(y, 170) + 10
    cmds.append(f"^FO30,{y}^GB752,3,3^FS")
    cmds.append(_text(30, y + 20, 26, "SHIP TO:", bold=True))
    block, y = _lines(60, y + 60, 40, label.ship_to.lines(), bold_first=True)
    cmds += block
    cmds.append(f"^FO30,{y + 10}^GB752,3,3^FS")
    cmds.append(_text(30, y + 35, 56, f"{label.carrier_name} {label.service_name}".upper(), bold=True))
    details = f"WEIGHT: {format_weight(label.weight_grams)}   PKG {label.package_number} OF {label.package_count}"
    if label.ship_date:
        details += f"   SHIP DATE: {label.ship_date.isoformat()}"
    cmds.append(_text(30, y + 105, 26, details))
    if label.reference:
        cmds.append(_text(30, y + 140, 26, f"REF: {label.reference}"))
    cmds.append(f"^FO30,{y + 180}^GB752,3,3^FS")
    cmds.append(_text(30, 830, 26, "TRACKING #", bold=True))
    # Code 128, automatic subset selection (mode A), interpretation line printed below.
    cmds.append(f"^FO60,870^BY3,3,230^BCN,230,Y,N,N,A^FD{label.tracking_number}^FS")
    cmds.append("^PQ1")
    cmds.append("^XZ")
    return "\n".join(cmds) + "\n"


def render_labels_zpl(labels: Iterable[LabelData]) -> str:
    """A batch is simply the documents one after another; the printer feeds one label each."""
    return "".join(render_label_zpl(label) for label in labels)
