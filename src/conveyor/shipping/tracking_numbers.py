"""Carrier tracking numbers: recognise, verify check digits, and generate real-format numbers.

Each format is a pattern plus the check-digit rule the carrier publishes. The rules, and the
valid/invalid examples in the tests, come from:

- UPS 1Z: 1Z + shipper account (6) + service (2) + package (7) + check digit. The check digit is
  a weighted mod-10 over the 15 characters after "1Z"; letters count as (ASCII - 3) mod 10, so
  A=2 … I=0, J=1 …; characters in odd positions (2nd, 4th …) are doubled.
- FedEx Express 12-digit: weights 3,1,7 repeating over the first 11 digits, sum mod 11 mod 10.
- FedEx Ground 15-digit, "96" 22-digit and SSCC-18 ("00…"), FedEx SmartPost and USPS IMpb:
  the GS1 mod-10 (weights 3,1,3,1 … from the rightmost data digit).
- FedEx Express/Ground 34-digit barcodes: weights 1,7,3 over the 13-digit serial, mod 11 mod 10.
- USPS IMpb (Publication 199): 22 or 26 digits starting 91–95, optionally preceded by the
  routing code "420" + ZIP (5 or 9 digits), which is not covered by the check digit.
- UPU S10 (international postal items, e.g. EA123456785US): weights 8,6,4,2,3,5,9,7, check =
  11 − (sum mod 11), with 10 → 0 and 11 → 5; the last two letters are an ISO country code.
- DHL Express waybill: 10 digits, the first nine taken as a number mod 7 is the tenth.

The format catalogue and examples follow jkeen/tracking_number_data (CHECKSUM_ALGORITHMS.md and
couriers/*.json), cross-checked against the GS1 General Specifications and UPU standard S10.
Spaces and dashes are ignored and lower case is accepted.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from conveyor.shared.errors import ErrorCode, ValidationFailed

CARRIERS = ("ups", "fedex", "usps", "dhl")


@dataclass(frozen=True, slots=True)
class TrackingCheck:
    """The verdict on one number: `carrier` is None when it is not valid, or valid for a postal
    operator we do not ship with (an S10 number from another country)."""

    valid: bool
    carrier: str | None
    format: str | None
    number: str  # normalised: upper case, no spaces or dashes

    def as_response(self) -> dict[str, object]:
        """The body of POST /api/v1/tracking-numbers/validate."""
        return {"valid": self.valid, "carrier": self.carrier}


def normalise(number: str) -> str:
    return re.sub(r"[\s\-]", "", number or "").upper()


# --- check-digit rules -------------------------------------------------------------------------


def _char_value(char: str) -> int:
    return int(char) if char.isdigit() else (ord(char) - 3) % 10


def ups_check_digit(body: str) -> str:
    """UPS: body is the 15 characters between "1Z" and the check digit."""
    total = sum(_char_value(c) * (2 if i % 2 else 1) for i, c in enumerate(body))
    return str((10 - total % 10) % 10)


def gs1_check_digit(digits: str) -> str:
    """GS1 mod 10: weight 3 on the rightmost data digit, then 1, 3, 1 … leftwards."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def weighted_mod11_check_digit(digits: str, weights: tuple[int, ...]) -> str:
    """FedEx: sum of digit × weight (weights from the left), mod 11, mod 10."""
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    return str(total % 11 % 10)


_FEDEX_12_WEIGHTS = (3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1)
_FEDEX_34_WEIGHTS = (1, 7, 3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1)
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> str:
    remainder = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {0: "5", 1: "0"}.get(remainder, str(11 - remainder))


def dhl_check_digit(serial: str) -> str:
    return str(int(serial) % 7)


@lru_cache(maxsize=1)
def _iso_countries() -> frozenset[str]:
    from babel import Locale

    return frozenset(str(code) for code in Locale("en").territories if len(str(code)) == 2 and str(code).isalpha())


# --- formats -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Format:
    name: str
    carrier: str | None
    pattern: re.Pattern[str]
    check: Callable[[re.Match[str]], bool]


def _ups(m: re.Match[str]) -> bool:
    return ups_check_digit(m["body"]) == m["check"]


