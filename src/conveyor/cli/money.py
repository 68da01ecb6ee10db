"""CLI for money: `conveyor payments …` (an order's payments, the upkeep jobs by hand) and
`conveyor billing …` (the day's journal as CSV or QuickBooks IIF, an invoice's PDF)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from conveyor.cli.common import container, fail
from conveyor.shared.errors import DomainError

payments_app = typer.Typer(help="Payments: list, retry unknown outcomes, renew authorizations", no_args_is_help=True)
billing_app = typer.Typer(help="Invoices, credit notes and the accounting export", no_args_is_help=True)
console = Console()


@payments_app.command("list")
def list_payments(order_id: str) -> None:
    """An order's payments and what each attempt did."""
    from conveyor.payments import service, views

    try:
        with container().reader() as uow:
            rendered = [views.render_payment(uow, p) for p in service.order_payments(uow, order_id)]
    except DomainError as exc:
        fail(exc)
    table = Table("payment", "provider", "status", "authorized", "captured", "refunded", "attempts")
    for p in rendered:
        steps = ", ".join(f"{a['operation']} {a['outcome']}" for a in p["attempts"])
        table.add_row(p["id"], p["provider"], p["status"], p["authorized"], p["captured"], p["refunded"], steps)
    console.print(table)


@payments_app.command("upkeep")
def upkeep() -> None:
    """Run the worker's payment jobs once: ask again about unknown outcomes, renew or flag expiring holds."""
    from conveyor.payments.handlers import renew_authorizations, retry_unknown_payments
    from conveyor.shared.clock import utcnow

    c, now = container(), utcnow()
    console.print(f"asked again: {retry_unknown_payments(c, now)}; renewed or flagged: {renew_authorizations(c, now)}")


@billing_app.command("journal")
def journal(day: str = typer.Option(..., help="YYYY-MM-DD, the seller's day"),
            currency: str = typer.Option("USD"),
            format: str = typer.Option("csv", help="csv or iif"),
            out: Path | None = typer.Option(None, help="write here instead of standard output")) -> None:
    """The day's balanced journal (sales, tax, shipping, refunds, cost of goods)."""
    from conveyor.billing.api import unit_costs
    from conveyor.billing.export import journal_csv, journal_iif
    from conveyor.billing.journal import journal_for

    if format not in ("csv", "iif"):
        raise typer.BadParameter("csv or iif", param_hint="--format")
    try:
        with container().reader() as uow:
            result = journal_for(uow, date.fromisoformat(day), currency, unit_costs(uow, currency))
    except (DomainError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    text = journal_csv(result.journal) if format == "csv" else journal_iif(result.journal)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, newline="")
        console.print(f"{len(result.journal.entries)} entries written to {out}")
    if result.missing_costs:
        console.print(f"[yellow]no unit cost for:[/yellow] {', '.join(result.missing_costs)}", style="dim")


@billing_app.command("pdf")
def document_pdf(document_id: str, out: Path) -> None:
    """Write an invoice (inv_…) or credit note (crn_…) as a PDF."""
    from conveyor.billing import service
    from conveyor.billing.documents import render_pdf

    try:
        with container().reader() as uow:
            record = (service.get_credit_note(uow, document_id) if document_id.startswith("crn_")
                      else service.get_invoice(uow, document_id))
            out.write_bytes(render_pdf(service.document_of(record)))
    except DomainError as exc:
        fail(exc)
    console.print(f"{record.number} written to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(payments_app, name="payments")
    app.add_typer(billing_app, name="billing")
