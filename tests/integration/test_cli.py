"""The `conveyor` command as an operator uses it, against the test database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from conveyor.api.app import create_app
from conveyor.cli import main as cli_main
from conveyor.cli.main import app
from conveyor.config import get_settings
from conveyor.orders.handlers import place_order
from tests.helpers import order_cmd, seed_world

TOKEN = re.compile(r"cvk_[A-Za-z0-9]+_[A-Za-z0-9]+_[A-Za-z0-9_-]+")


@pytest.fixture
def cli(database_url, monkeypatch):
    """Run `conveyor …` with CONVEYOR_DATABASE_URL pointing at this test's database."""
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", database_url)
    # Wide enough that Rich never wraps a token or shortens an id. The console is created at import
    # and may already have fixed its width (from COLUMNS then), so set it on the console itself.
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(cli_main.console, "width", 250)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, url: str | None = None):
        if url:
            monkeypatch.setenv("CONVEYOR_DATABASE_URL", url)
            get_settings.cache_clear()
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield run
    get_settings.cache_clear()


def scalar(container, sql: str, **params):
    with container.reader() as uow:
        return uow.session.execute(text(sql), params).scalar_one()


def levels(container) -> dict[tuple[str, str], tuple[int, int]]:
    with container.reader() as uow:
        rows = uow.session.execute(text(
            "SELECT s.code, l.code, v.on_hand, v.safety_stock FROM stock_levels v "
            "JOIN skus s ON s.id = v.sku_id JOIN locations l ON l.id = v.location_id")).all()
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def test_db_upgrade_creates_the_schema_and_can_run_again(cli, database_url, tmp_path, container):
    # On SQLite start from a brand-new file; the PostgreSQL test database is already migrated, so
    # there the command must be a harmless no-op.
    fresh = f"sqlite:///{tmp_path / 'fresh' / 'conveyor.db'}"
    url = fresh if database_url.startswith("sqlite") else database_url
    for _ in range(2):
        result = cli("db", "upgrade", url=url)
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output
    from sqlalchemy import create_engine, inspect

    from conveyor.shared.db import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT COUNT(*) FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert {"orders", "stock_levels", "stock_ledger", "api_keys", "idempotency_keys"} <= tables
    assert versions == 1