def _fedex12(m: re.Match[str]) -> bool:
    return weighted_mod11_check_digit(m["body"], _FEDEX_12_WEIGHTS) == m["check"]


def _fedex34(m: re.Match[str]) -> bool:
    return weighted_mod11_check_digit(m["serial"], _FEDEX_34_WEIGHTS) == m["check"]


def _gs1(m: re.Match[str]) -> bool:
    return gs1_check_digit(m["body"]) == m["check"]


def _smartpost(m: re.Match[str]) -> bool:
    # SmartPost labels print the IMpb number without its "92" application identifier.
    return gs1_check_digit("92" + m["body"]) == m["check"]


def _usps_legacy_20(m: re.Match[str]) -> bool:
    # 20-digit USPS numbers: the older GS1 form, or an IMpb printed without its "91" identifier.
    return m["check"] in (gs1_check_digit(m["body"]), gs1_check_digit("91" + m["body"]))


def _s10(m: re.Match[str]) -> bool:
    return s10_check_digit(m["serial"]) == m["check"] and m["country"] in _iso_countries()


def _dhl(m: re.Match[str]) -> bool:
    return dhl_check_digit(m["body"]) == m["check"]


def _format(name: str, carrier: str | None, regex: str, check: Callable[[re.Match[str]], bool]) -> _Format:
    return _Format(name, carrier, re.compile(regex), check)


# Order matters only where one string fits two formats: the first valid match wins.
FORMATS: tuple[_Format, ...] = (
    _format("ups_1z", "ups", r"1Z(?P<body>[0-9A-Z]{15})(?P<check>[0-9])", _ups),
    _format("fedex_express_12", "fedex", r"(?P<body>\d{11})(?P<check>\d)", _fedex12),
    _format("fedex_ground_15", "fedex", r"(?P<body>\d{14})(?P<check>\d)", _gs1),
    _format("fedex_ground_sscc18", "fedex", r"(?P<body>00\d{15})(?P<check>\d)", _gs1),
    _format("fedex_ground_96", "fedex", r"96\d{5}(?P<body>\d{14})(?P<check>\d)", _gs1),
    _format("fedex_34", "fedex", r"(?:100\d{2}|96\d{3})\d{15}(?P<serial>\d{13})(?P<check>\d)", _fedex34),
    # SmartPost (now Ground Economy) numbers are IMpb numbers with service type 612 (Parcel Select).
    _format("fedex_smartpost", "fedex", r"(?:92)?(?P<body>612\d{16})(?P<check>\d)", _smartpost),
    _format("usps_impb", "usps", r"(?:420(?:\d{9}|\d{5}))?(?P<body>9[1-5](?:\d{19}|\d{23}))(?P<check>\d)", _gs1),
    _format("usps_20", "usps", r"(?P<body>\d{19})(?P<check>\d)", _usps_legacy_20),
    _format("s10", None, r"(?P<service>[A-Z]{2})(?P<serial>\d{8})(?P<check>\d)(?P<country>[A-Z]{2})", _s10),
    _format("dhl_express", "dhl", r"(?P<body>\d{9,10})(?P<check>\d)", _dhl),
)


def validate(number: str, carrier: str | None = None) -> TrackingCheck:
    """Is `number` a well-formed tracking number with a correct check digit, and whose is it?

    With `carrier` given, only that carrier's formats are tried (an S10 number ending in "US"
    belongs to USPS)."""
    carrier = carrier.strip().lower() if carrier is not None else None
    if carrier is not None and carrier not in CARRIERS:
        raise ValidationFailed(f"unknown carrier {carrier!r}; expected one of {', '.join(CARRIERS)}")
    cleaned = normalise(number)
    for fmt in FORMATS:
        match = fmt.pattern.fullmatch(cleaned)
        if match is None or not fmt.check(match):
            continue
        owner = fmt.carrier or _postal_operator(match)
        if carrier is not None and owner != carrier:
            continue
        return TrackingCheck(True, owner, fmt.name, cleaned)
    return TrackingCheck(False, None, None, cleaned)


