"""CLI commands of the worker and automation: `worker`, `outbox`, `webhooks`, `rules`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from conveyor.cli.common import container, fail
from conveyor.shared.errors import DomainError

console = Console()
outbox_app = typer.Typer(help="The outbox: what the worker delivers, what failed, replay")
webhooks_app = typer.Typer(help="Outbound webhook subscriptions")
rules_app = typer.Typer(help="Automation rules")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_command)
    app.add_typer(outbox_app, name="outbox")
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(rules_app, name="rules")


def worker_command(once: bool = typer.Option(False, help="one bounded pass over what is due now, then exit"),
                   batch: int = typer.Option(50, min=1), idle_sleep: float = typer.Option(1.0, min=0.05),
                   deadline: float = typer.Option(60.0, min=1, help="--once: claim no new batch after this many s"),
                   lease: float = typer.Option(120.0, min=1, help="seconds a claimed batch is this worker's; a "
                                               "killed worker's messages are taken over after it"),
                   ) -> None:
    """Drain the outbox (webhooks, e-mail, channel sync, broker stream) and run the scheduled jobs."""
    from conveyor.config import get_settings

    if get_settings().metrics_dir:  # count into the API's directory: its /metrics shows worker errors
        from conveyor.shared.metrics_dir import prepare_multiprocess_dir

        prepare_multiprocess_dir(get_settings().metrics_dir, fresh=False)
    from conveyor.logs import configure, secrets_of
    from conveyor.messaging.handlers import build_worker
    from conveyor.messaging.worker import Policy

    c = container()
    configure(secrets_of(c.settings), c.settings.log_level, json=c.settings.log_format == "json")
    from conveyor.shared.backup import in_use

    worker = build_worker(c, Policy(batch=batch, lease_seconds=lease))
    try:
        with in_use(c.settings.database_url):  # `conveyor db restore` waits for the worker to stop
            if once:
                handled = worker.drain(deadline_s=deadline, retry_failed=False)
                console.print(f"{handled} message(s) handled")
                return
            console.print(f"worker {worker.me} running; Ctrl+C to stop")
            worker.run(idle_sleep=idle_sleep)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        worker.close()


@outbox_app.command("list")
def outbox_list(status: str = typer.Option("failed", help="pending, processing, done or failed"),
                topic: str = typer.Option(None), limit: int = 50) -> None:
    from conveyor.messaging.outbox_log import list_messages

    with container().reader() as uow:
        page = list_messages(uow, status=status, topic=topic, limit=limit)
    table = Table("id", "topic", "key", "attempts", "status", "last error")
    for m in page.items:
        table.add_row(m.id, m.topic, m.key, str(m.attempts), m.status, m.last_error[:80])
    console.print(table)


@outbox_app.command("replay")
def outbox_replay(ids: list[str] = typer.Argument(None, help="message ids"),
                  failed: bool = typer.Option(False, help="every failed message (of --topic)"),
                  topic: str = typer.Option(None)) -> None:
    """Deliver messages again (same id): named ones, or every failed one."""
    from conveyor.messaging.handlers import replay_messages

    try:
        done = replay_messages(container(), ids or [], failed=failed, topic=topic)
    except DomainError as exc:
        fail(exc)
    console.print(f"{len(done)} message(s) queued again")


@webhooks_app.command("add")
def webhooks_add(url: str, topic: list[str] = typer.Option(["*"], help="topic pattern, repeatable: order.*"),
                 description: str = "") -> None:
    """Subscribe a URL; prints the signing secret once."""
    from conveyor.messaging.handlers import create_subscription
    from conveyor.shared.handlers import Replayed

    try:
        created = create_subscription(container(), url, topic, description)
        assert not isinstance(created, Replayed)
        view, secret = created
    except DomainError as exc:
        fail(exc)
    console.print(f"{view.id} -> {view.url} ({', '.join(view.topics)})\nsigning secret: [bold]{secret}[/bold]")


@webhooks_app.command("list")
def webhooks_list() -> None:
    from conveyor.messaging.subscriptions import list_subscriptions

    with container().reader() as uow:
        rows = list_subscriptions(uow)
    table = Table("id", "url", "topics", "enabled", "failures", "disabled because")
    for s in rows:
        table.add_row(s.id, s.url, ", ".join(s.topics), "yes" if s.enabled else "no", str(s.consecutive_failures),
                      s.disabled_reason[:60])
    console.print(table)


@webhooks_app.command("set")
def webhooks_set(subscription_id: str, enabled: bool = typer.Option(None, "--enable/--disable"),
                 url: str = typer.Option(None), rotate_secret: bool = False) -> None:
    """Enable or disable a subscription, change its URL, rotate its secret."""
    from conveyor.messaging.handlers import update_subscription

    try:
        view, secret = update_subscription(container(), subscription_id, enabled=enabled, url=url,
                                           rotate_secret=rotate_secret)
    except DomainError as exc:
        fail(exc)
    console.print(f"{view.id}: {'enabled' if view.enabled else 'disabled'} {view.url}")
    if secret:
        console.print(f"new signing secret (the previous one still signs too): [bold]{secret}[/bold]")


@webhooks_app.command("remove")
def webhooks_remove(subscription_id: str) -> None:
    from conveyor.messaging.handlers import delete_subscription

    try:
        delete_subscription(container(), subscription_id)
    except DomainError as exc:
        fail(exc)
    console.print(f"{subscription_id} removed")


@webhooks_app.command("deliveries")
def webhooks_deliveries(subscription_id: str, event: str = typer.Option(None), limit: int = 50) -> None:
    """The delivery log: one line per attempt."""
    from conveyor.messaging.subscriptions import attempts_page

    try:
        with container().reader() as uow:
            page = attempts_page(uow, subscription_id, limit, None, event)
    except DomainError as exc:
        fail(exc)
    table = Table("at", "event", "topic", "try", "status", "ms", "outcome", "error / response")
    for a in page.items:
        table.add_row(str(a.started_at)[:19], a.event_id, a.topic, str(a.attempt), str(a.status_code or "-"),
                      str(a.latency_ms), a.outcome, (a.error or a.response_excerpt)[:60])
    console.print(table)


@webhooks_app.command("replay")
def webhooks_replay(subscription_id: str, event: list[str] = typer.Option(None, help="event id, repeatable"),
                    failed: bool = typer.Option(False, help="every dead-lettered delivery")) -> None:
    from conveyor.messaging.handlers import replay_subscription

    try:
        queued = replay_subscription(container(), subscription_id, event or [], failed)
    except DomainError as exc:
        fail(exc)
    console.print(f"{len(queued)} delivery(ies) queued again")


@webhooks_app.command("ping")
def webhooks_ping(subscription_id: str) -> None:
    """Send a signed test delivery now and show the answer."""
    from conveyor.messaging.handlers import ping_subscription

    try:
        attempt = ping_subscription(container(), subscription_id)
    except DomainError as exc:
        fail(exc)
    console.print(f"HTTP {attempt.status_code or '-'} in {attempt.latency_ms} ms {attempt.error}")


@rules_app.command("list")
def rules_list() -> None:
    from conveyor.automation.service import list_rules

    with container().reader() as uow:
        rules = list_rules(uow)
    table = Table("id", "position", "name", "enabled", "triggers")
    for r in rules:
        table.add_row(r.id, str(r.position), r.name, "yes" if r.enabled else "no", ", ".join(r.document["triggers"]))
    console.print(table)


@rules_app.command("add")
def rules_add(file: Path) -> None:
    """Add the rule (or list of rules) in a JSON file, after the existing ones."""
    from conveyor.automation.handlers import create_rule

    documents: Any = json.loads(file.read_text())
    c = container()
    for document in documents if isinstance(documents, list) else [documents]:
        try:
            stored = create_rule(c, document, actor="cli")
        except DomainError as exc:
            fail(exc)
        console.print(f"{getattr(stored, 'id', '')} {getattr(stored, 'name', '')}")


@rules_app.command("dry-run")
def rules_dry_run(file: Path, limit: int = 500) -> None:
    """Which of the newest orders the rule in FILE would have hit."""
    from conveyor.automation.handlers import dry_run

    try:
        report = dry_run(container(), json.loads(file.read_text()), limit=limit)
    except DomainError as exc:
        fail(exc)
    console.print(f"{report.rule}: {len(report.hits)} of {report.evaluated} orders")
    for hit in report.hits:
        console.print(f"  {hit.order_id}")
