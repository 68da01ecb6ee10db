"""`conveyor fulfil …`: the warehouse floor from a terminal — release, pick lists, packing with a
USB scanner (it types the code and Enter), labels, shipping, tracking files, manifests, 3PL."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from conveyor.cli.common import container, fail
from conveyor.shared.errors import DomainError

app = typer.Typer(help="Fulfilment and shipping: release, pick, pack, label, ship, track, manifest, 3PL")
console = Console(width=160)


def _done(action):  # noqa: ANN001, ANN202 - run an action, print a domain error plainly
    try:
        return action()
    except DomainError as exc:
        fail(exc)


@app.command("list")
def list_(location: str = typer.Option(None), status: str = typer.Option(None), limit: int = 50) -> None:
    """Fulfilment orders, newest first."""
    from conveyor.fulfillment.service import list_fulfilment_orders
    from conveyor.inventory.locations import resolve_location

    c = container()
    with c.reader() as uow:
        location_id = _done(lambda: resolve_location(uow, location).id) if location else None
        page = list_fulfilment_orders(uow, location_id=location_id, status=status, limit=limit)
        table = Table("fulfilment order", "order", "status", "units", "tracking")
        for fo in page.items:
            table.add_row(fo.id, fo.order_id, fo.status, str(sum(li.quantity for li in fo.lines)), fo.tracking_number)
    console.print(table)


@app.command()
def release(fulfilment_orders: list[str]) -> None:
    """Release fulfilment orders to the floor by hand."""
    from conveyor.fulfillment.handlers import release as do_release

    c = container()
    for fo_id in fulfilment_orders:
        fo = _done(lambda fo_id=fo_id: do_release(c, fo_id, "cli"))
        console.print(f"{fo.id}: {fo.status}")


@app.command("release-due")
def release_due() -> None:
    """Apply every location's release rules now (the worker does it continuously)."""
    from conveyor.fulfillment.handlers import auto_release

    console.print(f"released: {', '.join(auto_release(container(), actor='cli')) or 'nothing due'}")


@app.command("pick-list")
def pick_list(location: str, max_orders: int = 20, out: Path = typer.Option(Path("."), help="folder for PDFs")) -> None:
    """Pick lists (waves) of a location's released fulfilment orders, saved as PDFs."""
    from conveyor.fulfillment import waves
    from conveyor.fulfillment.documents import render_pick_list_pdf
    from conveyor.fulfillment.handlers import create_pick_lists

    lists = _done(lambda: create_pick_lists(container(), location, "cli", max_orders=max_orders))
    for row in lists:
        path = out / f"{row.id}.pdf"
        path.write_bytes(render_pick_list_pdf(waves.from_document(row.document)))
        console.print(f"{row.id}: {len(row.document['stops'])} stops → {path}")


@app.command()
def picked(pick_list_id: str, short: list[str] = typer.Option([], help="SKU@BIN=QTY picked where short")) -> None:
    """Confirm a pick list: everything picked, except the stops given with --short."""
    from conveyor.fulfillment import waves
    from conveyor.fulfillment.handlers import confirm_picks

    c = container()
    with c.reader() as uow:
        stops = waves.from_document(waves.get_pick_list(uow, pick_list_id).document).stops
    counts = {(s.bin, s.sku): s.quantity for s in stops}
    for item in short:
        where, _, qty = item.partition("=")
        sku, _, bin_name = where.partition("@")
        counts[(bin_name, sku)] = int(qty)
    report = _done(lambda: confirm_picks(c, pick_list_id, counts, "cli"))
    for s in report.shorts:
        console.print(f"short: {s.sku} at {s.bin or 'no bin'} {s.picked}/{s.requested} ({s.fulfillment_order}): "
                      "re-routed")
    console.print(f"{pick_list_id}: confirmed")


@app.command()
def pack(fulfilment_order: str) -> None:
    """Scan units into the open package: one code per line (a USB scanner types code + Enter).
    An empty line ends the session. Wrong items are refused with a message."""
    from conveyor.fulfillment.handlers import scan

    c = container()
    console.print("scan items (empty line to stop)")
    for line in sys.stdin:
        code = line.strip()
        if not code:
            break
        try:
            console.print(f"[green]{scan(c, fulfilment_order, code, 'cli').message}[/green]")
        except DomainError as exc:
            console.print(f"[red]{exc.detail}[/red]")