def require_valid(number: str, carrier: str | None, override_reason: str | None = None) -> TrackingCheck:
    """The rule for recording a shipment: a number for one of our carriers must pass that
    carrier's check, unless someone overrides it and says why (a carrier's new format, a
    hand-written label). Raises ValidationFailed (INVALID_TRACKING_NUMBER, HTTP 422) otherwise.
    Carriers we have no rules for (a local courier) are not checked."""
    cleaned = normalise(number)
    if not cleaned:
        raise ValidationFailed("a tracking number is required", ErrorCode.INVALID_TRACKING_NUMBER)
    code = carrier.strip().lower() if carrier else None
    if code not in CARRIERS:
        return TrackingCheck(False, code, None, cleaned)
    check = validate(cleaned, code)
    if check.valid:
        return check
    reason = (override_reason or "").strip()
    if reason:
        return TrackingCheck(False, code, None, cleaned)
    raise ValidationFailed(f"{cleaned} is not a valid {code} tracking number (check digit or format); "
                           "give an override reason to record it anyway", ErrorCode.INVALID_TRACKING_NUMBER,
                           tracking_number=cleaned, carrier=code)


def _postal_operator(match: re.Match[str]) -> str | None:
    return "usps" if match["country"] == "US" else None


# --- generation --------------------------------------------------------------------------------

UPS_SERVICE_CODES = {"next_day_air": "01", "second_day_air": "02", "ground": "03", "three_day_select": "12",
                     "next_day_air_saver": "13", "worldwide_express": "66"}
# USPS service type codes (Publication 199, Appendix C), e.g. 055 Priority Mail, 001 First-Class.
USPS_SERVICE_TYPE_CODES = {"priority": "055", "first_class": "001", "ground_advantage": "001",
                           "priority_express": "701", "parcel_select": "612"}
_ALNUM = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def generate(carrier: str, service: str = "", *, rng: random.Random | None = None, serial: int | None = None,
             account: str = "", destination_zip: str = "") -> str:
    """A new tracking number in `carrier`'s real format for `service`, with its check digit.

    `serial` makes numbers sequential (a label printer's counter); otherwise `rng` draws one.
    `account` is the UPS shipper number (6 characters) or the USPS mailer id (9 digits).
    For USPS, `destination_zip` adds the "420"+ZIP routing prefix."""
    rng = rng or random.Random()
    if carrier == "ups":
        shipper = (account or "".join(rng.choice(_ALNUM) for _ in range(6))).upper()
        package = f"{serial:07d}" if serial is not None else _digits(rng, 7)
        body = shipper + UPS_SERVICE_CODES.get(service, "03") + package
        return "1Z" + body + ups_check_digit(body)
    if carrier == "fedex":
        return _fedex(service, rng, serial)
    if carrier == "usps":
        return _usps(service, rng, serial, account, destination_zip)
    if carrier == "dhl":
        body = f"{serial:09d}" if serial is not None else _digits(rng, 9)
        return body + dhl_check_digit(body)
    raise ValidationFailed(f"cannot generate tracking numbers for carrier {carrier!r}")


def _fedex(service: str, rng: random.Random, serial: int | None) -> str:
    if service in ("ground", "home_delivery", "ground_economy"):
        body = f"{serial:014d}" if serial is not None else _digits(rng, 14)
        return body + gs1_check_digit(body)
    body = f"{serial:011d}" if serial is not None else _digits(rng, 11)
    return body + weighted_mod11_check_digit(body, _FEDEX_12_WEIGHTS)


def _usps(service: str, rng: random.Random, serial: int | None, mailer_id: str, destination_zip: str) -> str:
    if service.startswith("international"):
        body = f"{serial:08d}" if serial is not None else _digits(rng, 8)
        prefix = "EA" if service == "international_express" else "CP"
        return prefix + body + s10_check_digit(body) + "US"
    mid = mailer_id or _digits(rng, 9)
    if len(mid) != 9 or not mid.isdigit():
        raise ValidationFailed("a USPS mailer id has 9 digits")
    package = f"{serial:07d}" if serial is not None else _digits(rng, 7)
    body = "92" + USPS_SERVICE_TYPE_CODES.get(service, "001") + mid + package
    impb = body + gs1_check_digit(body)
    zip_digits = re.sub(r"\D", "", destination_zip)
    return ("420" + zip_digits + impb) if len(zip_digits) in (5, 9) else impb
