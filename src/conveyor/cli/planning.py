"""CLI for buy and plan: `conveyor plan …` (forecasts, suggestions, replenishment, alerts),
`conveyor po …` (purchase orders: list, send, receive, close) and `conveyor report sales`."""

from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from conveyor.cli.common import container, fail
from conveyor.shared.errors import DomainError

plan_app = typer.Typer(help="Forecasts, replenishment and alerts", no_args_is_help=True)
po_app = typer.Typer(help="Purchase orders", no_args_is_help=True)
report_app = typer.Typer(help="Reports", no_args_is_help=True)
console = Console()


@plan_app.command("forecast")
def forecast() -> None:
    """Forecast every SKU×location from its order history and store the results."""
    from conveyor.planning.handlers import run_forecasts

    done = run_forecasts(container())
    console.print(f"{done.series} series forecast from {done.starts_on}: {done.methods}")


@plan_app.command("suggestions")
def suggestions(csv_file: Path = typer.Option(None, "--csv", help="also write the lines to this CSV file")) -> None:
    """Suggested purchase orders, grouped by supplier."""
    from conveyor.catalog.service import sku_codes
    from conveyor.purchasing.review import review
    from conveyor.shared.clock import utcnow

    with container().reader() as uow:
        found = review(uow, utcnow().date()).suggestions()
        codes = sku_codes(uow, [li.sku_id for o in found.orders for li in o.lines])
    table = Table("supplier", "location", "sku", "needed", "order", "line total", "reason")
    rows = []
    for o in found.orders:
        for li in o.lines:
            table.add_row(o.supplier_id, o.location_id, codes[li.sku_id], str(li.needed), str(li.quantity),
                          str(li.line_total), li.reason)
            rows.append([o.supplier_id, o.location_id, codes[li.sku_id], li.needed, li.quantity,
                         li.line_total.amount, o.currency, li.reason])
    console.print(table)
    if found.unsourced:
        console.print(f"{len(found.unsourced)} item(s) need stock but have no supplier")
    if csv_file:
        with csv_file.open("w", newline="") as f:
            csv.writer(f).writerows([["supplier", "location", "sku", "needed", "quantity", "line_total", "currency",
                                      "reason"], *rows])


@plan_app.command("replenish")
def replenish(send: bool = typer.Option(False, help="send the POs to the suppliers at once")) -> None:
    """Create the suggested purchase orders now."""
    from conveyor.purchasing.handlers import auto_replenish

    created = auto_replenish(container(), actor="cli", send=send)
    assert isinstance(created, list)
    for po in created:
        console.print(f"{po.number} {po.status} {len(po.lines)} line(s)")
    console.print(f"{len(created)} purchase order(s) created")


@plan_app.command("alerts")
def alerts() -> None:
    """Low-stock, overstock and out-of-stock alerts."""
    from conveyor.purchasing.review import review
    from conveyor.shared.clock import utcnow

    with container().reader() as uow:
        found = review(uow, utcnow().date()).alerts()
    for a in found:
        console.print(f"{a.kind:13} {a.sku_id} @ {a.location_id}: {a.reason}")
    console.print(f"{len(found)} alert(s)")


@po_app.command("list")
def po_list(status: str = typer.Option(None), limit: int = 50) -> None:
    from conveyor.purchasing.purchase_orders import list_purchase_orders
    from conveyor.shared.money import format_minor

    with container().reader() as uow:
        page = list_purchase_orders(uow, limit, None, status)
        table = Table("number", "id", "status", "kind", "lines", "total", "expected")
        for po in page.items:
            table.add_row(po.number, po.id, po.status, po.kind, str(len(po.lines)),
                          f"{format_minor(po.total_minor, po.currency)} {po.currency}", str(po.expected_on or ""))
    console.print(table)


@po_app.command("send")
def po_send(po: str) -> None:
    from conveyor.purchasing.handlers import send_purchase_order

    try:
        sent = send_purchase_order(container(), po, actor="cli")
    except DomainError as exc:
        fail(exc)
    console.print(f"{sent.number} sent (expected {sent.expected_on})")


@po_app.command("receive")
def po_receive(po: str, lines: list[str] = typer.Argument(..., help="SKU=QTY or SKU=QTY/DAMAGED"),
               location: str = typer.Option(None)) -> None:
    """Count a delivery in; waiting orders are allocated in the same transaction."""
    from conveyor.purchasing.handlers import receive
    from conveyor.purchasing.receiving import ReceiptLineInput

    parsed = []
    for item in lines:
        sku, _, qty = item.partition("=")
        arrived, _, damaged = qty.partition("/")
        if not sku or not arrived.isdigit() or (damaged and not damaged.isdigit()):
            console.print(f"[red]error:[/red] {item!r} is not SKU=QTY or SKU=QTY/DAMAGED")
            raise typer.Exit(2)
        parsed.append(ReceiptLineInput(sku, int(arrived), int(damaged or 0)))
    try:
        receipt = receive(container(), po, parsed, actor="cli", location=location)
    except DomainError as exc:
        fail(exc)
    console.print(f"receipt {receipt.id}: {sum(li['accepted'] for li in receipt.lines)} unit(s) into stock, "
                  f"{len(receipt.allocated_orders)} waiting order(s) allocated")


@po_app.command("close")
def po_close(po: str, reason: str = "") -> None:
    from conveyor.purchasing.handlers import close_purchase_order

    try:
        closed = close_purchase_order(container(), po, actor="cli", reason=reason)
    except DomainError as exc:
        fail(exc)
    console.print(f"{closed.number} closed")


@report_app.command("sales")
def report_sales(start: str = typer.Option(..., help="YYYY-MM-DD (inclusive)"),
                 end: str = typer.Option(..., help="YYYY-MM-DD (exclusive)"),
                 by: str = "total", grain: str = "month", currency: str = typer.Option(None)) -> None:
    """Sales and revenue per period (and channel / sku / location), as CSV on standard output."""
    from conveyor.planning.kpis import money_text
    from conveyor.planning.reports import sales

    c = container()
    base = currency or c.settings.report_currency
    try:
        with c.reader() as uow:
            points = sales(uow, date.fromisoformat(start), date.fromisoformat(end), by, grain, base)
    except DomainError as exc:
        fail(exc)
    out = csv.writer(sys.stdout)
    out.writerow(["period", by, "orders", "units", "revenue", "average_order_value", "currency"])
    for p in points:
        out.writerow([p.period, p.key, p.orders, p.units, money_text(p.revenue_minor, base),
                      money_text(p.average_order_minor, base), base])


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
    app.add_typer(po_app, name="po")
    app.add_typer(report_app, name="report")
