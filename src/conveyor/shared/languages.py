"""The customer's language on an order: whatever a platform, a form or a person gave, as one tag
whose language we write notifications and documents in.

`order_language("de_at") == "de-AT"`, `order_language("fr-Fr") == "fr-FR"`, `order_language("DE") == "de"`,
`order_language("pt-BR") == "en"` (a language we have no templates for reads as English), and
`order_language("") == ""` (nobody said: English too, but the packing slip may still guess from the
shipping country). The region is kept when Babel knows it for that language ("de-AT" formats money
as "€ 12,34" and January as "Jänner"); the language is always one of `SUPPORTED` (docs/decisions.md 33).

Pure: no database, no web.
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError

SUPPORTED = ("en", "de", "fr", "es")
FALLBACK = "en"
_PARTS = re.compile(r"[-_]")


@lru_cache(maxsize=256)
def order_language(tag: str | None) -> str:
    """The tag stored on an order (see the module docstring)."""
    parts = [p for p in _PARTS.split((tag or "").strip()) if p]
    if not parts:
        return ""
    language = parts[0].lower()
    if language not in SUPPORTED:
        return FALLBACK
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha() or len(p) == 3 and p.isdigit()), "")
    return f"{language}-{region}" if region and _known(language, region) else language


def _known(language: str, region: str) -> bool:
    try:
        Locale.parse(f"{language}_{region}")
    except (UnknownLocaleError, ValueError):
        return False
    return True


def first_language(*tags: str | None) -> str:
    """The first tag that says anything, as `order_language` stores it ("" when none does)."""
    return next((order_language(t) for t in tags if t and order_language(t)), "")
