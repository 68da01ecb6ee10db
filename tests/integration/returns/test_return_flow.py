"""Returns on both databases, through the handlers: the returns half of issue 12's end-to-end
(one unit back in stock, one quarantined, ledger and audit clean), an exchange whose replacement is
placed with its stock at approval and ships through the normal flow, refusals, kits, in-store
returns, several returns per order."""

from __future__ import annotations

import pytest

from conveyor.audit import run_audit
from conveyor.inventory.service import list_ledger
from conveyor.orders.service import get_order, order_timeline
from conveyor.returns import handlers as returns
from conveyor.returns.service import Grading, ReturnItem
from conveyor.shared.errors import DomainError
from tests.integration.returns.support import level, place, seed_shop, ship_through_floor


@pytest.fixture
def shop(container):
    seed_shop(container)
    return container


def _lines_by_sku(ret) -> dict[str, object]:
    return {rl.sku_code: rl for rl in ret.lines}


def test_one_unit_back_in_stock_one_quarantined_ledger_and_audit_clean(shop):
    order_id = place(shop, {"MUG": 3}, price=1500, tax=270)
    ship_through_floor(shop, order_id)
    assert level(shop, "MUG", "NJ").on_hand == 7

    ret = returns.request_return(shop, order_id, [ReturnItem("1", 2, "changed_mind")], actor="staff")
    returns.approve_return(shop, ret.id, "staff")
    labelled = returns.create_label(shop, ret.id, "staff", location="NJ")
    assert labelled.status == "label_created" and labelled.tracking_number and labelled.label_pdf[:5] == b"%PDF-"
    returns.receive_return(shop, ret.id, "NJ", "staff")
    [line] = ret.lines
    done = returns.grade_return(shop, ret.id, [Grading(line.id, "resellable", 1), Grading(line.id, "damaged", 1)],
                                "staff")

    mug = level(shop, "MUG", "NJ")
    assert (mug.on_hand, mug.quarantined, mug.available) == (8, 1, 8)  # the damaged mug is never sellable
    with shop.reader() as uow:
        entries = list_ledger(uow, sku="MUG", location="NJ", reason=None, reference=ret.id, limit=10,
                              cursor=None).items
        order = get_order(uow, order_id)
        events = [e.type for e in order_timeline(uow, order_id)]
        assert run_audit(uow) == []
    assert sorted((e.reason, e.d_on_hand, e.d_quarantined) for e in entries) == [
        ("return", 1, 0), ("return_quarantine", 0, 1)]
    assert order.lines[0].returned == 2  # both units are given back to the customer
    assert done.status == "resolved"
    # 2 of 3 mugs at 15.00 + 0.90 tax each; 10 % restocking fee on both (customer's choice) = 3.18
    assert (done.goods_minor, done.restocking_fee_minor, done.refund_due_minor) == (3180, 318, 2862)
    assert [e for e in events if e.startswith("return.")] == [
        "return.requested", "return.approved", "return.label_created", "return.received", "return.graded",
        "return.resolved"]


def test_an_exchange_reserves_its_replacement_at_approval_and_it_ships(shop):
    order_id = place(shop, {"MUG": 1}, price=1500, tax=120)
    ship_through_floor(shop, order_id)
    before = level(shop, "MUG", "NJ")

    ret = returns.request_return(shop, order_id, [ReturnItem("1", 1, "too_small", outcome="exchange")],
                                 actor="staff")
    approved = returns.approve_return(shop, ret.id, "staff")

    assert approved.exchange_order_id
    after = level(shop, "MUG", "NJ")
    assert after.allocated == before.allocated + 1 and after.available == before.available - 1
    with shop.reader() as uow:
        replacement = get_order(uow, approved.exchange_order_id)
        assert replacement.status == "allocated" and replacement.total_minor == 1620
        assert "exchange" in replacement.tags
        assert "exchange.placed" in [e.type for e in order_timeline(uow, replacement.id)]

    ship_through_floor(shop, replacement.id)  # the normal fulfilment flow: release, pick, pack, label, ship
    with shop.reader() as uow:
        assert get_order(uow, replacement.id).status == "fulfilled"

    returns.receive_return(shop, ret.id, "NJ", "staff")
    done = returns.grade_return(shop, ret.id, [Grading(ret.lines[0].id, "resellable", 1)], "staff")
    # too_small is the customer's choice: 10 % fee, and the replacement costs what was paid, so the
    # customer owes the fee (1.62) and nothing goes back to the card.
    assert (done.exchange_credit_minor, done.exchange_charge_minor, done.refund_due_minor) == (1458, 162, 0)
    with shop.reader() as uow:
        assert run_audit(uow) == []


