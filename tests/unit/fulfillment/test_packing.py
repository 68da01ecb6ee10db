"""Scan-to-verify packing and box suggestion."""

from __future__ import annotations

import pytest

from conveyor.fulfillment.boxes import Box, PackItem, fits, suggest_box
from conveyor.fulfillment.packing import PackingSession, PackLine, as_gtin14, is_valid_gtin
from conveyor.shared.errors import ValidationFailed

# GTINs with correct check digits (GS1 check digit calculator examples and common retail codes).
TEE_EAN = "4006381333931"
MUG_UPC = "036000291452"
CATALOG = {"TEE-RED-M": "TEE-RED-M", TEE_EAN: "TEE-RED-M", "MUG-BLUE": "MUG-BLUE", MUG_UPC: "MUG-BLUE",
           "CAP-GREY": "CAP-GREY", "96385074": "CAP-GREY"}


def session() -> PackingSession:
    return PackingSession([PackLine("ln1", "TEE-RED-M", 2, (TEE_EAN,)), PackLine("ln2", "MUG-BLUE", 1, (MUG_UPC,))],
                          catalog=CATALOG)


def test_gtin_check_digits() -> None:
    assert is_valid_gtin("4006381333931")  # EAN-13
    assert is_valid_gtin("036000291452")  # UPC-A
    assert is_valid_gtin("96385074")  # EAN-8
    assert is_valid_gtin("10036000291459")  # GTIN-14
    assert not is_valid_gtin("4006381333932")
    assert not is_valid_gtin("03600029145")  # 11 digits is no GTIN
    assert as_gtin14("036000291452") == as_gtin14("0036000291452") == "00036000291452"
    assert as_gtin14("(01)00036000291452") == "00036000291452"


def test_scanner_input_with_enter_confirms_a_line() -> None:
    s = session()
    result = s.scan(TEE_EAN + "\r\n")
    assert result.accepted
    assert (result.line_id, result.packed, result.expected) == ("ln1", 1, 2)
    assert result.message == "OK: TEE-RED-M (1 of 2 packed)."


def test_sku_code_upc_as_ean_and_lower_case_all_match() -> None:
    s = session()
    assert s.scan("tee-red-m").accepted
    assert s.scan("0" + MUG_UPC).accepted  # the EAN-13 form of the UPC-A on file
    assert s.remaining() == {"ln1": 1}


def test_a_known_product_not_in_the_order_is_refused() -> None:
    result = session().scan("96385074")
    assert not result.accepted
    assert result.outcome == "not_in_order"
    assert result.message == "Wrong item: CAP-GREY is not in this order."


def test_scanning_more_than_ordered_is_refused() -> None:
    s = session()
    assert s.scan(MUG_UPC).accepted
    result = s.scan(MUG_UPC)
    assert result.outcome == "already_packed"
    assert result.message == "MUG-BLUE is already fully packed (1 of 1)."
    assert s.packed["ln2"] == 1


def test_unknown_and_misread_barcodes_are_told_apart() -> None:
    s = session()
    assert s.scan("ZZZ-999").outcome == "unknown_barcode"
    misread = s.scan("4006381333932")
    assert misread.outcome == "bad_check_digit"
    assert "scan it again" in misread.message
    assert s.scan("  ").outcome == "empty"


def test_packing_into_several_packages_and_completion() -> None:
    s = session()
    s.scan(TEE_EAN)
    first = s.close_package(400, 300, 200, 50, box_code="S")
    s.scan(TEE_EAN)
    s.scan(MUG_UPC)
    assert s.complete
    s.close_package(900, 300, 250, 150)
    assert [p.lines for p in s.closed_packages()] == [{"ln1": 1}, {"ln1": 1, "ln2": 1}]
    assert first.weight_grams == 400 and first.box_code == "S"


def test_a_session_resumes_from_stored_state_and_can_unpack() -> None:
    s = PackingSession(session().lines.values(), CATALOG, packed={"ln1": 2})
    assert s.scan(TEE_EAN).outcome == "already_packed"
    assert s.scan(MUG_UPC).accepted
    s.unpack("ln2")
    assert s.remaining() == {"ln2": 1}
    with pytest.raises(ValidationFailed):
        s.unpack("ln2")


def test_an_empty_package_cannot_be_closed() -> None:
    with pytest.raises(ValidationFailed):
        session().close_package(100, 10, 10, 10)


BOXES = [Box("S", 250, 200, 100, tare_grams=120), Box("M", 400, 300, 200, tare_grams=250),
         Box("L", 600, 400, 400, max_weight_grams=20000, tare_grams=500)]


def test_the_smallest_box_that_fits_is_suggested() -> None:
    suggestion = suggest_box([PackItem("BOOK", 240, 170, 30, 400, quantity=2)], BOXES)
    assert suggestion.single_box is not None and suggestion.single_box.code == "S"
    assert suggestion.packages[0].weight_grams == 920


def test_rotation_lets_a_long_item_lie_flat() -> None:
    # 240 mm tall standing up, it fits the 100 mm high small box only lying down.
    poster_tube = PackItem("TUBE", 90, 90, 240, 300)
    assert fits([poster_tube], BOXES[0])
    too_long = PackItem("ROD", 20, 20, 700, 300)
    assert not any(fits([too_long], b) for b in BOXES)


def test_volume_alone_is_not_enough_the_shapes_must_fit() -> None:
    # Four 210 × 160 × 60 shoe boxes (8 l): too much for S (5 l); M holds them two to a layer.
    suggestion = suggest_box([PackItem("SHOE", 210, 160, 60, 300, quantity=4)], BOXES)
    assert suggestion.single_box is not None and suggestion.single_box.code == "M"
    # A 390 mm bat is a fraction of S by volume but longer than any of its sides.
    assert not fits([PackItem("BAT", 390, 30, 30, 100)], BOXES[0])


def test_too_much_for_one_box_is_split_and_oversize_reported() -> None:
    items = [PackItem("KETTLEBELL", 200, 200, 200, 12000, quantity=3), PackItem("ROD", 20, 20, 900, 300)]
    suggestion = suggest_box(items, BOXES)
    assert suggestion.single_box is None
    assert sum(units for p in suggestion.packages for _, units in p.contents) == 3
    assert all(p.weight_grams <= 20000 for p in suggestion.packages if p.box.code == "L")
    assert suggestion.unpackable == (("ROD", 1),)


def test_items_need_dimensions_and_boxes_must_be_configured() -> None:
    with pytest.raises(ValidationFailed):
        suggest_box([PackItem("X", 0, 10, 10, 1)], BOXES)
    with pytest.raises(ValidationFailed):
        suggest_box([PackItem("X", 10, 10, 10, 1)], [])
