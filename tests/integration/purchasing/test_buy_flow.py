"""Issue 14, end to end: stock falls below the reorder point → suggestion → PO created and sent
(outbox) → partial receipt → backorders allocated automatically → the rest received → PO closed;
the ledger and the audit stay clean. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import text

from conveyor.audit import run_audit
from conveyor.inventory.service import level
from conveyor.orders.handlers import place_order
from conveyor.orders.service import get_order
from conveyor.purchasing import handlers as buy
from conveyor.purchasing.purchase_orders import get_purchase_order
from conveyor.purchasing.receiving import ReceiptLineInput
from conveyor.purchasing.review import review
from conveyor.purchasing.settings import SettingData
from conveyor.purchasing.suppliers import ItemData, SupplierData
from tests.helpers import order_cmd, seed_world

TODAY = date(2026, 12, 1)


def _outbox(c, topic: str) -> list[dict]:
    """The payloads of the outbox messages of a topic, oldest first."""
    with c.reader() as uow:
        rows = uow.session.execute(text("SELECT payload FROM outbox WHERE topic = :t ORDER BY id"), {"t": topic})
        return [json.loads(p) if isinstance(p, str) else p for (p,) in rows]


def _world(c) -> None:
    seed_world(c, {"SKU-A": 12}, channel="web", policy="backorder")
    buy.create_supplier(c, SupplierData(code="ACME", name="Acme Supplies", email="orders@acme.example",
                                        currency="USD", lead_time_days=5, payment_terms="net 30"))
    buy.set_supplier_item(c, "ACME", ItemData(sku="SKU-A", unit_cost_minor=450, supplier_sku="AC-1",
                                              pack_size=10, min_order_qty=20))
    buy.set_replenishment(c, "SKU-A", "WH1", SettingData(method="reorder_point", reorder_point=5, order_up_to=30))


def test_reorder_point_to_closed_po_with_backorders_filled(container):
    c = container
    _world(c)
    place_order(c, order_cmd({"SKU-A": 10}), actor="test")  # 12 → 2 left: below the reorder point
    with c.reader() as uow:
        suggested = review(uow, TODAY).suggestions()
    assert [(o.supplier_id.startswith("sup_"), [(li.needed, li.quantity) for li in o.lines])
            for o in suggested.orders] == [(True, [(28, 30)])]  # 30 − 2 = 28, in packs of 10 → 30

    late = place_order(c, order_cmd({"SKU-A": 7}), actor="test")  # 2 allocated, 5 backordered
    early_waiting = place_order(c, order_cmd({"SKU-A": 4}), actor="test")  # all 4 backordered
    assert late.order.status == "backordered" and early_waiting.order.status == "backordered"

    created = buy.auto_replenish(c, send=True, today=TODAY)
    assert len(created) == 1
    po = created[0]
    # The backorders (5 + 4) raise the need: 30 − (12 − 10 − 2 − 9) = 39 → 40 in packs of ten.
    assert [li.quantity for li in po.lines] == [40] and po.status == "sent" and po.total_minor == 40 * 450
    sent = _outbox(c, "purchase_order.sent")
    assert len(sent) == 1 and sent[0]["email"]["to"] == "orders@acme.example"
    with c.reader() as uow:
        sku_id = po.lines[0].sku_id
        assert level(uow, sku_id, _loc(uow, "WH1")).incoming == 40

    receipt = buy.receive(c, po.id, [ReceiptLineInput("SKU-A", 6)], actor="test")
    assert [r["order_id"] for r in receipt.allocated_orders] == [late.order.id, early_waiting.order.id]
    with c.reader() as uow:
        assert get_order(uow, late.order.id).status == "allocated"  # the older order got its 5 first
        assert get_order(uow, early_waiting.order.id).status == "backordered"
        assert get_purchase_order(uow, po.id).status == "partially_received"
        lv = level(uow, sku_id, _loc(uow, "WH1"))
        assert (lv.on_hand, lv.allocated, lv.incoming) == (18, 18, 34)  # 12 + 6 on hand, all of it allocated

    buy.receive(c, po.id, [ReceiptLineInput("SKU-A", 34)], actor="test")
    with c.reader() as uow:
        assert get_order(uow, early_waiting.order.id).status == "allocated"
        closed = get_purchase_order(uow, po.id)
        assert closed.status == "closed" and closed.closed_at is not None
        lv = level(uow, sku_id, _loc(uow, "WH1"))
        assert (lv.on_hand, lv.allocated, lv.incoming) == (52, 21, 0)
        assert run_audit(uow) == []
    assert len(_outbox(c, "purchase_order.closed")) == 1


def _loc(uow, code: str) -> str:
    from conveyor.inventory.locations import get_location

    return get_location(uow, code).id
