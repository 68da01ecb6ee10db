"""Tracking numbers against the carriers' published valid and invalid examples.

Examples: jkeen/tracking_number_data couriers/{ups,fedex,usps,dhl,s10}.json (test_numbers), the
UPS developer guide's sample 1Z999AA10123456784, and UPU standard S10's AA473124829GB."""

from __future__ import annotations

import random

import pytest

from conveyor.shared.errors import ErrorCode, ValidationFailed
from conveyor.shipping.tracking_numbers import generate, require_valid, validate

VALID = [
    # UPS 1Z
    ("1Z5R89390357567127", "ups", "ups_1z"),
    ("1Z879E930346834440", "ups", "ups_1z"),
    ("1Z410E7W0392751591", "ups", "ups_1z"),
    ("1Z8V92A70367203024", "ups", "ups_1z"),
    ("1Z999AA10123456784", "ups", "ups_1z"),
    # FedEx Express 12-digit
    ("986578788855", "fedex", "fedex_express_12"),
    ("477179081230", "fedex", "fedex_express_12"),
    ("799531274483", "fedex", "fedex_express_12"),
    ("974367662710", "fedex", "fedex_express_12"),
    # FedEx Ground 15-digit, SSCC-18, 96 (22) and the 34-digit barcodes
    ("0414 4176 0228 964", "fedex", "fedex_ground_15"),
    ("5682 8361 0012 000", "fedex", "fedex_ground_15"),
    ("5682 8361 0012 734", "fedex", "fedex_ground_15"),
    ("00 0123 4500 0000 0027", "fedex", "fedex_ground_sscc18"),
    ("9611020987654312345672", "fedex", "fedex_ground_96"),
    ("1001921334250001000300779017972697", "fedex", "fedex_34"),
    ("1002297871540001000300790695517286", "fedex", "fedex_34"),
    ("9622001560001234567100794808390594", "fedex", "fedex_34"),
    # FedEx SmartPost (IMpb with service type 612)
    ("61299998820821171811", "fedex", "fedex_smartpost"),
    ("9261292700768711948021", "fedex", "fedex_smartpost"),
    # USPS IMpb, with and without the 420+ZIP routing code, and the 20-digit forms
    ("9400 1112 0108 0805 4830 16", "usps", "usps_impb"),
    ("9361 2898 7870 0317 6337 95", "usps", "usps_impb"),
    ("9505 5110 6960 5048 6006 24", "usps", "usps_impb"),
    ("9405803699300124287899", "usps", "usps_impb"),
    ("92748931507708513018050063", "usps", "usps_impb"),
    ("420 22153 9101026837331000039521", "usps", "usps_impb"),
    ("4201028200009261290113185417468510", "usps", "usps_impb"),
    ("0307 1790 0005 2348 3741", "usps", "usps_20"),
    ("7196 9010 7560 0307 7385", "usps", "usps_20"),
    # UPU S10: a US one is USPS; another country's post is valid but not one of our carriers
    ("RB123456785US", "usps", "s10"),
    ("RB123456785GB", None, "s10"),
    ("AA473124829GB", None, "s10"),
    # DHL Express
    ("3318810025", "dhl", "dhl_express"),
    ("8487135506", "dhl", "dhl_express"),
    ("1099255990", "dhl", "dhl_express"),
    ("3821724944", "dhl", "dhl_express"),
]

INVALID = [
    "2Z5R89390357567127",  # not 1Z
    "1A5R89390357567127",
    "1Z1111111111111111",  # wrong UPS check digit
    "996578788855",  # FedEx 12 with a changed digit
    "5682 8361 0012 732",  # FedEx Ground wrong check digit
    "000000000000000001",
    "9600000000000000000001",
    "1001901781990001000300617767839438",
    "9622001560001234567100794808390595",
    "9261292700768711948020",  # SmartPost wrong check digit
    "0307 1790 0005 2348 3742",  # USPS 20 wrong check digit
    "4201028200009261290113185417468511",
    "9200000000000000000000",
    "420000000000000000000000000000",
    "RB123456786US",  # S10 wrong check digit
    "RB123456785XX",  # S10 unknown country
    "3318810010",  # DHL wrong check digit
    "3318810034",
    "",
    "hello",
]