def test_an_exchange_without_stock_is_refused_and_nothing_stays_behind(shop):
    order_id = place(shop, {"MUG": 1})
    ship_through_floor(shop, order_id)
    ret = returns.request_return(shop, order_id, [ReturnItem("1", 1, "too_large", outcome="exchange",
                                                             exchange_sku="CAP", exchange_quantity=11)],
                                 actor="staff")
    with pytest.raises(DomainError) as refused:
        returns.approve_return(shop, ret.id, "staff")
    assert refused.value.code == "insufficient_stock"
    with shop.reader() as uow:
        from conveyor.returns.service import get_return

        assert get_return(uow, ret.id).status == "requested"
    assert level(shop, "CAP", "CA").allocated == 0


def test_refusals_name_every_problem(shop):
    order_id = place(shop, {"MUG": 2, "CAP": 1})
    with pytest.raises(DomainError) as not_shipped:
        returns.request_return(shop, order_id, [ReturnItem("1", 1, "changed_mind")], actor="staff")
    assert not_shipped.value.code == "return_not_allowed"
    assert not_shipped.value.extra["problems"][0]["code"] == "not_shipped"
    ship_through_floor(shop, order_id)
    with pytest.raises(DomainError) as refused:
        returns.request_return(shop, order_id, [ReturnItem("1", 3, "changed_mind"), ReturnItem("2", 1, "other")],
                               actor="staff")
    assert sorted(p["code"] for p in refused.value.extra["problems"]) == ["note_required",
                                                                          "quantity_exceeds_returnable"]


def test_several_partial_returns_never_exceed_what_shipped(shop):
    order_id = place(shop, {"MUG": 3})
    ship_through_floor(shop, order_id)
    first = returns.request_return(shop, order_id, [ReturnItem("1", 2, "changed_mind")], actor="staff")
    second = returns.request_return(shop, order_id, [ReturnItem("1", 1, "defective")], actor="staff")
    assert (first.number.endswith("-R1"), second.number.endswith("-R2")) == (True, True)
    with pytest.raises(DomainError) as refused:
        returns.request_return(shop, order_id, [ReturnItem("1", 1, "changed_mind")], actor="staff")
    assert refused.value.extra["problems"][0]["code"] == "quantity_exceeds_returnable"
    returns.cancel_return(shop, second.id, "customer kept it", "staff")
    again = returns.request_return(shop, order_id, [ReturnItem("1", 1, "changed_mind")], actor="staff")
    assert again.number.endswith("-R3")


def test_an_in_store_return_needs_no_label_and_units_not_in_the_parcel_are_missing(shop):
    order_id = place(shop, {"MUG": 2}, price=1000)
    ship_through_floor(shop, order_id)
    ret = returns.request_return(shop, order_id, [ReturnItem("1", 2, "defective")], actor="clerk",
                                 source="in_store", location="NJ")
    returns.approve_return(shop, ret.id, "clerk")
    returns.receive_return(shop, ret.id, "NJ", "clerk", received={ret.lines[0].id: 1})
    done = returns.grade_return(shop, ret.id, [Grading(ret.lines[0].id, "defective", 1)], "clerk")
    [line] = done.lines
    assert (line.defective, line.missing, line.refundable_units) == (1, 1, 1)
    assert (done.restocking_fee_minor, done.refund_due_minor) == (0, 1000)  # defective: no fee
    assert level(shop, "MUG", "NJ").quarantined == 1
    with shop.reader() as uow:
        assert run_audit(uow) == []


