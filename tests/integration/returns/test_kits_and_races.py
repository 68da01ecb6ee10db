"""Kits returned whole or in parts (stock back per part, money per part by value, the line's
`returned` counting whole kits), and concurrent requests that can never return more than shipped."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conveyor.audit import run_audit
from conveyor.catalog.handlers import create_product
from conveyor.catalog.service import SkuData
from conveyor.inventory.handlers import receive
from conveyor.orders.service import get_order
from conveyor.returns import handlers as returns
from conveyor.returns.service import Grading, ReturnItem, list_returns
from conveyor.shared.errors import DomainError
from tests.integration.returns.support import POLICY, level, place, seed_shop, ship_through_floor


def _kit_shop(container, parts_returnable: bool):
    seed_shop(container, {**POLICY, "kit_parts_returnable": parts_returnable})
    create_product(container, "Spoon", [SkuData(code="SPOON", name="Spoon", price_minor=500, weight_grams=40,
                                                length_mm=150, width_mm=30, height_mm=10)])
    receive(container, "SPOON", "NJ", 10, actor="test")
    # A mug and two spoons: the mug is worth 15.00 of parts, the spoons 2 × 5.00.
    create_product(container, "Breakfast set", [SkuData(code="SET", name="Breakfast set", price_minor=4000,
                                                        kit_components={"MUG": 1, "SPOON": 2})])
    return container


def test_a_kit_comes_back_in_parts_then_whole(container):
    shop = _kit_shop(container, parts_returnable=True)
    order_id = place(shop, {"SET": 2}, price=4000)
    ship_through_floor(shop, order_id)

    part = returns.request_return(shop, order_id, [ReturnItem("1", 1, "defective", component_sku="SPOON")],
                                  actor="staff")
    returns.approve_return(shop, part.id, "staff")
    returns.receive_return(shop, part.id, "NJ", "staff")
    part = returns.grade_return(shop, part.id, [Grading(part.lines[0].id, "defective", 1)], "staff")
    # 80.00 of sets split by part value (mug 15.00 : spoons 10.00) = 48.00 : 32.00 over 4 spoons.
    assert part.refund_due_minor == 800

    whole = returns.request_return(shop, order_id, [ReturnItem("1", 1, "changed_mind")], actor="staff")
    assert sorted((rl.sku_code, rl.requested) for rl in whole.lines) == [("MUG", 1), ("SPOON", 2)]
    returns.approve_return(shop, whole.id, "staff")
    returns.receive_return(shop, whole.id, "NJ", "staff")
    whole = returns.grade_return(shop, whole.id, [Grading(rl.id, "resellable", rl.requested) for rl in whole.lines],
                                 "staff")
    assert (whole.goods_minor, whole.restocking_fee_minor, whole.refund_due_minor) == (4000, 400, 3600)

    assert (level(shop, "SPOON", "NJ").on_hand, level(shop, "SPOON", "NJ").quarantined) == (8, 1)
    assert level(shop, "MUG", "NJ").on_hand == 9
    with shop.reader() as uow:
        assert get_order(uow, order_id).lines[0].returned == 1  # one whole set came back (3 spoons, 1 mug)
        assert run_audit(uow) == []


def test_a_channel_that_takes_kits_back_whole_only_refuses_a_part(container):
    shop = _kit_shop(container, parts_returnable=False)
    order_id = place(shop, {"SET": 1}, price=4000)
    ship_through_floor(shop, order_id)
    with pytest.raises(DomainError) as refused:
        returns.request_return(shop, order_id, [ReturnItem("1", 1, "changed_mind", component_sku="SPOON")],
                               actor="staff")
    assert refused.value.extra["problems"][0]["code"] == "kit_returns_whole_only"


def test_concurrent_requests_never_return_more_than_shipped(container):
    seed_shop(container)
    order_id = place(container, {"MUG": 3})
    ship_through_floor(container, order_id)

    def ask(_: int) -> str:
        try:
            returns.request_return(container, order_id, [ReturnItem("1", 1, "changed_mind")], actor="staff")
            return "accepted"
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(ask, range(8)))
    assert outcomes.count("accepted") == 3
    assert set(outcomes) <= {"accepted", "return_not_allowed", "busy"}
    with container.reader() as uow:
        opened = list_returns(uow, order_id=order_id).items
    assert sum(rl.requested for ret in opened for rl in ret.lines) == 3
