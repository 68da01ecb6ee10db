"""The operator's commands: subscribe a URL, run one bounded worker pass, read the delivery log,
add and try rules, look at the outbox."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from conveyor.cli import automation as cli_automation
from conveyor.cli.main import app
from conveyor.config import get_settings
from conveyor.orders.handlers import place_order
from tests.helpers import order_cmd, seed_world
from tests.integration.messaging.support import start_receiver


@pytest.fixture
def cli(database_url, monkeypatch):
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", database_url)
    monkeypatch.setattr(cli_automation.console, "width", 250)
    # `conveyor worker` points the logs at its stdout, which CliRunner closes afterwards: leave
    # the logging of later tests in this process alone.
    monkeypatch.setattr("conveyor.logs.configure", lambda *args, **kwargs: None)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args), catch_exceptions=False)
    get_settings.cache_clear()


def test_subscribe_run_once_and_read_the_log(cli, container, tmp_path):
    seed_world(container)
    receiver = start_receiver()
    try:
        added = cli("webhooks", "add", receiver.url, "--topic", "order.*", "--description", "ERP")
        assert added.exit_code == 0, added.output
        subscription_id = re.search(r"(whk_\w+)", added.output).group(1)
        assert re.search(r"signing secret: whsec_\S+", added.output)
        assert subscription_id in cli("webhooks", "list").output

        place_order(container, order_cmd({"SKU-A": 1}), actor="test")
        ran = cli("worker", "--once")
        assert ran.exit_code == 0 and re.search(r"[1-9]\d* message\(s\) handled", ran.output), ran.output
        assert len(receiver.arrivals) == 1
        log = cli("webhooks", "deliveries", subscription_id).output
        assert "order.created" in log and "delivered" in log and "200" in log
    finally:
        receiver.stop()
    assert cli("outbox", "list").exit_code == 0
    assert cli("outbox", "replay").exit_code == 1  # nothing named, nothing asked for


def test_rules_from_a_file_listed_and_tried(cli, container, tmp_path):
    seed_world(container, {"SKU-A": 20})
    for n in (1, 6):
        place_order(container, order_cmd({"SKU-A": n}), actor="test")
    rule = {"name": "Big", "triggers": ["placed"], "actions": [{"type": "tag", "tag": "big"}],
            "condition": {"field": "total_quantity", "op": "gte", "value": 5}}
    path = tmp_path / "rule.json"
    path.write_text(json.dumps(rule))
    tried = cli("rules", "dry-run", str(path))
    assert tried.exit_code == 0 and "Big: 1 of 2 orders" in tried.output
    assert cli("rules", "add", str(path)).exit_code == 0
    assert "Big" in cli("rules", "list").output
    path.write_text(json.dumps({**rule, "name": "Bad", "actions": [{"type": "explode"}]}))
    refused = cli("rules", "add", str(path))
    assert refused.exit_code == 1 and "actions[0].type" in refused.output
