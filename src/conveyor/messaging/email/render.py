"""Rendering notification e-mails: `render(kind, locale, context) -> RenderedEmail`.

Each kind has one template per language (`templates/<lang>/<kind>.j2`) written in that
language, not translated word for word. The same template renders twice: once through an
autoescaping environment into HTML (layout.html + _macros.html) and once into plain text
(layout.txt + _macros.txt), so the two parts never say different things. The subject is the
template's `subject` block.

Language: the order's locale tag picks the template language (`de-AT` -> `de`; a language we
have no templates for -> `en`), while Babel formats dates, money and addresses for the full
tag when it knows it (`de-AT` writes `Jänner` and `€ 1.234,50`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from conveyor.messaging.email import formatting
from conveyor.shared.errors import ValidationFailed

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "de", "fr", "es")
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Kind:
    audience: str  # "customer" or "staff"
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


_CUSTOMER = ("shop", "customer_name")
KINDS: dict[str, Kind] = {
    "order_received": Kind("customer", (*_CUSTOMER, "order")),
    "order_shipped": Kind("customer", (*_CUSTOMER, "order", "shipment")),
    "out_for_delivery": Kind("customer", (*_CUSTOMER, "order", "shipment")),
    "delivered": Kind("customer", (*_CUSTOMER, "order", "shipment")),
    "delayed": Kind("customer", (*_CUSTOMER, "order", "delay"), ("shipment",)),
    "cancelled": Kind("customer", (*_CUSTOMER, "order"), ("cancellation_reason", "refund")),
    "return_approved": Kind("customer", (*_CUSTOMER, "order", "rma")),
    "refund_issued": Kind("customer", (*_CUSTOMER, "order", "refund")),
    "abandoned_cart": Kind("customer", (*_CUSTOMER, "cart")),
    "low_stock": Kind("staff", ("shop", "items")),
    "exception": Kind("staff", ("shop", "incident")),
}


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    language: str  # the template language used ("de" for a de-AT order)
    locale: str  # the locale dates and money were formatted for ("de_AT")


@dataclass(frozen=True, slots=True)
class ResolvedLocale:
    language: str
    formatting: str


def resolve_locale(tag: str | None) -> ResolvedLocale:
    """Pick the template language and the formatting locale for an order's language tag."""
    try:
        parsed = formatting.babel_locale(tag or FALLBACK_LANGUAGE)
    except ValueError:
        return ResolvedLocale(FALLBACK_LANGUAGE, FALLBACK_LANGUAGE)
    if parsed.language not in LANGUAGES:
        # English words with, say, Portuguese month names would read oddly: format in English too.
        return ResolvedLocale(FALLBACK_LANGUAGE, FALLBACK_LANGUAGE)
    return ResolvedLocale(parsed.language, str(parsed))


def render(kind: str, locale: str | None, context: Mapping[str, Any]) -> RenderedEmail:
    """Render one notification. `context` holds the values listed for the kind in `KINDS`
    (dataclasses from `conveyor.messaging.email.context`) and optionally `time_zone` (an IANA
    name, default UTC) for the dates shown."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValidationFailed(f"unknown e-mail kind {kind!r}; known: {', '.join(KINDS)}", kind=kind)
    missing = [key for key in spec.required if context.get(key) is None]
    if missing:
        raise ValidationFailed(f"e-mail {kind!r} needs {', '.join(missing)}", kind=kind, missing=missing)
    chosen = resolve_locale(locale)
    values = {key: None for key in spec.optional} | dict(context) | _helpers(chosen, context.get("time_zone"))
    values["audience"] = spec.audience
    name = f"{chosen.language}/{kind}.j2"
    html_template = _html.get_template(name)
    text_template = _text.get_template(name)
    subject = " ".join(_block(text_template, "subject", values).split())
    html = html_template.render(values | {"layout": "layout.html", "macros": "_macros.html", "subject": subject})
    text = text_template.render(values | {"layout": "layout.txt", "macros": "_macros.txt", "subject": subject})
    return RenderedEmail(subject, _tidy_text(text), html, chosen.language, chosen.formatting)


def _helpers(chosen: ResolvedLocale, zone_name: str | None) -> dict[str, Any]:
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown time zone {zone_name!r}") from exc
    loc = chosen.formatting
    return {
        "lang": chosen.language,
        "money": partial(formatting.format_money, locale=loc),
        "day": partial(formatting.format_day, locale=loc, zone=zone),
        "moment": partial(formatting.format_moment, locale=loc, zone=zone),
        "address_lines": partial(formatting.address_lines, locale=loc),
        "safe_url": _safe_url,
        "squash": _squash,
        # French sets a (no-break) space before a colon: "Total : 12,00 €".
        "colon": "\u00a0:" if chosen.language == "fr" else ":",
    }


def _squash(text: str) -> str:
    """One paragraph on one line for wrapping; no-break spaces (French punctuation) stay."""
    return " ".join(re.split(r"[ \t\r\n]+", text.strip()))


def _safe_url(url: str) -> str:
    """Links in e-mails must be web links: a `javascript:` or `data:` URL from a carrier or a
    channel payload must never become something a customer can click."""
    if not re.match(r"^https?://[^\s]+$", url, re.IGNORECASE):
        raise ValidationFailed(f"refusing to put {url!r} in an e-mail: only http(s) links are allowed")
    return url


def _block(template: Template, block: str, values: Mapping[str, Any]) -> str:
    return "".join(template.blocks[block](template.new_context(dict(values))))


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _environment(autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=StrictUndefined,  # a misspelt field fails the render instead of vanishing
        trim_blocks=True,
        lstrip_blocks=True,
    )


_html = _environment(autoescape=True)
_text = _environment(autoescape=False)
