"""`conveyor payments …` and `conveyor billing …` as an operator uses them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from pypdf import PdfReader

from conveyor.billing import service as billing
from conveyor.cli import money as money_cli
from conveyor.orders.handlers import ship_order
from tests.integration.money.helpers import pay, place_taxed_order
from tests.integration.test_cli import cli  # noqa: F401 - the fixture


def test_journal_list_and_pdf_from_the_command_line(cli, container, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(money_cli.console, "width", 250)
    order_id = place_taxed_order(container)
    pay(container, order_id, charge=False)
    ship_order(container, order_id, location="WH1", actor="test")

    listed = cli("payments", "list", order_id)
    assert listed.exit_code == 0 and "captured" in listed.output and "capture succeeded" in listed.output

    out = tmp_path / "journal.csv"
    day = datetime.now(UTC).date().isoformat()
    done = cli("billing", "journal", "--day", day, "--currency", "USD", "--out", str(out))
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert sum(Decimal(r["debit"] or 0) for r in rows) == sum(Decimal(r["credit"] or 0) for r in rows) == Decimal(
        "71.36")

    with container.reader() as uow:
        [invoice] = billing.order_invoices(uow, order_id)
    pdf = tmp_path / "invoice.pdf"
    assert cli("billing", "pdf", invoice.id, str(pdf)).exit_code == 0
    text = PdfReader(pdf).pages[0].extract_text()
    assert invoice.number in text and "Invoice" in text and "$71.36" in text
