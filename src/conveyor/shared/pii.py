"""Personal data of customers: masking for readers without the `pii:read` permission, and
scrubbing for erasure. Pure functions over plain values and JSON documents.

Masking keeps enough to recognise a customer on the phone ("a***@***.com", "*******89", the
country and region of an address) and nothing that locates or contacts them. Erasure replaces the
values for good; financial figures are never personal data here and are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

MASK = "***"
ERASED = "[erased]"
# Address fields that survive masking and erasure: tax and reporting need the country and region.
KEPT_ADDRESS_FIELDS = frozenset({"country", "country_code", "region", "province_code", "state"})
# Keys whose values are personal data wherever they appear in a stored JSON document (channel
# payloads use their own spellings: Shopify `first_name`, Amazon `BuyerEmail`, WooCommerce `address_1`).
PERSONAL_KEYS = frozenset({
    "email", "customer_email", "contact_email", "phone", "customer_phone", "customer_name", "first_name",
    "last_name", "line1", "line2", "address1", "address2", "address_1", "address_2", "postal_code", "zip",
    "postcode", "latitude", "longitude", "buyeremail", "buyername", "addressline1", "addressline2",
    "addressline3", "postalcode", "phonenumber", "recipient", "browser_ip", "to",
})
# Keys whose whole sub-document (an object or a list of them) is about the person. Only objects are
# erased under these names: `"shipping": "5.00"` in a totals document is money, not an address.
PERSONAL_DOCUMENTS = frozenset({
    "customer", "billing_address", "shipping_address", "ship_to", "billing", "shipping", "shippingaddress",
    "buyerinfo", "default_address", "addresses", "address", "to",
})


# Keys of free text a person or staff wrote (a customer's delivery note, a note on the timeline):
# the text stays, the contact details in it are masked or erased (`mask_text`, `erase_text`).
FREE_TEXT_KEYS = frozenset({"notes", "note", "text", "comment", "comments", "gift_message", "instructions",
                            "delivery_instructions"})
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number in text: 7 to 15 digits (E.164's most), with the separators people type.
_PHONE_IN_TEXT = re.compile(r"\+?\(?\d[\d\s().-]{5,22}\d")
_DATE_OR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[.:]\d{2}(?:[.:]\d{2})?")


def mask_email(email: str) -> str:
    if not email:
        return email
    local, _, domain = email.partition("@")
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}{MASK}@{MASK}" + (f".{tld}" if tld else "")


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return f"{MASK}{digits[-2:]}" if digits else phone


def mask_name(name: str) -> str:
    """Initials only: "Ada Lovelace" → "A*** L***"."""
    return " ".join(f"{part[:1]}{MASK}" for part in (name or "").split())


def mask_text(text: str) -> str:
    """Free text with the e-mail addresses and phone numbers in it masked, the rest as written:
    "call +1 212 555 0199 or ada@example.com" → "call ***99 or a***@***.com"."""
    return _replace_contacts(text, mask_email, mask_phone)


def erase_text(text: str, known: tuple[str, ...] = ()) -> str:
    """Free text with the e-mail addresses and phone numbers in it, and the `known` values of the
    person (their name as they gave it, and each word of it of 3 letters or more, as whole words:
    "Ada" goes, "Canada" stays), replaced by ERASED."""
    if not text:
        return text
    text = _replace_contacts(text, lambda _: ERASED, lambda _: ERASED)
    words = {part for value in known for part in (value.strip(), *value.split()) if len(part) >= 3}
    for word in sorted(words, key=len, reverse=True):  # the whole name before its parts
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
    return text


def _replace_contacts(text: str, email: Callable[[str], str], phone: Callable[[str], str]) -> str:
    if not text:
        return text
    text = _EMAIL_IN_TEXT.sub(lambda m: email(m.group()), text)
    return _PHONE_IN_TEXT.sub(lambda m: phone(m.group()) if _looks_like_phone(m.group()) else m.group(), text)


def _looks_like_phone(candidate: str) -> bool:
    """7-15 digits, and not a date or a time of day ("2026-12-01", "14:30")."""
    digits = sum(ch.isdigit() for ch in candidate)
    return 7 <= digits <= 15 and not _DATE_OR_TIME.search(candidate)


def mask_address(address: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {k: (v if k in KEPT_ADDRESS_FIELDS or not v else (None if isinstance(v, float) else MASK))
            for k, v in address.items()}


def mask_customer(customer: Mapping[str, str]) -> dict[str, str]:
    return {**customer, "name": mask_name(customer.get("name", "")),
            "email": mask_email(customer.get("email", "")), "phone": mask_phone(customer.get("phone", ""))}


def mask_order(body: dict[str, Any]) -> dict[str, Any]:
    """A rendered order (orders.schemas.render_order) with its personal data masked."""
    masked = {**body, "customer": mask_customer(body.get("customer") or {}),
              "billing_address": mask_address(body.get("billing_address")),
              "shipping_address": mask_address(body.get("shipping_address"))}
    if body.get("notes"):
        masked["notes"] = mask_text(body["notes"])
    return masked


def erase_address(address: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What an erased person's address keeps: the country and region (tax records), nothing else."""
    if address is None:
        return None
    return {k: v for k, v in address.items() if k in KEPT_ADDRESS_FIELDS}


def scrub(doc: Any, placeholder: str = ERASED, known: tuple[str, ...] = ()) -> Any:
    """A JSON document with every personal value replaced (erasure of stored copies: channel
    payloads, outbox messages, 3PL requests, timeline data; with `placeholder=MASK`, the masked
    view of such a document). Free text keeps its words, not the contact details in it (nor, on
    erasure, the `known` values of the person). Structure and every other value stay."""
    if isinstance(doc, Mapping):
        return {k: _scrub_value(str(k), v, placeholder, known) for k, v in doc.items()}
    if isinstance(doc, list):
        return [scrub(v, placeholder, known) for v in doc]
    return doc


def _scrub_value(key: str, value: Any, placeholder: str, known: tuple[str, ...]) -> Any:
    lowered = key.lower()
    if lowered in FREE_TEXT_KEYS and isinstance(value, str):
        return mask_text(value) if placeholder == MASK else erase_text(value, known)
    if lowered in PERSONAL_DOCUMENTS and isinstance(value, Mapping):
        if _looks_like_address(value):
            return mask_address(value) if placeholder == MASK else erase_address(value)
        return scrub_all(value, placeholder)
    if lowered in PERSONAL_DOCUMENTS and isinstance(value, list):
        return [scrub_all(v, placeholder) if isinstance(v, Mapping) else v for v in value]
    if lowered not in PERSONAL_KEYS:
        return scrub(value, placeholder, known)
    if value in (None, ""):
        return value
    return placeholder if isinstance(value, str) else None


def scrub_all(doc: Mapping[str, Any], placeholder: str = ERASED) -> dict[str, Any]:
    """Every leaf of a personal sub-document replaced, except an address's country and region."""
    return {k: (v if k in KEPT_ADDRESS_FIELDS else scrub_all(v, placeholder) if isinstance(v, Mapping)
                else v if v is None or v == "" else placeholder) for k, v in doc.items()}


def _looks_like_address(value: Mapping[str, Any]) -> bool:
    return any(k in value for k in ("line1", "address1", "address_1", "street", "city", "postal_code", "zip"))
