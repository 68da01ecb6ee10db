"""CLI commands for channels: `import orders`, `channels poll`."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TimeRemainingColumn
from rich.table import Table

from conveyor.cli.common import container, fail
from conveyor.shared.errors import DomainError

channels_app = typer.Typer(help="Sales channels")
console = Console()


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(channels_app, name="channels")
    import_app.command("orders")(import_orders_command)


def import_orders_command(file: Path, channel: str = typer.Option(..., help="channel code"),
                          dry_run: bool = typer.Option(False, help="check everything, write nothing"),
                          batch: int = typer.Option(500, min=1, help="orders per transaction"),
                          workers: int = typer.Option(
                              min(2, os.cpu_count() or 1), min=1,
                              help="processes placing batches side by side (default: 2 on 2+ cores)")) -> None:
    """Import an order CSV with the channel's column profile; prints rejected rows and orders."""
    from conveyor.channels.imports import import_orders

    raw = file.read_bytes()
    text = raw.decode("utf-8-sig")
    columns = [TaskProgressColumn(), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    try:
        with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as progress:
            task = progress.add_task("placing orders", total=None)
            report = import_orders(container(), channel, _lines(text, progress, task), raw, dry_run=dry_run,
                                   batch=batch, progress=lambda n: progress.advance(task, n), workers=workers)
    except DomainError as exc:
        console.print(f"[red]nothing imported:[/red] {exc.detail} {exc.extra or ''}")
        raise typer.Exit(1) from None
    _summary(report)


def _lines(text: str, progress: Progress, task) -> list[str]:
    lines = text.splitlines(keepends=True)
    progress.update(task, description="parsing")
    return lines


def _summary(report) -> None:
    if report.rejected_rows or report.refused_orders:
        table = Table("row", "order", "reason", title="rejected")
        for e in report.rejected_rows[:200]:
            table.add_row(str(e.row), e.external_id or "", e.reason)
        for external_id, why in report.refused_orders[:200]:
            table.add_row("", external_id, why)
        console.print(table)
    verb = "would be created" if report.dry_run else "created"
    console.print(f"{report.orders_in_file} orders in file: {report.created} {verb} ({report.held} on hold), "
                  f"{report.already_imported} already imported, "
                  f"{len(report.refused_orders) + len({e.external_id for e in report.rejected_rows})} rejected "
                  f"({len(report.rejected_rows)} bad rows)")
    if report.rejected_rows or report.refused_orders:
        raise typer.Exit(1)


@channels_app.command("poll")
def poll_command(code: str, since: datetime = typer.Option(None, help="ISO time; default: the last poll")) -> None:
    """Pull new orders from a channel that does not push them (Amazon)."""
    from conveyor.channels.polling import poll

    try:
        report = poll(container(), code, since)
    except DomainError as exc:
        fail(exc)
    for external_id, why in report.failed:
        console.print(f"[red]failed[/red] {external_id}: {why}")
    console.print(f"since {report.since.isoformat()}: {report.pulled} pulled, {report.created} created, "
                  f"{report.updated} updated, {report.duplicates} already known, {len(report.failed)} failed")
    if report.failed:
        raise typer.Exit(1)  # the orders are stored (payloads, status failed) for a person to look at


@channels_app.command("map-sku")
def map_sku_command(code: str, channel_sku: str = typer.Argument(..., help="the channel's SKU or stable key"),
                    sku: str = typer.Argument(..., help="our SKU"),
                    external_ref: str = typer.Option("", help="the platform id used to push stock")) -> None:
    """Map a channel key to our SKU and release every order held for it."""
    from conveyor.channels.handlers import map_and_release
    from conveyor.channels.skumap import Mapping

    try:
        done = map_and_release(container(), code, Mapping(channel_sku, sku, external_ref), actor="cli")
    except DomainError as exc:
        fail(exc)
    console.print(f"{channel_sku} → {sku}: {len(done.released)} order(s) released")
    for order_id in done.released:
        console.print(f"  released {order_id}")
    for order_id, reason in done.still_held:
        console.print(f"  [yellow]still held[/yellow] {order_id}: {reason}")
