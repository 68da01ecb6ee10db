"""End-of-day manifest: every shipment a carrier collects from one location on one day, as a
CSV (for the carrier's upload or the merchant's records) and a PDF the driver signs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from conveyor.fulfillment.pdf import MARGIN, PAGE, Document, text
from conveyor.shared.money import format_minor
from conveyor.shipping.addresses import Address

CSV_COLUMNS = ("ship_date", "carrier", "location", "tracking_number", "service", "reference", "recipient",
               "city", "postal_code", "country", "packages", "weight_kg", "cost", "currency")


@dataclass(frozen=True, slots=True)
class ManifestShipment:
    carrier: str
    location: str
    ship_date: date
    tracking_number: str
    service: str
    reference: str
    ship_to: Address
    weight_grams: int
    packages: int = 1
    cost_minor: int | None = None
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class Manifest:
    carrier: str
    location: str
    ship_date: date
    shipments: tuple[ManifestShipment, ...]

    @property
    def total_packages(self) -> int:
        return sum(s.packages for s in self.shipments)

    @property
    def total_weight_grams(self) -> int:
        return sum(s.weight_grams for s in self.shipments)


def build_manifests(shipments: Iterable[ManifestShipment]) -> list[Manifest]:
    """One manifest per (carrier, location, ship date), shipments in tracking-number order."""
    groups: dict[tuple[str, str, date], list[ManifestShipment]] = {}
    for shipment in shipments:
        groups.setdefault((shipment.carrier, shipment.location, shipment.ship_date), []).append(shipment)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1]))  # day, carrier, location
    return [Manifest(carrier, location, day, tuple(sorted(group, key=lambda s: s.tracking_number)))
            for (carrier, location, day), group in ordered]


def _kg(grams: int) -> str:
    return f"{grams / 1000:.3f}"


def manifest_csv(manifest: Manifest) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in manifest.shipments:
        cost = "" if s.cost_minor is None else format_minor(s.cost_minor, s.currency)
        writer.writerow([s.ship_date.isoformat(), s.carrier, s.location, s.tracking_number, s.service, s.reference,
                         s.ship_to.name, s.ship_to.city, s.ship_to.postal_code, s.ship_to.country, s.packages,
                         _kg(s.weight_grams), cost, s.currency if s.cost_minor is not None else ""])
    return out.getvalue()


def render_manifest_pdf(manifest: Manifest, carrier_name: str = "", location_name: str = "") -> bytes:
    width = PAGE[0]
    columns = ((0, "Tracking number"), (58, "Service"), (88, "Reference"), (113, "Recipient"),
               (158, "Pkgs"), (168, "kg"))

    def header(canvas: Canvas, page: int) -> float:
        top = PAGE[1] - MARGIN
        text(canvas, MARGIN, top - 14, f"Manifest — {carrier_name or manifest.carrier}", size=16, bold=True)
        text(canvas, MARGIN, top - 30, f"Location {location_name or manifest.location} · ship date "
             f"{manifest.ship_date.isoformat()} · {len(manifest.shipments)} shipments · "
             f"{manifest.total_packages} packages · {_kg(manifest.total_weight_grams)} kg", size=9)
        y = top - 50
        for offset, title in columns:
            text(canvas, MARGIN + offset * mm, y, title, size=8, bold=True)
        canvas.line(MARGIN, y - 3, width - MARGIN, y - 3)
        return y - 4

    doc = Document(f"Manifest {manifest.carrier} {manifest.location} {manifest.ship_date}", header)
    for s in manifest.shipments:
        y = doc.row(13)
        recipient = f"{s.ship_to.name}, {s.ship_to.postal_code} {s.ship_to.city} {s.ship_to.country}"
        values = (s.tracking_number, s.service, s.reference, recipient, str(s.packages), _kg(s.weight_grams))
        widths = (57, 29, 24, 44, 9, 15)
        for (offset, _), value, w in zip(columns, values, widths, strict=True):
            text(doc.canvas, MARGIN + offset * mm, y, value, size=8, width=w * mm)
    y = doc.row(60)
    text(doc.canvas, MARGIN, y + 36, f"Total: {len(manifest.shipments)} shipments, {manifest.total_packages} "
         f"packages, {_kg(manifest.total_weight_grams)} kg", size=10, bold=True)
    text(doc.canvas, MARGIN, y + 8, "Received by (driver): ______________________   Signature: ______________"
         "   Time: ________", size=9)
    return doc.finish()