def test_store_credit_goes_to_the_customer_ledger(shop):
    order_id = place(shop, {"CAP": 1}, price=2000)
    ship_through_floor(shop, order_id)
    ret = returns.request_return(shop, order_id, [ReturnItem("1", 1, "defective", outcome="store_credit")],
                                 actor="staff")
    returns.approve_return(shop, ret.id, "staff")
    returns.receive_return(shop, ret.id, "CA", "staff")
    done = returns.grade_return(shop, ret.id, [Grading(ret.lines[0].id, "resellable", 1)], "staff")
    assert (done.store_credit_minor, done.refund_due_minor) == (2000, 0)
    assert returns.store_credit(shop, "Ada@Example.com", "USD") == 2000


def test_a_location_that_takes_no_returns_is_refused(shop):
    from conveyor.inventory.handlers import create_location
    from conveyor.inventory.locations import LocationData

    create_location(shop, LocationData(code="POPUP", name="Pop-up", can_return=False))
    order_id = place(shop, {"MUG": 1})
    ship_through_floor(shop, order_id)
    ret = returns.request_return(shop, order_id, [ReturnItem("1", 1, "changed_mind")], actor="staff")
    returns.approve_return(shop, ret.id, "staff")
    with pytest.raises(DomainError) as refused:
        returns.receive_return(shop, ret.id, "POPUP", "staff")
    assert refused.value.extra["reason"] == "location_not_returns_capable"


def test_the_audit_notices_graded_units_that_never_reached_the_ledger(shop):
    from sqlalchemy import text

    order_id = place(shop, {"MUG": 2})
    ship_through_floor(shop, order_id)
    ret = returns.request_return(shop, order_id, [ReturnItem("1", 2, "changed_mind")], actor="staff")
    returns.approve_return(shop, ret.id, "staff")
    returns.receive_return(shop, ret.id, "NJ", "staff")
    returns.grade_return(shop, ret.id, [Grading(ret.lines[0].id, "damaged", 2)], "staff", resolve=False)
    with shop.reader() as uow:
        assert run_audit(uow) == []
    with shop.uow() as uow:  # a unit "found" in the parcel without its stock entry
        uow.session.execute(text("UPDATE return_lines SET damaged = 1, resellable = 1 WHERE return_id = :r"),
                            {"r": ret.id})
        uow.commit()
    with shop.reader() as uow:
        assert {v.check for v in run_audit(uow)} == {"returns_equal_ledger"}


def test_through_the_link_a_customer_swaps_only_for_a_variant_of_the_same_product(shop):
    from conveyor.catalog.handlers import create_product
    from conveyor.catalog.service import SkuData
    from conveyor.inventory.handlers import receive

    create_product(shop, "Tee", [SkuData(code=f"TEE-{size}", name=f"Tee {size}", price_minor=2000, weight_grams=200)
                                 for size in ("M", "L")])
    for size in ("M", "L"):
        receive(shop, f"TEE-{size}", "NJ", 5, actor="test")
    order_id = place(shop, {"TEE-M": 1}, price=2000)
    ship_through_floor(shop, order_id)
    token = returns.return_link(shop, order_id).token

    for wanted, code in (("CAP", "return_not_allowed"), ("NO-SUCH", "unknown_sku")):
        with pytest.raises(DomainError) as refused:
            returns.request_by_link(shop, token, [ReturnItem("1", 1, "too_small", outcome="exchange",
                                                             exchange_sku=wanted)])
        assert refused.value.code == code
    asked = returns.request_by_link(shop, token, [ReturnItem("1", 1, "too_small", outcome="exchange",
                                                             exchange_sku="TEE-L")])
    approved = returns.approve_return(shop, asked.id, "support")
    with shop.reader() as uow:
        replacement = get_order(uow, approved.exchange_order_id)
        assert [(li.sku_code, li.quantity, li.total_minor) for li in replacement.lines] == [("TEE-L", 1, 2000)]
