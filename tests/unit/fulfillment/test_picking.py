"""Pick lists in walking order, waves, put-to-order breakdowns and short picks."""

from __future__ import annotations

import pytest

from conveyor.fulfillment.picking import (
    PickRequestLine,
    build_pick_list,
    natural_key,
    parse_bin,
    plan_waves,
    report_short_picks,
    walking_order,
)
from conveyor.shared.errors import ValidationFailed


def line(fo: str, line_id: str, sku: str, qty: int, bin_name: str) -> PickRequestLine:
    return PickRequestLine(fo, line_id, sku, qty, bin_name, order_ref=f"#{fo[-3:]}")


def test_bins_parse_into_zone_aisle_bay_level_position() -> None:
    b = parse_bin(" a-03-2-B-1 ")
    assert (b.zone, b.aisle, b.bay, b.level, b.position) == ("A", "03", "2", "B", "1")
    assert parse_bin("B.10/4").aisle == "10"
    assert natural_key("A-10") > natural_key("A-9")


def test_walking_order_is_serpentine_by_aisle() -> None:
    bins = ["A-02-01-A", "A-01-10-A", "A-01-2-A", "A-02-15-A", "A-03-05-B", "A-03-05-A", "A-10-01-A", "A-9-01-A"]
    assert walking_order(bins) == [
        "A-01-2-A", "A-01-10-A",  # up aisle 1 (2 before 10: natural order)
        "A-02-15-A", "A-02-01-A",  # back down aisle 2
        "A-03-05-A", "A-03-05-B",  # up aisle 3, lower level first
        "A-9-01-A",  # aisle 9 before aisle 10
        "A-10-01-A",
    ]
    assert walking_order(["A-02-01", "A-02-15"], serpentine=False) == ["A-02-01", "A-02-15"]


def test_serpentine_counts_only_aisles_with_picks() -> None:
    # Aisle 2 has nothing to pick: aisle 3 is the second aisle walked, so it is walked back.
    assert walking_order(["A-01-1", "A-01-5", "A-03-1", "A-03-5"]) == ["A-01-1", "A-01-5", "A-03-5", "A-03-1"]


def test_a_batch_sums_units_per_bin_and_sku_with_the_put_to_order_breakdown() -> None:
    pick_list = build_pick_list([
        line("fo_001", "l1", "TEE", 2, "A-02-01"),
        line("fo_002", "l2", "TEE", 1, "A-02-01"),
        line("fo_002", "l3", "MUG", 1, "A-01-05"),
        line("fo_003", "l4", "CAP", 3, ""),
    ], location="loc_nyc", reference="wave-1")
    assert [(s.sequence, s.bin, s.sku, s.quantity) for s in pick_list.stops] == [
        (1, "A-01-05", "MUG", 1), (2, "A-02-01", "TEE", 3), (3, "", "CAP", 3)]
    tee = pick_list.stops[1]
    assert [(p.fulfillment_order, p.order_ref, p.quantity) for p in tee.breakdown] == [
        ("fo_001", "#001", 2), ("fo_002", "#002", 1)]
    assert pick_list.total_units == 7
    assert pick_list.fulfillment_orders == ("fo_002", "fo_001", "fo_003")


def test_a_non_positive_quantity_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        build_pick_list([line("fo_1", "l1", "TEE", 0, "A-1")], "loc")


def test_waves_hold_whole_orders_within_the_limits() -> None:
    lines = [line(f"fo_{n:03d}", f"l{n}a", "TEE", 2, "A-1") for n in range(5)]
    lines.append(line("fo_000", "l0b", "MUG", 1, "A-2"))
    waves = plan_waves(lines, max_orders=2)
    assert [sorted({w.fulfillment_order for w in wave}) for wave in waves] == [
        ["fo_000", "fo_001"], ["fo_002", "fo_003"], ["fo_004"]]
    by_units = plan_waves(lines, max_orders=10, max_units=5)
    assert [sum(w.quantity for w in wave) for wave in by_units] == [5, 4, 2]


def test_short_picks_are_reported_per_fulfilment_order() -> None:
    pick_list = build_pick_list([
        line("fo_001", "l1", "TEE", 2, "A-02-01"),
        line("fo_002", "l2", "TEE", 2, "A-02-01"),
        line("fo_002", "l3", "MUG", 1, "A-01-05"),
    ], location="loc_nyc")
    report = report_short_picks(pick_list, {("A-02-01", "TEE"): 3, ("A-01-05", "MUG"): 1})
    assert [(s.fulfillment_order, s.line_id, s.requested, s.picked, s.short) for s in report.shorts] == [
        ("fo_002", "l2", 2, 1, 1)]
    (remainder,) = report.remainder("fo_002")
    assert (remainder.line_id, remainder.sku, remainder.quantity) == ("l2", "TEE", 1)
    assert report.remainder("fo_001") == ()


def test_picking_more_than_listed_is_an_error() -> None:
    pick_list = build_pick_list([line("fo_001", "l1", "TEE", 1, "A-1")], "loc")
    with pytest.raises(ValidationFailed):
        report_short_picks(pick_list, {("A-1", "TEE"): 2})
