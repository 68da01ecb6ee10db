"""The `conveyor` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from conveyor.cli import fulfilment as fulfilment_cli
from conveyor.cli import routing as routing_cli
from conveyor.cli.common import container, fail
from conveyor.shared.errors import DomainError

app = typer.Typer(help="Conveyor order management system", no_args_is_help=True)
db_app = typer.Typer(help="Database schema")
keys_app = typer.Typer(help="API keys")
orders_app = typer.Typer(help="Orders")
inventory_app = typer.Typer(help="Inventory")
import_app = typer.Typer(help="Bulk imports from CSV")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(orders_app, name="orders")
app.add_typer(inventory_app, name="inventory")
app.add_typer(import_app, name="import")
app.add_typer(routing_cli.app, name="route")
app.add_typer(fulfilment_cli.app, name="fulfil")
console = Console()


@app.command()
def serve(host: str = typer.Option(None), port: int = typer.Option(None), workers: int = typer.Option(None),
          reload: bool = False) -> None:
    """Serve the REST API (and docs at /docs)."""
    import uvicorn

    from conveyor.config import get_settings

    s = get_settings()
    workers = workers or s.workers
    if s.metrics_dir or workers > 1:  # before the app (and prometheus_client) is imported anywhere
        import tempfile

        from conveyor.shared.metrics_dir import prepare_multiprocess_dir

        prepare_multiprocess_dir(s.metrics_dir or tempfile.mkdtemp(prefix="conveyor-metrics-"), fresh=True)
    # On SIGTERM uvicorn stops accepting, lets in-flight requests finish (up to the grace period),
    # then exits: a restart or scale-down loses no request that was already being served.
    from conveyor.shared.backup import in_use

    options = dict(host=host or s.host, port=port or s.port, workers=workers, reload=reload,
                   log_level=s.log_level, access_log=False, timeout_graceful_shutdown=30,
                   # A worker imports the app and builds its tables before it answers the
                   # supervisor's ping; on a busy host that can take longer than uvicorn's 5 s,
                   # and a worker killed mid-start drops the requests queued for it.
                   timeout_worker_healthcheck=30)
    with in_use(s.database_url):  # `conveyor db restore` waits for no server to hold the database
        if workers > 1 and not reload:
            from conveyor.cli.supervisor import run_balanced

            run_balanced(uvicorn.Config("conveyor.api.main:app", **options))  # a socket per worker
        else:
            uvicorn.run("conveyor.api.main:app", **options)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    from conveyor.config import get_settings
    from conveyor.shared.migrate import upgrade

    upgrade(get_settings().database_url)
    console.print("database is up to date")


@db_app.command("backup")
def db_backup(file: Path,
              overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing file")) -> None:
    """Copy the SQLite database to FILE while the server keeps running (PostgreSQL: pg_dump)."""
    from conveyor.config import get_settings
    from conveyor.shared.backup import backup

    try:
        pages = backup(get_settings().database_url, file, overwrite=overwrite)
    except DomainError as exc:
        fail(exc.detail)
    console.print(f"backed up to {file} ({pages} pages)")


@db_app.command("restore")
def db_restore(file: Path, yes: bool = typer.Option(False, "--yes", help="confirm: replaces the current data")) -> None:
    """Replace the SQLite database with the backup in FILE. Stop the server and workers first."""
    from conveyor.config import get_settings
    from conveyor.shared.backup import restore
    from conveyor.shared.migrate import head_revision

    if not yes:
        fail("restore replaces everything in the database; add --yes to confirm", code=2)
    try:
        revision = restore(get_settings().database_url, file)
    except DomainError as exc:
        fail(exc.detail)
    console.print(f"restored from {file} (migration {revision})")
    if revision != head_revision():
        console.print("run `conveyor db upgrade` to bring it to this version's schema")


@app.command()
def demo(orders: int = 300, force: bool = typer.Option(False, help="load even if the database has data"),
         key_file: Path = Path("var/demo-admin-key.txt")) -> None:
    """Load demo data (only into an empty database unless --force)."""
    from conveyor.demo import is_empty, load_demo

    c = container()
    if not force and not is_empty(c):
        console.print("database already has data; demo not loaded (use --force)")
        return
    result = load_demo(c, orders=orders, progress=lambda step: console.print(f"  demo: {step}"))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(result["admin_token"] + "\n")
    console.print(f"demo loaded: {result['skus']} SKUs, {result['orders']} orders")
    console.print(f"admin API key (also in {key_file}): [bold]{result['admin_token']}[/bold]")
    login_file = key_file.with_name("demo-admin-login.txt")
    login_file.write_text(f"username: {result['admin_username']}\npassword: {result['admin_password']}\n")
    login_file.chmod(0o600)
    console.print(f"dashboard login (also in {login_file}): [bold]{result['admin_username']}[/bold] / "
                  f"[bold]{result['admin_password']}[/bold]")


@keys_app.command("create")
def keys_create(role: str = typer.Option(..., help="admin, ops, support, channel or readonly"),
                name: str = "", channel: str = typer.Option(None, help="channel code (channel keys)"),
                grant: list[str] = typer.Option([], help="a permission beyond the role (pii:read)")) -> None:
    """Create an API key and print its token (shown once)."""
    from conveyor.auth.handlers import create_key

    try:
        key, token = create_key(container(), role, name, channel, grant)
    except DomainError as exc:
        fail(exc.detail)
    console.print(f"{key.id} ({key.role}) token: [bold]{token}[/bold]")


@orders_app.command("list")
def orders_list(status: str = None, channel: str = None, limit: int = 20) -> None:
    from conveyor.channels.service import get_channel, list_channels
    from conveyor.orders.service import list_orders
    from conveyor.shared.money import format_minor

    with container().reader() as uow:
        codes = {ch.id: ch.code for ch in list_channels(uow)}
        channel_id = get_channel(uow, channel).id if channel else None
        page = list_orders(uow, limit=limit, status=status, channel_id=channel_id)
        table = Table("id", "status", "channel", "external id", "customer", "total", "created")
        for o in page.items:
            table.add_row(o.id, o.status, codes.get(o.channel_id, o.channel_id), o.external_id or "", o.customer_name,
                          f"{format_minor(o.total_minor, o.currency)} {o.currency}", str(o.created_at)[:19])
    console.print(table)


@orders_app.command("show")
def orders_show(order_id: str) -> None:
    from conveyor.orders.schemas import render_order
    from conveyor.orders.service import get_order, order_timeline

    try:
        with container().reader() as uow:
            body = render_order(get_order(uow, order_id))
            body["timeline"] = [{"at": str(e.created_at)[:19], "type": e.type, "actor": e.actor}
                                for e in order_timeline(uow, order_id)]
    except DomainError as exc:
        fail(exc.detail)
    console.print_json(json.dumps(body, default=str))


@inventory_app.command("show")
def inventory_show(sku: str = typer.Argument(None), location: str = None, limit: int = 50) -> None:
    """Stock levels, optionally for one SKU and/or location."""
    from conveyor.catalog.service import sku_codes
    from conveyor.inventory.locations import list_locations
    from conveyor.inventory.service import list_levels

    with container().reader() as uow:
        page = list_levels(uow, sku=sku, location=location, limit=limit, cursor=None)
        codes = sku_codes(uow, [lv.sku_id for lv in page.items])
        locs = {loc.id: loc.code for loc in list_locations(uow)}
        table = Table("sku", "location", "on hand", "allocated", "reserved", "safety", "available")
        for lv in page.items:
            table.add_row(codes[lv.sku_id], locs[lv.location_id], str(lv.on_hand), str(lv.allocated),
                          str(lv.reserved), str(lv.safety_stock), str(lv.available))
    console.print(table)


@inventory_app.command("hot")
def inventory_hot(sku: str, location: str, buckets: int = typer.Option(8, min=2, max=64),
                  off: bool = typer.Option(False, "--off", help="fold the buckets back into one row")) -> None:
    """Hot-SKU mode for a flash sale: split the SKU's free stock at a location over buckets."""
    # API workers already place the orders that queue up together, taking a SKU's stock row once per
    # batch: on 2 cores with up to 128 clients on one SKU that alone was as fast as buckets
    # (docs/benchmarks.md, issue 13 eighth session). Buckets help when orders for one SKU arrive
    # through many processes, or as orders placed alone (with an Idempotency-Key or a payment).
    from conveyor.inventory.handlers import set_hot_mode

    try:
        units = set_hot_mode(container(), sku, location, None if off else buckets, "cli")
    except DomainError as exc:
        fail(exc.detail)
    console.print(f"{sku} at {location}: hot mode off" if off else
                  f"{sku} at {location}: {units} unit(s) over {buckets} buckets")


