"""`conveyor db backup` / `db restore` on SQLite: an online, consistent copy taken while orders are
being placed; a restore that brings exactly the backed-up state back; a restore refused while a
server holds the database; PostgreSQL pointed at pg_dump/pg_restore."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from conveyor.audit import run_audit
from conveyor.bootstrap import build
from conveyor.cli.main import app
from conveyor.config import Settings, get_settings
from conveyor.orders.handlers import place_order
from conveyor.shared.migrate import head_revision, upgrade
from tests.helpers import order_cmd, seed_world
from tests.net import free_port, wait_until_up


@pytest.fixture
def sqlite_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", url)
    get_settings.cache_clear()
    c = build(Settings(database_url=url, api_key_cache_seconds=0))
    seed_world(c, {"SKU-A": 10_000})
    yield c
    c.db.engine.dispose()
    get_settings.cache_clear()


def cli(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def order_ids(c) -> set[str]:
    with c.reader() as uow:
        return set(uow.session.scalars(text("SELECT id FROM orders")))


def test_backup_while_orders_are_placed_then_restore_brings_that_state_back(sqlite_db, tmp_path):
    c = sqlite_db
    stop, placed = threading.Event(), []

    def keep_ordering() -> None:
        while not stop.is_set():
            placed.append(place_order(c, order_cmd({"SKU-A": 1}), actor="test").order.id)

    writer = threading.Thread(target=keep_ordering)
    writer.start()
    try:
        while len(placed) < 20 and writer.is_alive():  # the copy starts in the middle of a stream of writes
            time.sleep(0.01)
        result = cli("db", "backup", str(tmp_path / "snap.db"))
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output

    # The backup is a whole, consistent database: the audit (levels = ledger, lines = allocations) holds.
    copy = build(Settings(database_url=f"sqlite:///{tmp_path / 'snap.db'}"))
    with copy.reader() as uow:
        assert run_audit(uow) == []
    saved = order_ids(copy)
    copy.db.engine.dispose()
    assert saved and saved <= set(placed)

    later = place_order(c, order_cmd({"SKU-A": 1}), actor="test").order.id
    result = cli("db", "restore", str(tmp_path / "snap.db"), "--yes")
    assert result.exit_code == 0, result.output
    assert f"migration {head_revision()}" in " ".join(result.output.split())  # rich wraps long paths
    assert order_ids(c) == saved and later not in order_ids(c)
    with c.reader() as uow:
        assert run_audit(uow) == []


def test_backup_never_overwrites_by_accident_and_restore_checks_the_file(sqlite_db, tmp_path):
    target = tmp_path / "b.db"
    assert cli("db", "backup", str(target)).exit_code == 0
    again = cli("db", "backup", str(target))
    assert again.exit_code == 1 and "exists" in " ".join(again.output.split())
    assert cli("db", "backup", str(target), "--overwrite").exit_code == 0
    assert cli("db", "restore", str(target)).exit_code == 2  # no --yes
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    refused = cli("db", "restore", str(junk), "--yes")
    assert refused.exit_code == 1 and "not a Conveyor SQLite backup" in " ".join(refused.output.split())


@pytest.mark.slow
def test_restore_is_refused_while_a_server_holds_the_database(sqlite_db, tmp_path):
    c = sqlite_db
    assert cli("db", "backup", str(tmp_path / "snap.db")).exit_code == 0
    kept = place_order(c, order_cmd({"SKU-A": 1}), actor="test").order.id
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "conveyor.cli.main", "serve", "--port", str(port)],
                              env={**os.environ, "CONVEYOR_LOG_LEVEL": "warning"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        refused = cli("db", "restore", str(tmp_path / "snap.db"), "--yes")
        assert refused.exit_code == 1 and "stop it before restoring" in " ".join(refused.output.split())
        assert kept in order_ids(c)  # nothing was touched
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert cli("db", "restore", str(tmp_path / "snap.db"), "--yes").exit_code == 0  # stopped: allowed
    assert kept not in order_ids(c)


def test_postgres_is_pointed_at_pg_dump(monkeypatch, tmp_path):
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", "postgresql://conveyor@127.0.0.1:5432/conveyor")
    get_settings.cache_clear()
    try:
        for args in (("db", "backup", str(tmp_path / "x.db")), ("db", "restore", str(tmp_path / "x.db"), "--yes")):
            result = cli(*args)
            assert result.exit_code == 1 and "pg_dump" in " ".join(result.output.split())
    finally:
        get_settings.cache_clear()
    assert not Path(tmp_path / "x.db").exists()
