"""A shipping address reduced to a key, so "how many recent orders went to this address" is one
indexed count (the risk score's repeat-address signal). Pure: no database.

Two spellings of one address should meet: case, punctuation, spacing and the usual street-word
abbreviations are folded; the recipient's name is left out (fraud rings vary it)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from conveyor.orders.commands import Address

_ABBREVIATIONS = {"street": "st", "strasse": "str", "straße": "str", "avenue": "ave", "road": "rd",
                  "boulevard": "blvd", "drive": "dr", "lane": "ln", "apartment": "apt", "suite": "ste"}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = re.findall(r"[a-z0-9ß]+", text)
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def address_key(address: Address | dict[str, Any] | None) -> str | None:
    """A 32-character digest of the address's street, postcode and country; None without a street."""
    if address is None:
        return None
    get = address.get if isinstance(address, dict) else (lambda name, default="": getattr(address, name, default))
    street = _fold(f"{get('line1', '')} {get('line2', '')}")
    if not street:
        return None
    parts = (street, _fold(str(get("postal_code", "") or "")).replace(" ", ""), str(get("country", "") or "").upper())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