def test_demo_then_audit_is_clean_and_a_corrupted_level_is_caught(cli, container, tmp_path):
    key_file = tmp_path / "admin-key.txt"
    result = cli("demo", "--orders", "20", "--key-file", str(key_file))
    assert result.exit_code == 0, result.output
    assert "20 orders" in result.output
    assert scalar(container, "SELECT COUNT(*) FROM orders") == 20
    # money too: every order paid (card, Amazon, cash) or declined, shipped ones invoiced to the cent
    assert scalar(container, "SELECT COUNT(DISTINCT order_id) FROM payments") == 20
    assert scalar(container, "SELECT COUNT(*) FROM invoices") > 0
    assert scalar(container, "SELECT COUNT(*) FROM invoices i JOIN payments p ON p.order_id = i.order_id"
                             " WHERE p.status = 'captured' AND i.total_minor > p.captured_minor") == 0
    token = key_file.read_text().strip()
    assert token in result.output
    with TestClient(create_app(container)) as client:
        listed = client.get("/api/v1/orders", params={"limit": 200},
                            headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200 and len(listed.json()["items"]) == 20

    # A second demo does not pile data on top of existing data.
    again = cli("demo", "--orders", "20", "--key-file", str(tmp_path / "other.txt"))
    assert again.exit_code == 0 and "already has data" in again.output
    assert scalar(container, "SELECT COUNT(*) FROM orders") == 20

    clean = cli("audit")
    assert clean.exit_code == 0, clean.output
    assert "audit clean" in clean.output

    with container.uow() as uow:
        level_id = uow.session.execute(text("SELECT id FROM stock_levels ORDER BY id LIMIT 1")).scalar_one()
        uow.session.execute(text("UPDATE stock_levels SET on_hand = on_hand + 1 WHERE id = :id"),
                            {"id": level_id})
        uow.commit()
    broken = cli("audit")
    assert broken.exit_code == 1, broken.output
    assert "levels_equal_ledger" in broken.output
    assert "1 violation(s)" in broken.output


def test_keys_create_prints_a_token_that_authenticates(cli, container):
    seed_world(container)
    result = cli("keys", "create", "--role", "channel", "--channel", "web", "--name", "shop")
    assert result.exit_code == 0, result.output
    token = TOKEN.search(result.output).group(0)
    assert "(channel)" in result.output
    headers = {"Authorization": f"Bearer {token}"}
    web_id = scalar(container, "SELECT id FROM channels WHERE code = 'web'")
    with TestClient(create_app(container)) as client:
        assert client.get("/api/v1/orders", headers=headers).status_code == 200
        placed = client.post("/api/v1/orders", headers=headers, json={
            "currency": "USD", "lines": [{"sku": "SKU-A", "quantity": 1, "unit_price": "10.00"}]})
        assert placed.status_code == 201, placed.text
        assert placed.json()["channel_id"] == web_id  # the key acts for the channel it was bound to
        # It is a channel key, not an admin one.
        assert client.get("/api/v1/api-keys", headers=headers).status_code == 403
        assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    assert scalar(container, "SELECT COUNT(*) FROM api_keys") == 1


@pytest.mark.parametrize("args, message", [
    (["--role", "channel"], "needs the channel"),
    (["--role", "channel", "--channel", "nowhere"], "not found"),
    (["--role", "wizard"], "unknown role"),
    (["--role", "ops", "--channel", "web"], "only channel keys"),
])
def test_keys_create_refuses_bad_requests(cli, container, args, message):
    seed_world(container)
    result = cli("keys", "create", *args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert not TOKEN.search(result.output)
    assert scalar(container, "SELECT COUNT(*) FROM api_keys") == 0


def _csv(tmp_path: Path, name: str, *rows: str) -> str:
    path = tmp_path / name
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_import_stock_rejects_the_whole_file_listing_bad_rows(cli, container, tmp_path):
    seed_world(container, {"SKU-A": 10, "SKU-B": 5}, locations=2)
    before, ledger = levels(container), scalar(container, "SELECT COUNT(*) FROM stock_ledger")
    path = _csv(tmp_path, "bad.csv",
                "sku,location,on_hand",
                "SKU-A,WH1,20",        # row 2: fine on its own
                "NOPE,WH1,5",          # row 3
                "SKU-B,WH2,-4",        # row 4
                "SKU-B,WH1,7",         # row 5: fine on its own
                "SKU-A,MARS,1",        # row 6
                "SKU-B,WH1,2.5")       # row 7 (and a duplicate of row 5)
    result = cli("import", "stock", path)
    assert result.exit_code == 1, result.output
    rejected = dict(re.findall(r"│\s*(\d+)\s*│\s*([^│]+?)\s*│", result.output))
    assert set(rejected) == {"3", "4", "6", "7"}, result.output
    assert "unknown SKU 'NOPE'" in rejected["3"]
    assert "negative" in rejected["4"]
    assert "unknown location 'MARS'" in rejected["6"]
    assert "twice" in rejected["7"] or "whole number" in rejected["7"]
    assert "0 of 6 rows imported, 4 rejected" in result.output
    # All or nothing: the good rows 2 and 5 were not applied either.
    assert levels(container) == before
    assert scalar(container, "SELECT COUNT(*) FROM stock_ledger") == ledger


def test_import_stock_sets_on_hand_with_ledger_entries(cli, container, tmp_path):
    seed_world(container, {"SKU-A": 10, "SKU-B": 5}, locations=2)
    path = _csv(tmp_path, "good.csv",
                "sku,location,on_hand,safety_stock",
                "SKU-A,WH1,4,1",   # down from 10
                "SKU-B,WH1,5,",    # unchanged
                "SKU-B,WH2,12,")   # a location that held no SKU-B yet
    result = cli("import", "stock", path)
    assert result.exit_code == 0, result.output
    assert "3 of 3 rows imported, 0 rejected" in result.output
    after = levels(container)
    assert after[("SKU-A", "WH1")] == (4, 1)
    assert after[("SKU-B", "WH1")] == (5, 0)
    assert after[("SKU-B", "WH2")] == (12, 0)
    with container.reader() as uow:
        entries = uow.session.execute(text(
            "SELECT s.code, l.code, e.d_on_hand, e.actor FROM stock_ledger e JOIN skus s ON s.id = e.sku_id "
            "JOIN locations l ON l.id = e.location_id WHERE e.reason = 'import' "
            "ORDER BY s.code, l.code")).all()
    assert [tuple(e) for e in entries] == [("SKU-A", "WH1", -6, "cli"), ("SKU-B", "WH2", 12, "cli")]
    assert cli("audit").exit_code == 0


def test_inventory_show(cli, container):
    seed_world(container, {"SKU-A": 10, "SKU-B": 5}, locations=2)
    result = cli("inventory", "show")
    assert result.exit_code == 0, result.output
    rows = re.findall(r"│\s*(SKU-\w)\s*│\s*(WH\d)\s*│\s*(\d+)\s*│", result.output)
    assert sorted(rows) == [("SKU-A", "WH1", "10"), ("SKU-B", "WH1", "5")]
    only_b = cli("inventory", "show", "SKU-B")
    assert only_b.exit_code == 0
    assert re.findall(r"│\s*(SKU-\w)\s*│", only_b.output) == ["SKU-B"]


def test_orders_list_and_show(cli, container):
    seed_world(container, {"SKU-A": 10, "SKU-B": 5})
    placed = []
    for lines, ext in [({"SKU-A": 2}, "W-1"), ({"SKU-B": 1}, "W-2"), ({"SKU-A": 1, "SKU-B": 1}, "W-3")]:
        placed.append(place_order(container, order_cmd(lines, external_id=ext), actor="test").order.id)
    result = cli("orders", "list")
    assert result.exit_code == 0, result.output
    assert re.findall(r"ord_\w+", result.output) == list(reversed(placed))
    assert "W-2" in result.output and "allocated" in result.output
    assert "web" in result.output and "chn_" not in result.output  # the channel by its code
    limited = cli("orders", "list", "--limit", "1")
    assert re.findall(r"ord_\w+", limited.output) == [placed[-1]]
    assert re.findall(r"ord_\w+", cli("orders", "list", "--status", "cancelled").output) == []

    shown = cli("orders", "show", placed[0])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert body["id"] == placed[0] and body["external_id"] == "W-1"
    assert [(li["sku"], li["quantity"]) for li in body["lines"]] == [("SKU-A", 2)]
    assert [e["type"] for e in body["timeline"]] == ["order.placed", "fulfilment.created"]

    missing = cli("orders", "show", "ord_doesnotexist")
    assert missing.exit_code == 1
    assert "not found" in missing.output
