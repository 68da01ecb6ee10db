"""`conveyor fulfil …` as a warehouse team uses it: release, pick list PDF, packing from a USB
scanner (code + Enter per line, a wrong item refused), label, ship, tracking CSV, manifest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from conveyor.channels.handlers import create_channel
from conveyor.cli import fulfilment as fulfil_cli
from conveyor.cli.main import app
from conveyor.config import get_settings
from conveyor.fulfillment import service
from conveyor.orders.handlers import place_order
from conveyor.orders.service import get_order
from tests.helpers import order_cmd
from tests.integration.fulfilment.support import CUSTOMER_ADDRESS, MUG_GTIN, seed_floor


@pytest.fixture
def cli(container, database_url, monkeypatch):
    create_channel(container, code="web", name="Web shop")
    seed_floor(container)
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", database_url)
    monkeypatch.setattr(fulfil_cli.console, "width", 250)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args, stdin=None: runner.invoke(app, ["fulfil", *args], input=stdin, catch_exceptions=False)
    get_settings.cache_clear()


def test_a_parcel_from_the_terminal(cli, container, tmp_path):
    order_id = place_order(container, order_cmd({"MUG": 2}, shipping_address=CUSTOMER_ADDRESS), actor="t").order.id
    with container.reader() as uow:
        [fo] = service.for_order(uow, order_id)
    assert cli("release", fo.id).exit_code == 0
    listed = cli("pick-list", "NJ", "--out", str(tmp_path))
    assert listed.exit_code == 0 and "1 stops" in listed.output
    assert list(tmp_path.glob("pkl_*.pdf"))
    assert cli("picked", fo.pick_list_id or _pick_list(container, fo.id)).exit_code == 0

    packed = cli("pack", fo.id, stdin=f"MUG\nCAP\n{MUG_GTIN}\n\n")
    assert "OK: MUG (1 of 2 packed)." in packed.output
    assert "Wrong item: CAP is not in this order." in packed.output
    assert "OK: MUG (2 of 2 packed)." in packed.output
    assert cli("package", fo.id, "--weight", "800", "--box", "S").exit_code == 0
    bought = cli("label", fo.id, "--out", str(tmp_path))
    assert bought.exit_code == 0, bought.output
    number = bought.output.split()[2]
    assert (tmp_path / f"{number}.pdf").read_bytes().startswith(b"%PDF")
    assert cli("ship", fo.id).exit_code == 0

    events = tmp_path / "events.csv"
    events.write_text(f"tracking_number,status,occurred_at\n{number},Delivered,{datetime.now(UTC).isoformat()}\n"
                      "nonsense,Delivered,yesterday\n")
    tracked = cli("track", str(events))
    assert "delivered: 1" in tracked.output and "line 3" in tracked.output
    with container.reader() as uow:
        assert get_order(uow, order_id).status == "delivered"
    carrier = next(c for c in ("usps", "ups", "dhl") if cli("manifest", "NJ", c, str(tmp_path / "m.csv")).exit_code
                   == 0)
    assert number in (tmp_path / "m.csv").read_text() and carrier


def _pick_list(container, fo_id: str) -> str:
    with container.reader() as uow:
        found = service.get(uow, fo_id).pick_list_id
    assert found
    return found
