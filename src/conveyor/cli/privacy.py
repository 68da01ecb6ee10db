"""`conveyor customers export|erase`: data-subject requests from the command line (the same
handlers as POST /api/v1/customers/export and /erase)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from conveyor.cli.common import container, fail
from conveyor.shared.errors import DomainError

customers_app = typer.Typer(help="Customers' personal data: export and erasure", no_args_is_help=True)
console = Console()


@customers_app.command("export")
def export(email: str = typer.Option("", help="the person's e-mail address"),
           phone: str = typer.Option("", help="the person's phone number"),
           out: Path = typer.Option(None, help="write the JSON here (default: standard output)")) -> None:
    """Everything held about one person, as JSON."""
    from conveyor.privacy.handlers import export_person

    try:
        document = export_person(container(), email, phone)
    except DomainError as exc:
        fail(exc)
    text = json.dumps(document, indent=2, default=str)
    if out:
        out.write_text(text + "\n")
        console.print(f"{len(document['orders'])} order(s) exported to {out}")
    else:
        typer.echo(text)


@customers_app.command("erase")
def erase(email: str = typer.Option("", help="the person's e-mail address"),
          phone: str = typer.Option("", help="the person's phone number"),
          reason: str = typer.Option(..., help="why, for the record (e.g. the ticket number)"),
          yes: bool = typer.Option(False, "--yes", help="confirm: erasure cannot be undone")) -> None:
    """Anonymise the person everywhere; order lines, totals and the ledger stay."""
    from conveyor.privacy.handlers import erase_person

    if not yes:
        console.print("[red]error:[/red] erasure cannot be undone; add --yes to confirm")
        raise typer.Exit(2)
    try:
        counts = erase_person(container(), email, phone, actor="cli", reason=reason)
    except DomainError as exc:
        fail(exc)
    console.print("erased: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items()))


def register(app: typer.Typer) -> None:
    app.add_typer(customers_app, name="customers")