@pytest.mark.parametrize(("number", "carrier", "fmt"), VALID)
def test_published_valid_numbers_are_recognised(number: str, carrier: str | None, fmt: str) -> None:
    check = validate(number)
    assert check.valid
    assert (check.carrier, check.format) == (carrier, fmt)
    assert " " not in check.number


@pytest.mark.parametrize("number", INVALID)
def test_published_invalid_numbers_are_refused(number: str) -> None:
    check = validate(number)
    assert not check.valid
    assert check.carrier is None


def test_spaces_dashes_and_lower_case_are_accepted() -> None:
    assert validate("1z 999-aa1-0123456784").carrier == "ups"
    assert validate(" 7 9 0 5 3 5 3 1 2 3 1 7 ").carrier == "fedex"


def test_a_named_carrier_only_accepts_its_own_formats() -> None:
    assert validate("986578788855", "fedex").valid
    assert not validate("986578788855", "ups").valid
    assert validate("RB123456785US", "usps").valid
    assert not validate("RB123456785GB", "usps").valid


def test_an_unknown_carrier_name_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed):
        validate("1Z999AA10123456784", "royal_mail")


@pytest.mark.parametrize(
    ("carrier", "service", "fmt"),
    [
        ("ups", "ground", "ups_1z"),
        ("ups", "next_day_air", "ups_1z"),
        ("fedex", "express_saver", "fedex_express_12"),
        ("fedex", "ground", "fedex_ground_15"),
        ("usps", "priority", "usps_impb"),
        ("usps", "international_express", "s10"),
        ("dhl", "express_worldwide", "dhl_express"),
    ],
)
def test_generated_numbers_pass_their_carriers_check(carrier: str, service: str, fmt: str) -> None:
    rng = random.Random(7)
    for _ in range(200):
        number = generate(carrier, service, rng=rng)
        check = validate(number, carrier)
        assert check.valid, number
        assert check.format == fmt


def test_ups_numbers_carry_the_shipper_account_and_service_code() -> None:
    number = generate("ups", "next_day_air", account="999AA1", serial=123456)
    assert number.startswith("1Z999AA101")
    assert number[10:17] == "0123456"


def test_usps_numbers_can_carry_the_destination_routing_code() -> None:
    number = generate("usps", "priority", account="927007687", serial=42, destination_zip="10001")
    assert number.startswith("42010001" + "92055927007687")
    assert validate(number).carrier == "usps"
    assert validate(number[8:]).carrier == "usps"  # the bare IMpb is valid on its own


def test_sequential_serials_give_distinct_numbers() -> None:
    numbers = {generate("dhl", serial=n) for n in range(1000)}
    assert len(numbers) == 1000


def test_carrier_names_are_case_insensitive_and_the_response_has_the_api_shape() -> None:
    assert validate("1Z999AA10123456784", "UPS").as_response() == {"valid": True, "carrier": "ups"}
    assert validate("1Z999AA10123456785").as_response() == {"valid": False, "carrier": None}


def test_recording_a_shipment_refuses_a_bad_number_unless_overridden_with_a_reason() -> None:
    assert require_valid("1z999aa10123456784", "ups").valid
    with pytest.raises(ValidationFailed) as caught:
        require_valid("1Z999AA10123456785", "ups")
    assert caught.value.code is ErrorCode.INVALID_TRACKING_NUMBER
    with pytest.raises(ValidationFailed):
        require_valid("1Z999AA10123456785", "ups", override_reason="   ")
    overridden = require_valid("1Z999AA10123456785", "ups", override_reason="carrier's new format")
    assert (overridden.valid, overridden.carrier) == (False, "ups")
    assert require_valid("LOCAL-0001", "pony_express").number == "LOCAL0001"  # no rules for that courier