@app.command()
def package(fulfilment_order: str, weight: int = typer.Option(..., help="grams"), box: str = typer.Option(None),
            length: int = typer.Option(None), width: int = typer.Option(None),
            height: int = typer.Option(None)) -> None:
    """Close the open package with its weight (and a box code or its dimensions in mm)."""
    from conveyor.fulfillment.handlers import close_package

    p = _done(lambda: close_package(container(), fulfilment_order, "cli", weight_grams=weight, box_code=box,
                                    length_mm=length, width_mm=width, height_mm=height))
    console.print(f"package {p.number} closed: {p.weight_grams} g, {p.length_mm}×{p.width_mm}×{p.height_mm} mm")


@app.command()
def slip(fulfilment_order: str, out: Path, language: str = typer.Option(None)) -> None:
    """The packing slip PDF (the order's language unless --language)."""
    from conveyor.fulfillment import packing_flow, service

    c = container()
    with c.reader() as uow:
        out.write_bytes(_done(lambda: packing_flow.packing_slip(uow, service.get(uow, fulfilment_order), language)))
    console.print(f"→ {out}")


@app.command()
def rates(fulfilment_order: str) -> None:
    """Services that can take the packed parcels: meeting the promise first, then cheapest."""
    from conveyor.fulfillment.handlers import rate_options

    table = Table("carrier", "service", "price", "delivers", "meets promise")
    for o in _done(lambda: rate_options(container(), fulfilment_order)):
        table.add_row(o.carrier, o.service, f"{o.price.minor / 100:.2f} {o.price.currency}", str(o.delivery_date),
                      "-" if o.meets_promise is None else str(o.meets_promise))
    console.print(table)


@app.command()
def label(fulfilment_order: str, carrier: str = typer.Option(None), service: str = typer.Option(None),
          out: Path = typer.Option(Path("."), help="folder for the label PDFs")) -> None:
    """Buy a label per package (cheapest meeting the promise unless --carrier/--service)."""
    from conveyor.fulfillment.handlers import buy_labels

    for lb in _done(lambda: buy_labels(container(), fulfilment_order, "cli", carrier, service)):
        path = out / f"{lb.tracking_number}.pdf"
        path.write_bytes(lb.label_pdf)
        console.print(f"{lb.carrier} {lb.service} {lb.tracking_number} → {path}")


@app.command()
def reprint(label_id: str, out: Path, zpl: bool = typer.Option(False, help="ZPL for a thermal printer")) -> None:
    from conveyor.shipping.service import get_label

    c = container()
    with c.reader() as uow:
        lb = _done(lambda: get_label(uow, label_id))
    if zpl:
        out.write_text(lb.label_zpl or "")
    else:
        out.write_bytes(lb.label_pdf)
    console.print(f"→ {out}")


@app.command()
def void(label_id: str) -> None:
    from conveyor.fulfillment.handlers import void_label

    lb = _done(lambda: void_label(container(), label_id, "cli"))
    console.print(f"{lb.tracking_number}: {lb.status} ({lb.void_status})")


@app.command()
def ship(fulfilment_order: str) -> None:
    """Hand a packed, labelled fulfilment order to the carrier."""
    from conveyor.fulfillment.handlers import ship as do_ship

    fo = _done(lambda: do_ship(container(), fulfilment_order, "cli"))
    console.print(f"{fo.id}: {fo.status} ({fo.carrier} {fo.tracking_number})")


@app.command()
def track(file: Path) -> None:
    """Import tracking events from a CSV (docs/shipping.md, "CSV format")."""
    from conveyor.fulfillment.handlers import ingest_tracking
    from conveyor.shipping.tracking_events import parse_events_csv

    parsed = parse_events_csv(file.read_text("utf-8-sig"))
    result = _done(lambda: ingest_tracking(container(), parsed.events, "cli"))
    console.print(f"{result.stored} new of {result.received}; delivered: {len(result.delivered)}, "
                  f"exceptions: {len(result.exceptions)}, late: {len(result.late)}, unmatched: {len(result.unmatched)}")
    for error in parsed.errors:
        console.print(f"[yellow]line {error.row}: {error.message}[/yellow]")