@import_app.command("stock")
def import_stock(file: Path) -> None:
    """Set stock from a CSV with columns sku,location,on_hand[,safety_stock]. All or nothing."""
    from conveyor.inventory.handlers import import_stock as run

    lines = file.read_text().splitlines(keepends=True)
    with Progress(console=console) as progress:
        task = progress.add_task("importing stock", total=max(0, len(lines) - 1))
        try:
            report = run(container(), lines, actor="cli", progress=lambda n: progress.advance(task, n))
        except DomainError as exc:
            fail(f"nothing imported: {exc.detail}")
    _report(report.rows, report.imported, report.rejected, "rows")


def _report(total: int, imported: int, rejected: list[tuple[int, str]], unit: str) -> None:
    if rejected:
        table = Table("row", "reason", title="rejected")
        for row, reason in rejected[:200]:
            table.add_row(str(row), reason)
        console.print(table)
    console.print(f"{imported} of {total} {unit} imported, {len(rejected)} rejected")
    if rejected:
        raise typer.Exit(1)


@app.command()
def audit() -> None:
    """Check that stock levels equal the ledger and every invariant holds; exit 1 on a violation."""
    from conveyor.audit import run_audit

    with container().reader() as uow:
        violations = run_audit(uow)
    for v in violations:
        console.print(f"[red]VIOLATION[/red] {v.check}: {v.detail}")
    if violations:
        console.print(f"{len(violations)} violation(s)")
        raise typer.Exit(1)
    console.print("audit clean: levels equal the ledger, no invariant violated")


from conveyor.cli.channels import register as _register_channels  # noqa: E402

_register_channels(app, import_app)

from conveyor.cli.planning import register as _register_planning  # noqa: E402

_register_planning(app)
from conveyor.cli.automation import register as _register_automation  # noqa: E402

_register_automation(app)
from conveyor.cli.users import register as _register_users  # noqa: E402

_register_users(app)
from conveyor.cli.money import register as _register_money  # noqa: E402

_register_money(app)

from conveyor.cli.privacy import register as _register_privacy  # noqa: E402

_register_privacy(app)


def main() -> None:  # pragma: no cover
    app(prog_name="conveyor")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
