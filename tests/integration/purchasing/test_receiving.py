"""Receiving rules through the handlers: damaged units, over-receipt tolerance, closing short,
cancelling, advance shipping notices, and what may be promised from incoming stock."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from conveyor.audit import run_audit
from conveyor.inventory.locations import get_location
from conveyor.inventory.service import level
from conveyor.purchasing import handlers as buy
from conveyor.purchasing.purchase_orders import AsnLine, LineRequest, get_purchase_order, list_asns
from conveyor.purchasing.receiving import ReceiptLineInput
from conveyor.purchasing.review import incoming_promise
from conveyor.purchasing.settings import SettingData
from conveyor.purchasing.suppliers import ItemData, SupplierData
from conveyor.shared.errors import DomainError, ErrorCode
from tests.helpers import seed_world


@pytest.fixture
def po(container):
    c = container
    seed_world(c, {"SKU-A": 0, "SKU-B": 0})
    buy.create_supplier(c, SupplierData(code="ACME", name="Acme", email="a@acme.example", lead_time_days=3))
    buy.set_supplier_item(c, "ACME", ItemData(sku="SKU-A", unit_cost_minor=250))
    created = buy.create_purchase_order(c, "ACME", "WH1", [LineRequest("SKU-A", 20), LineRequest("SKU-B", 10, 99)],
                                        actor="t", send=True)
    return c, created


def _levels(c, sku: str) -> tuple[int, int]:
    with c.reader() as uow:
        from conveyor.catalog.service import get_sku

        lv = level(uow, get_sku(uow, sku).id, get_location(uow, "WH1").id)
        return lv.on_hand, lv.incoming


def test_damaged_units_are_written_off_and_stay_owed(po):
    c, created = po
    receipt = buy.receive(c, created.id, [ReceiptLineInput("SKU-A", 12, damaged=2)], actor="t")
    line = receipt.lines[0]
    assert (line["quantity"], line["accepted"], line["damaged"], line["over"]) == (12, 10, 2, 0)
    assert _levels(c, "SKU-A") == (10, 10)  # 10 good in stock; 10 still expected (2 of them replacements)
    with c.reader() as uow:
        line = get_purchase_order(uow, created.id).lines[0]
        assert (line.received, line.damaged, line.open_quantity) == (10, 2, 10)
        reasons = uow.session.execute(text(
            "SELECT reason, d_on_hand, note FROM stock_ledger WHERE reference_id = :po AND d_on_hand <> 0 "
            "ORDER BY reason, d_on_hand"), {"po": created.id}).all()
        assert [(r, d) for r, d, _ in reasons] == [("adjustment", -2), ("receipt", 2), ("receipt", 10)]
        assert all("damaged on receipt" in n for r, d, n in reasons if d in (-2, 2))
        assert run_audit(uow) == []


def test_over_receipt_within_tolerance_then_refused_beyond_it(po):
    c, created = po  # tolerance 5 %: 20 ordered → 21 at most
    buy.receive(c, created.id, [ReceiptLineInput("SKU-A", 21), ReceiptLineInput("SKU-B", 10)], actor="t")
    assert _levels(c, "SKU-A") == (21, 0)
    with c.reader() as uow:
        assert get_purchase_order(uow, created.id).status == "closed"

    again = buy.create_purchase_order(c, "ACME", "WH1", [LineRequest("SKU-A", 20)], actor="t", send=True)
    with pytest.raises(DomainError) as refused:
        buy.receive(c, again.id, [ReceiptLineInput("SKU-A", 22)], actor="t")
    assert refused.value.code == ErrorCode.OVER_RECEIPT
    assert _levels(c, "SKU-A") == (21, 20)  # nothing of the refused receipt stayed


def test_closing_short_and_cancelling_release_incoming(po):
    c, created = po
    buy.receive(c, created.id, [ReceiptLineInput("SKU-A", 5)], actor="t")
    with pytest.raises(DomainError) as refused:
        buy.cancel_purchase_order(c, created.id, actor="t")
    assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION  # goods came: close it instead
    closed = buy.close_purchase_order(c, created.id, actor="t", reason="supplier out of stock")
    assert closed.status == "closed"
    assert _levels(c, "SKU-A") == (5, 0) and _levels(c, "SKU-B") == (0, 0)

    other = buy.create_purchase_order(c, "ACME", "WH1", [LineRequest("SKU-A", 8)], actor="t", send=True)
    assert _levels(c, "SKU-A") == (5, 8)
    assert buy.cancel_purchase_order(c, other.id, actor="t").status == "cancelled"
    assert _levels(c, "SKU-A") == (5, 0)
    with pytest.raises(DomainError) as illegal:
        buy.receive(c, other.id, [ReceiptLineInput("SKU-A", 1)], actor="t")
    assert illegal.value.code == ErrorCode.CONFLICT
    with c.reader() as uow:
        assert run_audit(uow) == []


def test_an_asn_moves_the_expected_date_and_is_marked_received(po):
    c, created = po
    asn = buy.create_asn(c, created.id, [AsnLine("SKU-A", 20)], reference="DN-77", expected_on=date(2027, 1, 4),
                         carrier="DHL", tracking_number="JD0001")
    buy.receive(c, created.id, [ReceiptLineInput("SKU-A", 20)], actor="t", asn_id=asn.id)
    with c.reader() as uow:
        assert get_purchase_order(uow, created.id).expected_on == date(2027, 1, 4)
        assert [a.status for a in list_asns(uow, created.id)] == ["received"]
    with pytest.raises(DomainError):
        buy.create_asn(c, created.id, [AsnLine("SKU-C-UNKNOWN", 1)])


def test_incoming_is_promised_only_where_the_setting_says_so(po):
    c, _ = po
    with c.reader() as uow:
        from conveyor.catalog.service import get_sku

        sku_a = get_sku(uow, "SKU-A").id
        assert [v["promisable"] for v in incoming_promise(uow, sku_a).values()] == [0]
    buy.set_replenishment(c, "SKU-A", "WH1", SettingData(method="min_max", minimum=0, maximum=0,
                                                         promise_incoming=True))
    with c.reader() as uow:
        assert list(incoming_promise(uow, sku_a).values()) == [{"available": 0, "incoming": 20, "promisable": 20}]
