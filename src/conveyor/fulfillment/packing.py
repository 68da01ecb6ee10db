"""Scan-to-verify packing: every unit that goes into a box is scanned, and a wrong item is
refused with a message the packer can act on.

A USB barcode scanner is a keyboard: it types the code and presses Enter. So `scan` takes the
typed text as it arrives (surrounding whitespace and the Enter's CR/LF are ignored). A code
matches an order line by any of its barcodes — the SKU code (case-insensitive) or a GTIN
(UPC-A, EAN-13, EAN-8, GTIN-14, compared as GTIN-14 so a UPC-A scan matches the EAN-13 on file).

The session is plain state (no database): the lead stores `packed` and the packages and rebuilds
a session with them on the next scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from conveyor.shared.errors import ValidationFailed

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> str:
    """GS1 mod 10 over the digits before the check digit (weight 3 on the rightmost)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def is_valid_gtin(code: str) -> bool:
    return code.isdigit() and len(code) in GTIN_LENGTHS and gtin_check_digit(code[:-1]) == code[-1]


def as_gtin14(code: str) -> str | None:
    """A valid GTIN-8/12/13/14 as 14 digits, or None. A GS1 element string "(01)…" or "01…"
    with 14 digits after the AI (what some scanners send for GS1-128/DataMatrix) is unwrapped."""
    digits = code.replace("(", "").replace(")", "")
    if digits.startswith("01") and len(digits) >= 16 and digits[2:16].isdigit() and not is_valid_gtin(digits):
        digits = digits[2:16]
    return digits.zfill(14) if is_valid_gtin(digits) else None


@dataclass(frozen=True, slots=True)
class PackLine:
    line_id: str
    sku: str
    quantity: int
    barcodes: tuple[str, ...] = ()  # GTINs; the SKU code always counts as a barcode too
    description: str = ""


@dataclass(frozen=True, slots=True)
class ScanResult:
    accepted: bool
    outcome: str  # accepted | not_in_order | already_packed | unknown_barcode | bad_check_digit | empty
    message: str  # shown to the packer as is
    code: str
    line_id: str | None = None
    sku: str | None = None
    packed: int = 0
    expected: int = 0


@dataclass(slots=True)
class Package:
    number: int
    lines: dict[str, int] = field(default_factory=dict)  # line id -> units in this package
    box_code: str | None = None
    weight_grams: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None


def _key(code: str) -> str:
    """How a barcode is compared: GTINs as GTIN-14, anything else upper-cased."""
    return as_gtin14(code) or code.upper()


class PackingSession:
    """Scan-to-verify for one fulfilment order.

    `catalog` maps barcodes of every product the merchant has (SKU codes, GTINs) to the SKU, so
    a known product that is not in this order is told apart from a barcode nobody knows."""

    def __init__(self, lines: Iterable[PackLine], catalog: Mapping[str, str] | None = None,
                 packed: Mapping[str, int] | None = None, packages: Iterable[Package] = ()) -> None:
        self.lines = {line.line_id: line for line in lines}
        self.packed = {line_id: 0 for line_id in self.lines} | dict(packed or {})
        self.packages = list(packages) or [Package(1)]
        self._by_code: dict[str, list[PackLine]] = {}
        for line in self.lines.values():
            for code in {_key(line.sku), *(_key(b) for b in line.barcodes)}:
                self._by_code.setdefault(code, []).append(line)
        self._catalog = {_key(code): sku for code, sku in (catalog or {}).items()}

    @property
    def current(self) -> Package:
        return self.packages[-1]

    def remaining(self) -> dict[str, int]:
        return {i: line.quantity - self.packed[i] for i, line in self.lines.items() if line.quantity > self.packed[i]}

    @property
    def complete(self) -> bool:
        return not self.remaining()

    def scan(self, typed: str) -> ScanResult:
        """One scan (or typed code + Enter): accept one unit into the current package, or refuse."""
        code = typed.strip()
        if not code:
            return ScanResult(False, "empty", "Nothing was scanned.", code)
        candidates = self._by_code.get(_key(code))
        if candidates is None:
            return self._refuse(code)
        for line in candidates:  # the same barcode may sit on two lines (e.g. a gift copy)
            if self.packed[line.line_id] < line.quantity:
                return self._accept(code, line)
        line = candidates[0]
        done = sum(self.packed[c.line_id] for c in candidates)
        wanted = sum(c.quantity for c in candidates)
        return ScanResult(False, "already_packed", f"{line.sku} is already fully packed ({done} of {wanted}).",
                          code, line.line_id, line.sku, done, wanted)

    def _accept(self, code: str, line: PackLine) -> ScanResult:
        self.packed[line.line_id] += 1
        self.current.lines[line.line_id] = self.current.lines.get(line.line_id, 0) + 1
        done = self.packed[line.line_id]
        return ScanResult(True, "accepted", f"OK: {line.sku} ({done} of {line.quantity} packed).",
                          code, line.line_id, line.sku, done, line.quantity)

    def _refuse(self, code: str) -> ScanResult:
        digits = code.replace("(", "").replace(")", "")
        sku = self._catalog.get(_key(code))
        if sku is not None:
            return ScanResult(False, "not_in_order", f"Wrong item: {sku} is not in this order.", code, sku=sku)
        if digits.isdigit() and len(digits) in GTIN_LENGTHS and not is_valid_gtin(digits):
            return ScanResult(False, "bad_check_digit",
                              f"Barcode {code} has a wrong check digit (misread?): scan it again.", code)
        return ScanResult(False, "unknown_barcode", f"Unknown barcode {code}: no product has it.", code)

    def unpack(self, line_id: str) -> None:
        """Take one unit of a line back out of the current package (a mis-scan)."""
        if self.current.lines.get(line_id, 0) <= 0:
            raise ValidationFailed(f"line {line_id!r} has no unit in package {self.current.number}")
        self.current.lines[line_id] -= 1
        if not self.current.lines[line_id]:
            del self.current.lines[line_id]
        self.packed[line_id] -= 1

    def close_package(self, weight_grams: int, length_mm: int, width_mm: int, height_mm: int,
                      box_code: str | None = None) -> Package:
        """Record the current package's measured weight and dimensions and start a new one."""
        if not self.current.lines:
            raise ValidationFailed("the current package is empty")
        if min(weight_grams, length_mm, width_mm, height_mm) <= 0:
            raise ValidationFailed("a package needs a positive weight and dimensions")
        package = self.current
        package.weight_grams, package.box_code = weight_grams, box_code
        package.length_mm, package.width_mm, package.height_mm = length_mm, width_mm, height_mm
        self.packages.append(Package(package.number + 1))
        return package

    def closed_packages(self) -> list[Package]:
        return [p for p in self.packages if p.weight_grams is not None]