@app.command()
def manifest(location: str, carrier: str, out: Path, day: str = typer.Option(None, "--date"),
             pdf: bool = typer.Option(False, help="PDF instead of CSV")) -> None:
    """The end-of-day manifest of one carrier at a location (default today)."""
    from conveyor.fulfillment.end_of_day import manifests
    from conveyor.fulfillment.manifest import manifest_csv, render_manifest_pdf
    from conveyor.inventory.locations import resolve_location

    c = container()
    when = date.fromisoformat(day) if day else datetime.now(UTC).date()
    with c.reader() as uow:
        loc = _done(lambda: resolve_location(uow, location))
        found = manifests(uow, when, loc.id, carrier)
    if not found:
        console.print(f"nothing shipped with {carrier} from {location} on {when}")
        raise typer.Exit(1)
    if pdf:
        out.write_bytes(render_manifest_pdf(found[0], carrier.upper(), loc.name))
    else:
        out.write_text(manifest_csv(found[0]))
    console.print(f"{found[0].total_packages} package(s) → {out}")


@app.command("seed-carriers")
def seed_carriers() -> None:
    """Store the demo carriers again (a new database has them already)."""
    from conveyor.fulfillment.handlers import seed_demo_carriers

    console.print(f"added: {', '.join(seed_demo_carriers(container())) or 'none (all present)'}")


@app.command()
def bins(location: str, file: Path) -> None:
    """Assign SKUs to bins from a CSV with columns sku,bin."""
    from conveyor.fulfillment.handlers import assign_bins

    with file.open(newline="", encoding="utf-8-sig") as f:
        rows = {r["sku"].strip(): r["bin"].strip() for r in csv.DictReader(f)}
    console.print(f"assigned {_done(lambda: assign_bins(container(), location, rows))} SKU(s)")


@app.command("3pl-requests")
def tpl_requests(location: str, out: Path) -> None:
    """Open fulfilment requests of a 3PL as CSV."""
    from conveyor.fulfillment.tpl import requests_csv
    from conveyor.inventory.locations import resolve_location

    c = container()
    with c.reader() as uow:
        out.write_text(_done(lambda: requests_csv(uow, resolve_location(uow, location).id)))
    console.print(f"→ {out}")


@app.command("3pl-snapshot")
def tpl_snapshot(location: str, file: Path) -> None:
    """Compare a 3PL stock report (CSV: sku,on_hand) with the ledger; lists the discrepancies."""
    from conveyor.fulfillment.handlers import record_3pl_snapshot

    with file.open(newline="", encoding="utf-8-sig") as f:
        counts = {r["sku"].strip(): int(r["on_hand"]) for r in csv.DictReader(f)}
    snapshot = _done(lambda: record_3pl_snapshot(container(), location, datetime.now(UTC), counts, "cli"))
    console.print(f"{snapshot.id}: {snapshot.discrepancies} discrepancy(ies); see `conveyor fulfil discrepancies`")


@app.command()
def discrepancies(location: str = typer.Option(None)) -> None:
    from conveyor.fulfillment.tpl import list_discrepancies
    from conveyor.inventory.locations import resolve_location

    c = container()
    table = Table("id", "sku", "ledger", "3PL", "difference")
    with c.reader() as uow:
        location_id = _done(lambda: resolve_location(uow, location).id) if location else None
        for d in list_discrepancies(uow, location_id):
            table.add_row(d.id, d.sku_code, str(d.ledger_on_hand), str(d.reported_on_hand), f"{d.difference:+d}")
    console.print(table)


@app.command()
def resolve(discrepancy_id: str, action: str = typer.Option(..., help="adjust or dismiss"), note: str = "") -> None:
    """Resolve a 3PL discrepancy: adjust the ledger to the 3PL's count, or dismiss it."""
    from conveyor.fulfillment.handlers import resolve_discrepancy

    d = _done(lambda: resolve_discrepancy(container(), discrepancy_id, action, note, "cli"))
    console.print(f"{d.id}: {d.status}")
