"""`conveyor route …`: batch re-allocation and the dry-run strategy simulator."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

app = typer.Typer(help="Order routing: batch allocation and strategy simulation")
console = Console(width=160)


@app.command()
def batch(strategy: str = typer.Option("optimal", help="strategy for the batch"),
          limit: int = typer.Option(10_000, help="at most this many waiting orders")) -> None:
    """Allocate every waiting order (backordered or never allocated), oldest first, e.g. after a
    receipt; prints what changed."""
    from conveyor.orders.handlers import allocate_waiting
    from conveyor.orders.reallocation import waiting_order_ids
    from conveyor.shared.errors import DomainError

    c = _build()
    with c.reader() as uow:
        waiting = waiting_order_ids(uow, limit)
    changed = Table("order", "units allocated", title="allocated")
    total = 0
    with Progress(console=console) as progress:
        task = progress.add_task("allocating", total=len(waiting))
        for order_id in waiting:
            try:
                units = allocate_waiting(c, order_id, "cli:route-batch", strategy)
            except DomainError as exc:
                console.print(f"[yellow]{order_id}: {exc.detail}[/yellow]")
                units = 0
            if units:
                changed.add_row(order_id, str(units))
                total += units
            progress.advance(task)
    console.print(changed)
    console.print(f"{len(waiting)} waiting order(s) looked at, {changed.row_count} got stock, {total} unit(s)")


@app.command()
def simulate(strategy: list[str] = typer.Option(None, help="strategies to compare (default: all)"),
             since: datetime = typer.Option(None, help="replay orders created since this date"),
             limit: int = typer.Option(5000, help="at most this many orders")) -> None:
    """Replay past orders through strategies without changing anything and compare KPIs."""
    from conveyor.orders.simulation import simulate as run
    from conveyor.routing.simulate import HEADERS
    from conveyor.routing.strategies import STRATEGIES

    names = strategy or list(STRATEGIES)
    unknown = [n for n in names if n not in STRATEGIES]
    if unknown:
        console.print(f"[red]unknown strategy {', '.join(unknown)}; known: {', '.join(STRATEGIES)}[/red]")
        raise typer.Exit(2)
    with _build().reader() as uow:
        results = run(uow, names, since, limit)
    table = Table(*HEADERS, title="routing strategies on your order history (dry run)")
    for kpis in results:
        table.add_row(*kpis.row())
    console.print(table)


def _build():  # noqa: ANN202 - the container; imported late so `conveyor --help` stays fast
    from conveyor.bootstrap import build

    return build()
