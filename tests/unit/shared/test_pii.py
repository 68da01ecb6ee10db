"""Masking and scrubbing of personal data (pure)."""

from __future__ import annotations

from conveyor.shared import pii


def test_masks_keep_just_enough_to_recognise_someone():
    assert pii.mask_email("ada.lovelace@example.co.uk") == "a***@***.uk"
    assert pii.mask_phone("+1 (212) 555-0199") == "***99"
    assert pii.mask_name("Ada King Lovelace") == "A*** K*** L***"
    assert pii.mask_address({"line1": "1 Main St", "city": "NYC", "region": "NY", "country": "US",
                             "latitude": 40.7, "line2": ""}) == {
        "line1": "***", "city": "***", "region": "NY", "country": "US", "latitude": None, "line2": ""}


def test_scrub_erases_people_in_any_payload_shape_and_leaves_money_alone():
    shopify = {"id": 450789, "email": "ada@example.com", "total_price": "199.00",
               "customer": {"first_name": "Ada", "last_name": "Lovelace", "orders_count": 3},
               "shipping_address": {"address1": "1 Main St", "city": "New York", "province_code": "NY",
                                    "country_code": "US", "zip": "10001"},
               "line_items": [{"name": "Blue mug", "price": "9.00", "quantity": 2}],
               "totals": {"shipping": "5.00"}}
    clean = pii.scrub(shopify)
    assert clean["email"] == pii.ERASED
    assert clean["customer"] == {"first_name": pii.ERASED, "last_name": pii.ERASED, "orders_count": pii.ERASED}
    assert clean["shipping_address"] == {"province_code": "NY", "country_code": "US"}
    assert clean["line_items"] == shopify["line_items"]  # product names are not personal
    assert (clean["id"], clean["total_price"], clean["totals"]) == (450789, "199.00", {"shipping": "5.00"})


def test_scrub_with_the_mask_placeholder_is_the_masked_view():
    doc = {"to": "ada@example.com", "kind": "shipped", "ship_to": {"line1": "1 Main St", "country": "US"}}
    assert pii.scrub(doc, pii.MASK) == {"to": "***", "kind": "shipped", "ship_to": {"line1": "***", "country": "US"}}


def test_free_text_keeps_its_words_and_masks_the_contact_details_in_it():
    note = "Call Ada on +1 (212) 555-0199 or ada@example.com after 2026-12-01 14:30; gate 4521, order #1001"
    assert pii.mask_text(note) == ("Call Ada on ***99 or a***@***.com after 2026-12-01 14:30; gate 4521,"
                                   " order #1001")
    assert pii.mask_order({"id": "ord_1", "notes": note, "customer": {}})["notes"] == pii.mask_text(note)
    assert pii.scrub({"type": "note.added", "text": note}, pii.MASK)["text"] == pii.mask_text(note)


def test_erasing_free_text_removes_the_contact_details_and_the_persons_name_as_whole_words():
    note = "Ada Lovelace (ADA) from Canada: ring +44 20 7946 0958, mail ada@example.com. Lovelace pays."
    erased = pii.erase_text(note, ("Ada Lovelace", "ada@example.com"))
    assert erased == "[erased] ([erased]) from Canada: ring [erased], mail [erased]. [erased] pays."
    assert pii.scrub({"text": note}, known=("Ada Lovelace",)) == {"text": erased}
    assert pii.erase_text("") == "" and pii.erase_text("two boxes, no bag") == "two boxes, no bag"
